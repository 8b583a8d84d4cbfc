/// An attack or probe that cannot run as asked.
public struct AttackError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }

    /// No gradient reaches the image through `model`: a Q-MLLM model's quantiser blocks it as released,
    /// which is all a naive attacker sees.
    public static func noGradientReachesTheImage(model: String) -> AttackError {
        AttackError("no gradient reaches the image through \(model) (a Q-MLLM model's quantiser blocks it as released, so "
                    + "the image could never move): attack its undefended base model, or measure BPDA with `lucid defend qmllm eval`")
    }
}
