import LucidTensor

extension CausalLanguageModel {
    /// Summed next-token negative log-likelihood (nats) of `ids[1...]`, each given the tokens
    /// before it, and the number of tokens scored (the first token is context only).
    ///
    /// One forward pass without a cache, log-softmax in float64. A sequence longer than the
    /// model's context is scored on its first `contextLength` tokens. Perplexity is
    /// `exp(nats / tokens)`; fewer than two ids score nothing.
    public func negativeLogLikelihood(of ids: [Int]) -> (nats: Double, tokens: Int) {
        let used = contextLength.map { Array(ids.prefix($0)) } ?? ids
        guard used.count >= 2 else { return (0, 0) }
        return withNoGrad {
            guard let logits = everyPositionsLogits(of: used) else { return (0, 0) }
            let predicted = logits.narrowed(axis: 0, start: 0, length: used.count - 1).to(.f64).logSoftmax(axis: -1)
            let targets = Tensor(used.dropFirst().map(Int64.init), shape: [used.count - 1]).unsqueezed(axis: -1)
            return (-predicted.gather(axis: -1, index: targets).sum().item(), used.count - 1)
        }
    }

    /// The logits [T, V] of every position of `ids` (non-empty, within the vocabulary), on the CPU: one forward
    /// pass without a cache. Nil if the model returned none.
    public func everyPositionsLogits(of ids: [Int]) -> Tensor? {
        let trace = forward(tokens: Tensor(ids, shape: [1, ids.count]), cache: nil, options: ForwardOptions(logits: .all))
        return trace.logits?.to(.cpu).selected(axis: 0, index: 0)
    }
}
