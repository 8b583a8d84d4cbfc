import LucidTensor

/// Penalties on tokens already seen, applied to the logits before anything else (greedy and sampled
/// decoding, batched or not): Hugging Face's `repetition_penalty` and OpenAI's `presence_penalty` and
/// `frequency_penalty`, in vLLM's order (repetition, then frequency, then presence).
///
/// The defaults change nothing. Beam search and OPERA apply the repetition penalty (as transformers' beam search
/// does, to each beam's log-probabilities) and refuse the other two, which transformers has not. VCD and DAMRO
/// refuse all three unless neutral (their samplers bypass transformers' processors).
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
}
