import LucidModels
import LucidTensor

/// How the next tokens are chosen. Strategies are values; the `GenerationDriver` runs them.
public enum DecodingStrategy: Sendable, Equatable {
    /// The most likely token at every step.
    case greedy
    /// Seeded sampling with Hugging Face's warper order: temperature, then top-k, then top-p.
    case sampling(SamplingParameters)
    /// Beam search with Hugging Face's scoring, hypothesis bookkeeping and stopping rules.
    case beamSearch(BeamSearchParameters)

    /// A short name for reports and JSON (`greedy`, `sample`, `beam`).
    public var name: String {
        switch self {
        case .greedy: return "greedy"
        case .sampling: return "sample"
        case .beamSearch: return "beam"
        }
    }
}

/// Parameters of `DecodingStrategy.sampling`.
public struct SamplingParameters: Sendable, Equatable {
    /// Divides the logits; must be > 0.
    public var temperature: Double
    /// Keeps the k most likely tokens (0 = off).
    public var topK: Int
    /// Keeps the smallest set of tokens whose probability reaches p (1 = off).
    public var topP: Double
    /// Seeds the sampler's own generator, so runs repeat exactly.
    public var seed: UInt64
    /// Drops the tokens less likely than min-p × the most likely one, after top-p (0 = off; 0 … 1).
    public var minP: Double

    public init(temperature: Double = 1, topK: Int = 0, topP: Double = 1, seed: UInt64 = 0, minP: Double = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
        self.minP = minP
    }

    /// Checks ranges; throws a message naming the bad option.
    public func validate() throws(GenerationError) {
        guard temperature > 0, temperature.isFinite else { throw .invalidOption("temperature must be > 0 (got \(temperature))") }
        guard topK >= 0 else { throw .invalidOption("top-k must be ≥ 0 (got \(topK))") }
        guard topP > 0, topP <= 1 else { throw .invalidOption("top-p must be in (0, 1] (got \(topP))") }
        guard (0...1).contains(minP) else { throw .invalidOption("min-p must be in 0…1 (got \(minP))") }
    }
}

/// When beam search stops, as Hugging Face's `early_stopping`.
public enum EarlyStopping: Sendable, Equatable {
    /// Stop once `beams` hypotheses are finished (`True`).
    case whenFinished
    /// Stop when no running beam can beat the worst finished one, judged at the current length (`False`, the default).
    case heuristic
    /// Stop only when no beam can improve, judged at the maximum length (`"never"`).
    case never
}

/// Parameters of `DecodingStrategy.beamSearch`.
public struct BeamSearchParameters: Sendable, Equatable {
    public var beams: Int
    /// Hypothesis score = sum of log-probabilities / length^lengthPenalty.
    public var lengthPenalty: Double
    public var earlyStopping: EarlyStopping
    /// What that length counts: the new tokens (current transformers, the default) or the whole sequence
    /// (transformers 4.29).
    public var hypothesisLength: HypothesisLength

    public init(beams: Int = 3, lengthPenalty: Double = 1, earlyStopping: EarlyStopping = .heuristic, hypothesisLength: HypothesisLength = .new) {
        self.beams = beams
        self.lengthPenalty = lengthPenalty
        self.earlyStopping = earlyStopping
        self.hypothesisLength = hypothesisLength
    }

    public func validate() throws(GenerationError) {
        guard beams >= 1 && beams <= 64 else { throw .invalidOption("beams must be in 1…64 (got \(beams))") }
        guard lengthPenalty.isFinite else { throw .invalidOption("length penalty must be finite") }
    }
}

/// A generation request that cannot run.
public enum GenerationError: Error, CustomStringConvertible, Equatable {
    case invalidOption(String)
    case emptyPrompt
    case promptTooLong(tokens: Int, limit: Int)
    case tokenOutOfRange(id: Int, vocabularySize: Int)
    /// The model's logits held NaN or ±∞ at this decode step (0 = after the prompt): broken weights, or
    /// activations that overflowed the dtype (f16 above 65,504; inputs are checked before they reach the
    /// model); `GenerationLimits.allowsNonFiniteLogits` decodes on anyway.
    case nonFiniteLogits(step: Int)

    public var description: String {
        switch self {
        case .invalidOption(let message): return message
        case .emptyPrompt: return "the prompt is empty: at least one token is needed"
        case .promptTooLong(let tokens, let limit):
            return "the prompt has \(tokens) tokens plus the requested new tokens, over the model's context of \(limit)"
        case .tokenOutOfRange(let id, let size): return "token id \(id) is outside the vocabulary (0..<\(size))"
        case .nonFiniteLogits(let step):
            return "the model's logits contain NaN or infinity at decode step \(step): broken weights, or activations past the dtype's range (f16 overflows above 65,504: try bf16 or f32); `lucid generate --allow-non-finite` decodes on anyway"
        }
    }
}
