import Foundation
import LucidModels
import LucidTensor

/// Parameters of contrastive decoding against an "amateur" input (VCD's noised image, DAMRO's
/// outlier-only tokens): ℓ_cd = (1+α)·ℓ − α·ℓ′, with tokens whose original logit is below
/// log β + max ℓ removed (adaptive plausibility, equivalent to p ≥ β·p_max).
public struct ContrastiveParameters: Sendable, Equatable {
    public var alpha: Double
    public var beta: Double
    /// nil = greedy (the official VCD code silently ignores contrast under greedy; Lucid does not).
    public var sampling: SamplingParameters?
    /// Apply temperature/top-k/top-p to ℓ_cd before sampling (VCD); DAMRO's official code
    /// bypasses them and samples softmax(ℓ_cd) directly (`false`).
    public var applyWarpers: Bool

    public init(alpha: Double, beta: Double, sampling: SamplingParameters? = nil, applyWarpers: Bool = true) {
        self.alpha = alpha
        self.beta = beta
        self.sampling = sampling
        self.applyWarpers = applyWarpers
    }

    /// VCD's defaults: α 1, β 0.1, sampling at temperature 1.
    public static let vcd = ContrastiveParameters(alpha: 1, beta: 0.1, sampling: SamplingParameters(), applyWarpers: true)
    /// DAMRO's defaults for LLaVA-1.5: α 2, β 0.1, direct sampling (warpers bypassed).
    public static let damro = ContrastiveParameters(alpha: 2, beta: 0.1, sampling: SamplingParameters(), applyWarpers: false)

    public func validate() throws(GenerationError) {
        guard alpha >= 0, alpha.isFinite else { throw .invalidOption("contrastive alpha must be ≥ 0 (got \(alpha))") }
        guard beta > 0, beta <= 1 else { throw .invalidOption("contrastive beta must be in (0, 1] (got \(beta))") }
        try sampling?.validate()
    }

    /// ℓ_cd for original logits ℓ and amateur logits ℓ′ (same shape, last axis = vocabulary).
    public func contrast(_ original: Tensor, _ amateur: Tensor) -> Tensor {
        let l = original.to(.f32)
        let cutoff = l.max(axis: -1, keepDims: true) + Foundation.log(beta)
        let combined = l * (1 + alpha) - amateur.to(.f32) * alpha
        return combined.maskedFill(l .< cutoff, -Double.infinity)
    }
}

/// Runs contrastive decoding: the main and the amateur input share one batched KV cache and every
/// forward pass computes both branches (the shorter input is left-padded and masked; RoPE depends
/// only on relative positions, so each branch computes what it would alone), and every chosen
/// token is fed to both.
public struct ContrastiveDecoder {
    public let model: any CausalLanguageModel

    public init(model: any CausalLanguageModel) { self.model = model }

    /// Generates from embeddings [1, T, D] (main) and [1, T′, D] (amateur). `logprobs`: each token's
    /// log-probability and alternatives, under the main input's logits (`raw`) or ℓ_cd as chosen from (`processed`).
    public func generate(main: Tensor, amateur: Tensor, parameters: ContrastiveParameters, limits: GenerationLimits,
                         logprobs: LogprobsRequest? = nil, onToken: TokenHandler? = nil) throws(GenerationError) -> GenerationResult {
        try generate(main: main, amateur: amateur, positions: nil, parameters: parameters, limits: limits, logprobs: logprobs, onToken: onToken)
    }

    /// Generates from two inputs that share explicit prompt positions (M-RoPE's [3, 1, T]; VCD's noised
    /// image keeps the layout), so both must have the same length; nil: implicit positions.
    public func generate(main: Tensor, amateur: Tensor, positions: Tensor?, parameters: ContrastiveParameters, limits: GenerationLimits,
                         logprobs: LogprobsRequest? = nil, onToken: TokenHandler? = nil) throws(GenerationError) -> GenerationResult {
        try parameters.validate()
        try logprobs?.validate()
        try limits.check(promptLength: Swift.max(main.size(1), amateur.size(1)), contextLength: model.contextLength)
        try limits.requireAdjustments(appliedBy: "contrastive decoding (VCD, DAMRO)", [])
        if positions != nil, main.size(1) != amateur.size(1) {
            throw .invalidOption("contrastive decoding with explicit (M-RoPE) positions needs inputs of one length (main \(main.size(1)), amateur \(amateur.size(1)))")
        }
        return try withNoGrad { () throws(GenerationError) -> GenerationResult in
            try run(main: main, amateur: amateur, positions: positions, parameters: parameters, limits: limits, logprobs: logprobs, onToken: onToken)
        }
    }

    /// The two inputs left-padded to one width, and the number of padding positions of each row.
    static func batch(main: Tensor, amateur: Tensor) -> (embeddings: Tensor, padding: [Int]) {
        let width = Swift.max(main.size(1), amateur.size(1))
        func padded(_ x: Tensor) -> Tensor {
            let missing = width - x.size(1)
            guard missing > 0 else { return x }
            return Tensor.cat([Tensor.zeros([1, missing, x.size(2)], dtype: x.dtype, device: x.device), x], axis: 1)
        }
        return (Tensor.cat([padded(main), padded(amateur)], axis: 0), [width - main.size(1), width - amateur.size(1)])
    }

    /// Attention mask [2, length] for rows whose first `padding[row]` positions are padding.
    static func mask(padding: [Int], length: Int) -> Tensor? {
        guard padding.contains(where: { $0 > 0 }) else { return nil }
        let values = padding.flatMap { pad in (0..<length).map { $0 < pad ? 0.0 : 1.0 } }
        return Tensor(values, shape: [padding.count, length]).to(.bool)
    }

    private func run(main: Tensor, amateur: Tensor, positions: Tensor?, parameters: ContrastiveParameters, limits: GenerationLimits,
                     logprobs: LogprobsRequest?, onToken: TokenHandler?) throws(GenerationError) -> GenerationResult {
        var statistics = GenerationStatistics()
        let start = DispatchTime.now().uptimeNanoseconds
        let cache = model.makeCache()
        let (embeddings, padding) = Self.batch(main: main, amateur: amateur)
        var options = ForwardOptions(logits: .last)
        options.paddingMask = Self.mask(padding: padding, length: embeddings.size(1))
        options.positions = positions
        // Scored on the host, as every decoder (the copy also waits for an asynchronous device).
        let first = model.forward(embeddings: embeddings.contiguous(), cache: cache, options: options).logits!.to(.cpu)
        options.positions = nil
        var (logits, amateurLogits) = (first[0, 0], first[1, 0])
        statistics.forwardPasses += 1
        statistics.prefillTokens = main.size(1) + amateur.size(1)
        statistics.promptTokens = main.size(1)
        statistics.prefillSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let generator = parameters.sampling.map { LucidTensor.Generator(seed: $0.seed) }
        return try DecodeLoop.run(limits: limits, statistics: statistics, logprobs: logprobs, onToken: onToken) { (step: Int) throws(GenerationError) in
            try limits.checkFinite(logits, step: step)
            var scores = parameters.contrast(logits, amateurLogits)
            let token: Int
            if let sampling = parameters.sampling, let generator {
                if parameters.applyWarpers { scores = sampling.warp(scores) }
                token = try GenerationDriver.sample(scores, generator: generator, temperature: sampling.temperature)
            } else {
                token = scores.argmax().intValue
            }
            return (token, logprobs?.entry(logits: logits, scores: scores, chosen: token))
        } advance: { next in
            options.paddingMask = Self.mask(padding: padding, length: cache.length + 1)
            let both = model.forward(tokens: Tensor([next, next], shape: [2, 1]), cache: cache, options: options).logits!.to(.cpu)
            (logits, amateurLogits) = (both[0, 0], both[1, 0])
        }
    }
}
