import LucidTensor

/// One way `GenerationLimits` changes a step's logits before a method ranks them.
public enum LogitsAdjustment: String, Sendable, CaseIterable {
    case logitBias = "logit bias"
    case minimumLength = "minimum length"
    case repetitionPenalty = "repetition penalty"
    case presencePenalty = "presence penalty"
    case frequencyPenalty = "frequency penalty"
    case noRepeatNGram = "n-gram ban"

    /// What beam search and OPERA apply: transformers' beam search (and OPERA's official code, a fork of it) runs
    /// its logits processors (`sequence_bias`, `repetition_penalty`, `no_repeat_ngram_size`, `min_new_tokens`) on each
    /// beam's log-probabilities; it has no presence or frequency penalty (OpenAI's and vLLM's sampling parameters).
    public static let beamSearch: Set<LogitsAdjustment> = [.logitBias, .minimumLength, .repetitionPenalty, .noRepeatNGram]
}

extension GenerationLimits {
    /// The range a logit bias may take (OpenAI's).
    public static let logitBiasRange: ClosedRange<Double> = -100...100

    /// The adjustments these limits make (those not neutral), in `LogitsAdjustment`'s order.
    var adjustments: [LogitsAdjustment] {
        LogitsAdjustment.allCases.filter { adjustment in
            switch adjustment {
            case .logitBias: !logitBias.isEmpty
            case .minimumLength: minNewTokens > 0
            case .repetitionPenalty: penalties.repetition != 1
            case .presencePenalty: penalties.presence != 0
            case .frequencyPenalty: penalties.frequency != 0
            case .noRepeatNGram: noRepeatNGramSize > 0
            }
        }
    }

    /// Checks the penalties, the logit bias (ids of a model of `vocabularySize` tokens, biases in
    /// −100 … 100), `minNewTokens` (0 … `maxNewTokens`), `noRepeatNGramSize` and that a repetition penalty or n-gram
    /// ban counting the beginning-of-sequence id has one; throws a message naming the bad value.
    public func validateLogitsProcessing(vocabularySize: Int) throws(GenerationError) {
        try validateRanges(vocabularySize: vocabularySize)
        try validatePenaltyContext(vocabularySize: vocabularySize)
    }

    /// Throws when the repetition penalty or the n-gram ban is to count ids of `repetitionContext` (no `promptTokens`)
    /// that are not the model's: a beginning-of-sequence id where none is known, or ids outside the vocabulary.
    private func validatePenaltyContext(vocabularySize: Int) throws(GenerationError) {
        guard penalties.repetition != 1 || noRepeatNGramSize > 0, promptTokens == nil else { return }
        let ids: [Int]
        switch repetitionContext {
        case .prompt, .output: return
        case .bos:
            guard let bos = bosTokenID else {
                throw .invalidOption("the repetition context 'bos' needs the model's beginning-of-sequence id, and its tokenizer has none: give the id instead (`--repetition-context 1`, a manifest's `repetition_context: [1]`)")
            }
            ids = [bos]
        case .ids(let given):
            guard given.count <= RepetitionContext.maximumIDs else { throw .invalidOption("the repetition context holds more than \(RepetitionContext.maximumIDs) ids") }
            ids = given
        }
        if let outside = ids.first(where: { !(0..<vocabularySize).contains($0) }) {
            throw .invalidOption("the repetition context: token id \(outside) is outside the vocabulary (0..<\(vocabularySize))")
        }
    }

    private func validateRanges(vocabularySize: Int) throws(GenerationError) {
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
        guard Self.noRepeatNGramRange.contains(noRepeatNGramSize) else {
            throw .invalidOption("no-repeat-ngram size must be in 0…\(Self.noRepeatNGramRange.upperBound) (got \(noRepeatNGramSize))")
        }
    }

    /// Checks the ranges (token ids only for being ≥ 0: no model is open yet), and that `method` applies every
    /// adjustment these limits make (`DecodingMethod.appliedAdjustments`).
    public func validateLogitsProcessing(for method: DecodingMethod) throws(GenerationError) {
        try validateRanges(vocabularySize: Int.max)
        try requireAdjustments(appliedBy: "decoding \(method.name)", method.appliedAdjustments)
    }

    /// Throws unless `applied` (what `method` applies) holds every adjustment these limits make; the message
    /// names the first that it does not.
    func requireAdjustments(appliedBy method: String, _ applied: Set<LogitsAdjustment>) throws(GenerationError) {
        guard let missing = adjustments.first(where: { !applied.contains($0) }) else { return }
        if applied.isEmpty {
            throw .invalidOption("\(method) applies no logit bias, minimum length, n-gram ban, or repetition, presence or frequency penalty: they are for greedy and sampled decoding, and all but the presence and frequency penalties for beam search and OPERA")
        }
        let names = LogitsAdjustment.allCases.filter(applied.contains).map(\.rawValue)
        let list = names.count > 1 ? names.dropLast().joined(separator: ", ") + " and " + (names.last ?? "") : names.joined()
        throw .invalidOption("\(method) applies no \(missing.rawValue): it is for greedy and sampled decoding (\(method) applies the \(list), as transformers' beam search does)")
    }
}

extension DecodingMethod {
    /// The limits' adjustments the method applies: all of them for greedy decoding and sampling; the logit bias,
    /// the minimum length, the repetition penalty and the n-gram ban for beam search and OPERA (`LogitsAdjustment.beamSearch`);
    /// none for VCD and DAMRO, which refuse all but neutral limits.
    public var appliedAdjustments: Set<LogitsAdjustment> {
        switch self {
        case .greedy, .sample: Set(LogitsAdjustment.allCases)
        case .beam, .opera: LogitsAdjustment.beamSearch
        default: []
        }
    }
}

/// What one greedy or sampled generation does to its next logits, or one beam of beam search or OPERA to its
/// log-probabilities, in vLLM's order: the logit bias, then the minimum length's mask of the end tokens and the
/// n-gram ban, then the penalties on the tokens seen (repetition, frequency, presence), all in f32 as transformers
/// and vLLM compute them. Only the logits of the tokens concerned cross to the host and back. (transformers' order,
/// bias → repetition → n-gram ban → minimum length, gives the same scores: a masked −∞ stays −∞ under the penalty.)
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
    /// `GenerationLimits.noRepeatNGramSize` (0: no ban).
    private let ngramSize: Int
    /// The context and the output in order, as transformers' `input_ids`, where an n-gram ban reads them.
    private var sequence: [Int]

    /// Nil when `limits` change no logit: nothing to track.
    init?(_ limits: GenerationLimits, prompt: [Int]) {
        let masksEnd = limits.minNewTokens > 0 && !limits.eosTokenIDs.isEmpty
        guard !limits.penalties.isNeutral || !limits.logitBias.isEmpty || masksEnd || limits.noRepeatNGramSize > 0 else { return nil }
        penalties = limits.penalties
        bias = limits.logitBias.mapValues { Float($0) }
        biasIDs = bias.keys.sorted()
        var endSeen = Set<Int>()
        endTokens = masksEnd ? limits.eosTokenIDs.filter { endSeen.insert($0).inserted } : []
        minNewTokens = limits.minNewTokens
        listed = penalties.repetition == 1 ? [] : Set(prompt.filter { $0 >= 0 })
        ids = Array(listed)
        ngramSize = limits.noRepeatNGramSize
        sequence = ngramSize > 0 ? prompt : []
    }

    /// Counts a token the generation chose.
    mutating func record(_ token: Int) {
        generated += 1
        if listed.insert(token).inserted { ids.append(token) }
        outputCounts[token, default: 0] += 1
        if ngramSize > 0 { sequence.append(token) }
    }

    /// The tokens that would repeat an n-gram of `sequence` (transformers' `NoRepeatNGramLogitsProcessor`): each
    /// window of `ngramSize` ids whose first n − 1 equal the last n − 1 ids bans its last; none while the sequence is
    /// shorter than n. A 1-gram ban bans every id the sequence holds.
    func ngramBans() -> Set<Int> {
        let n = ngramSize, count = sequence.count
        guard n > 0, count >= n else { return [] }
        let suffix = count - (n - 1)
        var banned = Set<Int>()
        for start in 0...(count - n) {
            var offset = 0
            while offset < n - 1, sequence[start + offset] == sequence[suffix + offset] { offset += 1 }
            if offset == n - 1 { banned.insert(sequence[start + n - 1]) }
        }
        return banned
    }

    /// `logits` [V] as f32 with the bias, the end tokens' mask, the n-gram ban and the penalties applied. Token ids outside
    /// 0..<V are ignored.
    func apply(_ logits: Tensor) -> Tensor {
        let vocabulary = logits.size(-1)
        let masking = generated < minNewTokens
        let banned = ngramBans()
        // Each id once, without a set of them all per step: `ids` are distinct, and the others join where not yet in.
        var touched = ids
        touched += biasIDs.filter { !listed.contains($0) }
        if masking { touched += endTokens.filter { !listed.contains($0) && bias[$0] == nil } }
        touched += banned.filter { !listed.contains($0) && bias[$0] == nil && !(masking && endTokens.contains($0)) }
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
            if banned.contains(id) { value = -.infinity }
            if repetition != 1, listed.contains(id) { value = value < 0 ? value * repetition : value / repetition }
            if let count = outputCounts[id] { value = value - frequency * Float(count) - presence }
            return value
        }
        return scores.indexCopying(axis: 0, index: index, source: Tensor(processed, shape: [touched.count]))
    }
}
