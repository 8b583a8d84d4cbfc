import LucidTensor

extension GenerationLimits {
    /// The range a logit bias may take (OpenAI's).
    public static let logitBiasRange: ClosedRange<Double> = -100...100

    /// Whether the logit bias, the minimum length or the penalties would change a logit.
    var processesLogits: Bool { !penalties.isNeutral || !logitBias.isEmpty || minNewTokens > 0 }

    /// Checks the penalties, the logit bias (ids of a model of `vocabularySize` tokens, biases in
    /// −100 … 100) and `minNewTokens` (0 … `maxNewTokens`); throws a message naming the bad value.
    public func validateLogitsProcessing(vocabularySize: Int) throws(GenerationError) {
        try penalties.validate()
        for (id, bias) in logitBias.sorted(by: { $0.key < $1.key }) {
            guard (0..<vocabularySize).contains(id) else {
                throw .invalidOption("logit bias: token id \(id) is outside the vocabulary" + (vocabularySize < .max ? " (0..<\(vocabularySize))" : ""))
            }
            guard Self.logitBiasRange.contains(bias) else { throw .invalidOption("the logit bias of token \(id) must be in −100…100 (got \(bias))") }
        }
        guard (0...maxNewTokens).contains(minNewTokens) else {
            throw .invalidOption("min new tokens must be in 0…\(maxNewTokens), the max new tokens (got \(minNewTokens))")
        }
    }

    /// Checks the ranges (token ids only for being ≥ 0: no model is open yet), and that `method` applies the
    /// logit bias, the minimum length and the penalties (greedy and sampling do) unless they change nothing.
    public func validateLogitsProcessing(for method: DecodingMethod) throws(GenerationError) {
        try validateLogitsProcessing(vocabularySize: Int.max)
        if !method.appliesLogitsProcessing { try requireNoLogitsProcessing(for: "decoding \(method.name)") }
    }

    /// Throws unless the logit bias, the minimum length and the penalties change nothing: `method` (a
    /// decoding other than greedy and sampling) applies none, as its official code applies none.
    func requireNoLogitsProcessing(for method: String) throws(GenerationError) {
        guard processesLogits else { return }
        throw .invalidOption("\(method) applies no logit bias, minimum length, or repetition, presence or frequency penalty: they are for greedy and sampled decoding")
    }
}

extension DecodingMethod {
    /// Whether the method applies the limits' logit bias, minimum length and penalties (greedy and sampling);
    /// the others refuse all but neutral ones (`GenerationLimits.requireNoLogitsProcessing`).
    public var appliesLogitsProcessing: Bool {
        switch self {
        case .greedy, .sample: true
        default: false
        }
    }
}

/// What one greedy or sampled generation does to its next logits, in vLLM's order: the logit bias,
/// then the minimum length's mask of the end tokens, then the penalties on the tokens seen (repetition,
/// frequency, presence), all in f32 as transformers and vLLM compute them. Only the logits of the tokens
/// concerned cross to the host and back.
struct LogitsProcessor {
    let penalties: TokenPenalties
    private let bias: [Int: Float]
    /// The biased ids, in order.
    private let biasIDs: [Int]
    /// The end tokens, masked while fewer than `minNewTokens` tokens are out.
    private let endTokens: [Int]
    private let minNewTokens: Int
    private var generated = 0
    /// The distinct tokens the penalties change, in the order first seen: with a repetition penalty every
    /// token of the prompt and the output, else the output's alone. Kept step to step, not rebuilt.
    private var ids: [Int]
    private var listed: Set<Int>
    /// How often each token occurs in the output (presence and frequency).
    private var outputCounts: [Int: Int] = [:]

    /// Nil when `limits` change no logit: nothing to track.
    init?(_ limits: GenerationLimits, prompt: [Int]) {
        let masksEnd = limits.minNewTokens > 0 && !limits.eosTokenIDs.isEmpty
        guard !limits.penalties.isNeutral || !limits.logitBias.isEmpty || masksEnd else { return nil }
        penalties = limits.penalties
        bias = limits.logitBias.mapValues { Float($0) }
        biasIDs = bias.keys.sorted()
        var endSeen = Set<Int>()
        endTokens = masksEnd ? limits.eosTokenIDs.filter { endSeen.insert($0).inserted } : []
        minNewTokens = limits.minNewTokens
        listed = penalties.repetition == 1 ? [] : Set(prompt.filter { $0 >= 0 })
        ids = Array(listed)
    }

    /// Counts a token the generation chose.
    mutating func record(_ token: Int) {
        generated += 1
        if listed.insert(token).inserted { ids.append(token) }
        outputCounts[token, default: 0] += 1
    }

    /// `logits` [V] as f32 with the bias, the end tokens' mask and the penalties applied. Token ids outside
    /// 0..<V are ignored.
    func apply(_ logits: Tensor) -> Tensor {
        let vocabulary = logits.size(-1)
        let masking = generated < minNewTokens
        var touched = ids
        touched += biasIDs.filter { !listed.contains($0) }
        if masking { touched += endTokens.filter { !listed.contains($0) && bias[$0] == nil } }
        touched = touched.filter { $0 >= 0 && $0 < vocabulary }
        let scores = logits.to(.f32)
        guard !touched.isEmpty else { return scores }
        let index = Tensor(touched, shape: [touched.count])
        let repetition = Float(penalties.repetition), presence = Float(penalties.presence), frequency = Float(penalties.frequency)
        let values = scores.indexSelect(axis: 0, index: index).toArray(Float.self)
        let processed = zip(touched, values).map { id, value -> Float in
            var value = value
            if let bias = bias[id] { value += bias }
            if masking, endTokens.contains(id) { value = -.infinity }
            if repetition != 1, listed.contains(id) { value = value < 0 ? value * repetition : value / repetition }
            if let count = outputCounts[id] { value = value - frequency * Float(count) - presence }
            return value
        }
        return scores.indexCopying(axis: 0, index: index, source: Tensor(processed, shape: [touched.count]))
    }
}
