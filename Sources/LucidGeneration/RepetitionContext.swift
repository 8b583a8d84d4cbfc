/// Which tokens besides the output the repetition penalty counts: the `input_ids` that a reproduced `generate` call
/// started from.
///
/// transformers' `RepetitionPenaltyLogitsProcessor` penalises every token of the `input_ids` that generation runs
/// on. From a prompt's ids (`input_ids=`) those hold the prompt (`prompt`, as vLLM counts it too). From embeddings
/// alone (`inputs_embeds=`, how LAVIS and OPERA's code run InstructBLIP and MiniGPT-4) they start as something else:
/// the beginning-of-sequence token in transformers 4.29.2, the version OPERA's fork pins (`bos`; its InstructBLIP
/// path decodes with LAVIS's `repetition_penalty` 1.5), and no token in current transformers (`output`). Where the
/// reproduced code's beginning-of-sequence id is not the one Lucid is given (the tokenizer's), `ids` names it.
public enum RepetitionContext: Sendable, Equatable, CustomStringConvertible {
    /// The prompt's ids, image placeholders included (the default).
    case prompt
    /// The beginning-of-sequence id (`GenerationLimits.bosTokenID`).
    case bos
    /// None: the penalty counts the output only.
    case output
    /// These ids (at most `maximumIDs`, each ≥ 0; whether they are the model's is checked at generation).
    case ids([Int])

    /// The most ids `ids` may hold: they are checked against the vocabulary at every generation.
    public static let maximumIDs = 1024

    /// `prompt`, `bos`, `output`, or token ids separated by commas (`1` or `1,2`); nil for anything else.
    public init?(_ text: String) {
        switch text {
        case "prompt": self = .prompt
        case "bos": self = .bos
        case "output": self = .output
        default:
            let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            guard (1...Self.maximumIDs).contains(parts.count) else { return nil }
            var ids: [Int] = []
            for part in parts {
                guard let id = Int(part), id >= 0, String(id) == part else { return nil }
                ids.append(id)
            }
            self = .ids(ids)
        }
    }

    /// What `init?(_:)` reads back.
    public var description: String {
        switch self {
        case .prompt: "prompt"
        case .bos: "bos"
        case .output: "output"
        case .ids(let ids): ids.map(String.init).joined(separator: ",")
        }
    }

    /// The ids counted besides the output, for a prompt of `ids` (nil: a prefill of embeddings, whose ids are not
    /// known, counts none) and the model's beginning-of-sequence id.
    func tokens(prompt ids: [Int]?, bos: Int?) -> [Int] {
        switch self {
        case .prompt: ids ?? []
        case .bos: bos.map { [$0] } ?? []
        case .output: []
        case .ids(let given): given
        }
    }
}
