import LucidOrganisms

/// Which defence an opened model runs with: `auto` (whatever its directory carries, e.g. the Q-MLLM
/// gate of `shapes-smol-q`), `qmllm` (required: an error if the model has none) or `none` (the gate
/// is removed; the quantiser, part of the model, stays).
public enum DefenseChoice: String, CaseIterable, Sendable {
    case auto, qmllm, none

    public static let names = allCases.map(\.rawValue).joined(separator: ", ")

    /// Parses a `--defense` value or a manifest model's `defense` option.
    public init(parsing text: String, context: String) throws(RunSpecError) {
        guard let choice = DefenseChoice(rawValue: text) else { throw RunSpecError("\(context) must be one of \(Self.names), not '\(text)'") }
        self = choice
    }

    /// Applies the choice to `loaded`, opened from `model` (a path or bundled name).
    public func apply(to loaded: OpenedModel, model: String) throws(RunSpecError) {
        switch self {
        case .qmllm:
            guard loaded.vision != nil else { throw RunSpecError("defense qmllm needs a vision-language model (\(model) is text-only)") }
            guard QMLLMDirectory.isQMLLM(loaded.path) else {
                throw RunSpecError("\(model) has no Q-MLLM defence (train one with `lucid defend qmllm train`, e.g. shapes-smol-q)")
            }
        case .none:
            loaded.vision?.imageGate = nil
        case .auto:
            break
        }
    }
}
