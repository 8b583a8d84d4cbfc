import LucidModels
import LucidTensor

extension TokenLogprobs {
    /// The log-probabilities of a text prompt's tokens, each after the first given those before it, with the `top`
    /// likeliest alternatives: one forward pass of `model` over `ids` without a cache, every position's logits.
    ///
    /// What `ContinuousBatch.join(scoringPrompt:)` computes inside a batched row's prefill, for decoding methods that
    /// do not batch (beam search, OPERA, VCD, DAMRO): it costs them one more prefill of the prompt. Always the model's
    /// own distribution, whatever the method. Logits with NaN or ±∞ are refused as generation refuses them.
    public static func prompt(of model: some CausalLanguageModel, ids: [Int], top count: Int,
                              limits: GenerationLimits) throws(GenerationError) -> [TokenLogprobs] {
        guard !ids.isEmpty else { return [] }
        if let bad = ids.first(where: { $0 < 0 || $0 >= model.vocabularySize }) {
            throw .tokenOutOfRange(id: bad, vocabularySize: model.vocabularySize)
        }
        if let limit = model.contextLength, ids.count > limit { throw .promptTooLong(tokens: ids.count, limit: limit) }
        return try withNoGrad { () throws(GenerationError) -> [TokenLogprobs] in
            guard let logits = model.everyPositionsLogits(of: ids) else { return [] }
            try limits.checkFinite(logits, step: 0)
            return prompt(logits: logits, ids: ids, top: count)
        }
    }
}
