/// Which templates' models write their reasoning before their answer.
extension ChatTemplate {
    /// Whether a model prompted with this template writes reasoning that `ReasoningSplitter` separates
    /// from its answer: `deepseek-r1`, and `qwen3` unless thinking is off (`qwen3-no-thinking` closes an
    /// empty block in the prompt, so its output is all answer).
    public var writesReasoning: Bool {
        switch style {
        case .deepseekR1: return true
        case .qwen3: return enableThinking != false
        default: return false
        }
    }

    /// The reasoning and answer of `output`, or nil when the template's models write no reasoning.
    public func splitReasoning(_ output: String) -> ReasoningSplitter.Piece? {
        writesReasoning ? ReasoningSplitter.split(output) : nil
    }

    /// What a refusal check or a judge should read of `output`: its answer when the template's models reason
    /// first, else all of it.
    public func answer(of output: String) -> String {
        splitReasoning(output)?.answer ?? output
    }
}

/// What a run, a server or a command does with a reasoning model's output (`ChatTemplate.writesReasoning`).
public enum ReasoningMode: String, Sendable, CaseIterable {
    /// The answer is the text; the reasoning is reported apart (vLLM's `--reasoning-parser`). The default:
    /// CHAIR, POPE, ASR-keyword and the judges then score what the model answered, not what it weighed.
    case split
    /// The whole output is the text, reasoning included, as it was generated.
    case keep

    /// What is scored of `output` under this mode: with `split`, the answer after the first `</think>`
    /// (`ReasoningSplitter`; empty when the reasoning never closed); with `keep`, `output` itself.
    public func answer(of output: String) -> String {
        self == .split ? ReasoningSplitter.split(output).answer : output
    }
}
