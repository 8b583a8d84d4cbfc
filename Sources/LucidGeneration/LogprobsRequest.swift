import LucidTensor

/// What a generation reports of each chosen token's log-probability: how many alternatives, and
/// from which distribution (`LogprobsMode`).
public struct LogprobsRequest: Sendable, Equatable {
    /// The most likely alternatives each step reports (0 … `TokenLogprobs.maximumTop`).
    public var top: Int
    public var mode: LogprobsMode

    public init(top: Int, mode: LogprobsMode = .raw) {
        self.top = top
        self.mode = mode
    }

    /// Checks `top`'s range.
    public func validate() throws(GenerationError) {
        guard (0...TokenLogprobs.maximumTop).contains(top) else {
            throw .invalidOption("top log-probabilities must be in 0…\(TokenLogprobs.maximumTop) (got \(top))")
        }
    }

    /// One step's entry: `chosen`'s log-probability and the `top` most likely tokens, under the model's own
    /// `logits` (raw) or under the `scores` the method chose from (processed).
    func entry(logits: Tensor, scores: @autoclosure () -> Tensor, chosen: Int) -> TokenLogprobs {
        TokenLogprobs(logits: mode == .raw ? logits : scores(), chosen: chosen, top: top)
    }
}

/// Which distribution reported log-probabilities describe, as vLLM's `--logprobs-mode` names them.
///
/// - `raw`: the log-softmax of the model's own logits (for VCD and DAMRO the original input's), before
///   any method changes them: what vLLM reports by default, and comparable across methods.
/// - `processed`: the log-softmax of the scores the method chose the token from. For greedy and sampling,
///   after the logit bias, the minimum length and the penalties (`GenerationLimits`), then temperature,
///   top-k, top-p and min-p; for beam search, each beam's log-probabilities after the logit bias, the
///   minimum length and the repetition penalty; for VCD and DAMRO, the contrasted ℓ_cd after its plausibility
///   cutoff (and the warpers where the method applies them); for OPERA, its penalised candidate scores (after
///   the same adjustments as beam search's). Greedy decoding and beam search without those change nothing
///   before they rank, so both modes agree there. Tokens a method rules out have −∞.
public enum LogprobsMode: String, Sendable, CaseIterable {
    case raw = "raw_logprobs"
    case processed = "processed_logprobs"
}
