import LucidTensor

/// A generated token's log-probability under the model and the most likely tokens at that step
/// (what OpenAI-compatible servers return as `logprobs`).
///
/// The probabilities are the model's own, the log-softmax of its raw logits, before temperature,
/// top-k and top-p: what vLLM returns by default (`logprobs_mode` `raw_logprobs`). A sampled token
/// may therefore be one the warped distribution made likelier than these say.
public struct TokenLogprobs: Sendable, Equatable {
    /// One candidate token and its log-probability.
    public struct Candidate: Sendable, Equatable {
        public var token: Int
        public var logprob: Double
    }

    /// The chosen token and its log-probability.
    public var chosen: Candidate
    /// The most likely tokens, most likely first (as many as asked; ties in the order libtorch's topk gives).
    public var top: [Candidate]

    /// The most alternatives a step may report (OpenAI's `top_logprobs` limit).
    public static let maximumTop = 20

    /// A log-probability as JSON can hold it: −∞ (a token the model or the method rules out) is −9999.0, as
    /// OpenAI and vLLM write it.
    public static func written(_ logprob: Double) -> Double { logprob.isFinite ? logprob : -9999.0 }
}

extension TokenLogprobs {
    /// From one step's logits [V]: `chosen`'s log-probability and the `top` most likely tokens (0 … `maximumTop`).
    public init(logits: Tensor, chosen token: Int, top count: Int) {
        self = StepLogprobs(logits: logits.unsqueezed(axis: 0), top: count).entry(row: 0, chosen: token)
    }
}

extension TokenLogprobs {
    /// Each prompt token's log-probability given the tokens before it, from the prompt's logits [T, V]
    /// (`ForwardOptions(logits: .all)`): T − 1 entries, for `ids[1...]` (the first token has no context).
    /// What OpenAI's legacy completions return with `echo` and `logprobs`, and what lm-evaluation-harness
    /// sums for a loglikelihood.
    public static func prompt(logits: Tensor, ids: [Int], top count: Int) -> [TokenLogprobs] {
        precondition(logits.size(0) == ids.count, "prompt logits [\(logits.size(0)), V] for \(ids.count) ids")
        return (0..<Swift.max(0, ids.count - 1)).map { position in
            TokenLogprobs(logits: logits.selected(axis: 0, index: position), chosen: ids[position + 1], top: count)
        }
    }
}

/// One step's log-probabilities over several rows (beam search's beams), [R, V], with each row's most
/// likely tokens: the entries of whichever candidates the step keeps.
struct StepLogprobs {
    let logprobs: Tensor
    let top: [[TokenLogprobs.Candidate]]

    init(logits: Tensor, top count: Int) {
        logprobs = logits.to(.f64).logSoftmax(axis: -1)
        let k = Swift.min(Swift.max(0, count), Swift.min(TokenLogprobs.maximumTop, logits.size(-1)))
        guard k > 0 else {
            top = [[TokenLogprobs.Candidate]](repeating: [], count: logits.size(0))
            return
        }
        let (values, indices) = logprobs.topK(k, axis: -1)
        let (tokens, scores) = (indices.toArray(Int64.self), values.toArray(Double.self))
        top = (0..<logits.size(0)).map { row in
            (0..<k).map { TokenLogprobs.Candidate(token: Int(tokens[row * k + $0]), logprob: scores[row * k + $0]) }
        }
    }

    /// Row `row`'s entry for the token `chosen`.
    func entry(row: Int, chosen: Int) -> TokenLogprobs {
        TokenLogprobs(chosen: .init(token: chosen, logprob: logprobs.selected(axis: 0, index: row).selected(axis: 0, index: chosen).item()),
                      top: top[row])
    }
}
