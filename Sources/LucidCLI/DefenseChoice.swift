import LucidModels
import LucidOrganisms

/// Which defence a loaded model runs with: `auto` (whatever its directory carries, e.g. the Q-MLLM
/// gate of `shapes-smol-q`), `qmllm` (required: an error if the model has none) or `none` (the gate
/// is removed; the quantiser, part of the model, stays).
enum DefenseChoice: String, CaseIterable {
    case auto, qmllm, none

    static let names = allCases.map(\.rawValue).joined(separator: ", ")

    /// Parses a `--defense` value or a manifest model's `defense` option.
    init(parsing text: String, context: String) throws {
        guard let choice = DefenseChoice(rawValue: text) else { throw CLIError("\(context) must be one of \(Self.names), not '\(text)'") }
        self = choice
    }

    /// Applies the choice to `loaded`, opened from `model` (a path or bundled name).
    func apply(to loaded: LoadedModel, model: String) throws {
        switch (self, loaded) {
        case (.qmllm, .llava):
            guard QMLLMDirectory.isQMLLM(ModelPaths.resolve(model)) else {
                throw CLIError("\(model) has no Q-MLLM defence (train one with `lucid defend qmllm train`, e.g. shapes-smol-q)")
            }
        case (.qmllm, .llama):
            throw CLIError("defense qmllm needs a vision-language model (\(model) is text-only)")
        case (.none, .llava(let vlm)):
            vlm.imageGate = nil
        case (.auto, _), (.none, .llama):
            break
        }
    }
}
