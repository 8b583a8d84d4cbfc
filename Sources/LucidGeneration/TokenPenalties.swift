import LucidTensor

/// Penalties on tokens already seen, applied to the logits before anything else (greedy and sampled
/// decoding, batched or not): Hugging Face's `repetition_penalty` and OpenAI's `presence_penalty` and
/// `frequency_penalty`, in vLLM's order (repetition, then frequency, then presence).
///
/// The defaults change nothing. Beam search, OPERA, VCD and DAMRO refuse penalties other than these:
/// the official code of each applies none (DAMRO's and VCD's samplers bypass transformers' processors).
public struct TokenPenalties: Sendable, Equatable {
    /// `repetition_penalty` (CTRL; 1 = off): the logit of every token of the prompt or of the output so
    /// far is divided by it where positive and multiplied by it where negative, as transformers'
    /// `RepetitionPenaltyLogitsProcessor` and vLLM do. Above 1 discourages repeats, below 1 favours them.
    public var repetition: Double
    /// `presence_penalty` (0 = off): subtracted once from the logit of every token the output holds.
    public var presence: Double
    /// `frequency_penalty` (0 = off): subtracted from a token's logit once per time the output holds it.
    public var frequency: Double

    public init(repetition: Double = 1, presence: Double = 0, frequency: Double = 0) {
        self.repetition = repetition
        self.presence = presence
        self.frequency = frequency
    }

    /// The range `repetition` may take: positive, and far enough from 0 and ∞ that f32 logits stay finite.
    public static let repetitionRange: ClosedRange<Double> = 0.001...1000
    /// The range of `presence` and `frequency`, as OpenAI's API documents it.
    public static let presenceRange: ClosedRange<Double> = -2...2

    /// Whether these penalties leave every logit as it is.
    public var isNeutral: Bool { repetition == 1 && presence == 0 && frequency == 0 }

    /// Checks ranges; throws a message naming the bad penalty.
    public func validate() throws(GenerationError) {
        guard Self.repetitionRange.contains(repetition) else {
            throw .invalidOption("repetition penalty must be in \(Self.repetitionRange.lowerBound)…\(Self.repetitionRange.upperBound) (got \(repetition))")
        }
        for (name, value) in [("presence", presence), ("frequency", frequency)] where !Self.presenceRange.contains(value) {
            throw .invalidOption("\(name) penalty must be in −2…2 (got \(value))")
        }
    }

    /// Checks ranges, and that `method` applies penalties (greedy and sampling do) unless they are neutral.
    public func validate(for method: DecodingMethod) throws(GenerationError) {
        try validate()
        if !method.appliesPenalties { try requireNeutral(for: "decoding \(method.name)") }
    }

    /// Throws unless these penalties are neutral: `method` (a decoding that is not greedy or sampling) applies none.
    func requireNeutral(for method: String) throws(GenerationError) {
        guard isNeutral else {
            throw .invalidOption("\(method) applies no repetition, presence or frequency penalty: they are for greedy and sampled decoding")
        }
    }
}

extension DecodingMethod {
    /// Whether the method applies `TokenPenalties` (greedy and sampling); the others refuse all but neutral ones.
    public var appliesPenalties: Bool {
        switch self {
        case .greedy, .sample: true
        default: false
        }
    }
}

/// The tokens one generation has seen, and the penalties they bring to its next logits.
struct PenaltyTracker {
    let penalties: TokenPenalties
    /// The distinct tokens whose logits change, in the order first seen: with a repetition penalty every
    /// token of the prompt and the output, else the output's alone. Kept step to step, not rebuilt.
    private var ids: [Int]
    private var listed: Set<Int>
    /// How often each token occurs in the output (presence and frequency).
    private var outputCounts: [Int: Int] = [:]

    /// Nil when `penalties` are neutral: nothing to track.
    init?(_ penalties: TokenPenalties, prompt: [Int]) {
        guard !penalties.isNeutral else { return nil }
        self.penalties = penalties
        listed = penalties.repetition == 1 ? [] : Set(prompt.filter { $0 >= 0 })
        ids = Array(listed)
    }

    /// Counts a token the generation chose.
    mutating func record(_ token: Int) {
        if listed.insert(token).inserted { ids.append(token) }
        outputCounts[token, default: 0] += 1
    }

    /// `logits` [V] as f32 with the penalties applied to the tokens seen, in f32 arithmetic as
    /// transformers and vLLM compute them. Token ids outside 0..<V are ignored.
    func apply(_ logits: Tensor) -> Tensor {
        let vocabulary = logits.size(-1)
        let ids = self.ids.filter { $0 < vocabulary }
        let scores = logits.to(.f32)
        guard !ids.isEmpty else { return scores }
        let index = Tensor(ids, shape: [ids.count])
        let repetition = Float(penalties.repetition), presence = Float(penalties.presence), frequency = Float(penalties.frequency)
        let values = scores.indexSelect(axis: 0, index: index).toArray(Float.self)
        let penalised = zip(ids, values).map { id, value -> Float in
            var value = value
            // With a repetition penalty every listed token is one the prompt or the output holds.
            if repetition != 1 { value = value < 0 ? value * repetition : value / repetition }
            if let count = outputCounts[id] { value = value - frequency * Float(count) - presence }
            return value
        }
        return scores.indexCopying(axis: 0, index: index, source: Tensor(penalised, shape: [ids.count]))
    }
}
