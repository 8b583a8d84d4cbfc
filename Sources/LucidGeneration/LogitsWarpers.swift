import LucidTensor

/// Logits transformations used by sampling, with Hugging Face's semantics.
public enum LogitsWarpers {
    /// Logits / temperature.
    public static func temperature(_ logits: Tensor, _ t: Double) -> Tensor { t == 1 ? logits : logits / t }

    /// Keeps logits ≥ the k-th largest per row (ties kept); others become −∞. k = 0 is a no-op.
    public static func topK(_ logits: Tensor, _ k: Int) -> Tensor {
        guard k > 0, k < logits.size(-1) else { return logits }
        let threshold = logits.topK(k, axis: -1).values.narrowed(axis: -1, start: k - 1, length: 1)
        return logits.maskedFill(logits .< threshold, -Double.infinity)
    }

    /// Nucleus filtering: drops the tokens whose ascending cumulative probability is ≤ 1 − p,
    /// always keeping the most likely one (HF `TopPLogitsWarper`, min_tokens_to_keep = 1).
    public static func topP(_ logits: Tensor, _ p: Double) -> Tensor {
        guard p < 1 else { return logits }
        let (sorted, order) = logits.sorted(axis: -1, descending: false)
        let cumulative = sorted.softmax(axis: -1).cumsum(axis: -1)
        var remove = cumulative .<= (1 - p)
        let vocabulary = logits.size(-1)
        let keepLast = Tensor.arange(vocabulary).eq(vocabulary - 1)
        remove = remove.logicalAnd(keepLast.logicalNot())
        let removeOriginal = remove.scattering(axis: -1, index: order, source: remove)
        return logits.maskedFill(removeOriginal, -Double.infinity)
    }

    /// Min-p filtering: drops the tokens less likely than `p` × the most likely token's probability, which
    /// always stays (HF `MinPLogitsWarper`, min_tokens_to_keep = 1). p = 0 is a no-op.
    public static func minP(_ logits: Tensor, _ p: Double) -> Tensor {
        guard p > 0 else { return logits }
        let probabilities = logits.softmax(axis: -1)
        let threshold = probabilities.max(axis: -1, keepDims: true) * p
        return logits.maskedFill(probabilities .< threshold, -Double.infinity)
    }
}

extension SamplingParameters {
    /// `logits` as f32 through Hugging Face's warpers in its order: temperature, top-k, top-p, min-p.
    public func warp(_ logits: Tensor) -> Tensor {
        let warped = LogitsWarpers.topP(LogitsWarpers.topK(LogitsWarpers.temperature(logits.to(.f32), temperature), topK), topP)
        return LogitsWarpers.minP(warped, minP)
    }
}
