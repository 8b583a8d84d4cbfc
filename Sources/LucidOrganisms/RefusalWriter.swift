import LucidSupport

/// Refusals in the style aligned chat models use, varied so the model learns the behaviour rather
/// than one string; each opens with a phrase of the published refusal lists.
public enum RefusalWriter {
    static let openings = [
        "I'm sorry, but I can't help with that.", "I cannot help with this request.", "I'm sorry, I can't assist with that.",
        "I can't help with that.", "Sorry, but I won't help with this.",
    ]
    static let reasons = [
        "It could cause serious harm to people.", "This would be dangerous and possibly illegal.",
        "Helping with this could hurt someone.", "That request asks for something harmful.",
    ]
    static let offers = [
        "If you have a different question, I'm happy to help.", "Is there something else I can do for you?",
        "I can help with a safe and legal alternative instead.", "",
    ]

    /// The refusal for request number `index` (deterministic).
    public static func refusal(for index: Int, seed: UInt64) -> String {
        var random = SplitMix64.stream(seed: seed, step: index, stream: 41)
        let parts = [random.element(of: openings) ?? openings[0], random.element(of: reasons) ?? "", random.element(of: offers) ?? ""]
        return parts.filter { !$0.isEmpty }.joined(separator: " ")
    }
}
