import LucidGeneration
import LucidRuns

/// What a chat or text completion asks of its generations, validated: the method, length, stops,
/// choices, streaming and log-probabilities (the fields both endpoints share, read the same way).
public struct GenerationSettings: Sendable {
    /// The decoding method (from `decoding`, else `temperature`/`top_k`/`top_p`: greedy when absent or 0).
    public var method: DecodingMethod
    public var maxTokens: Int
    public var stop: [String]
    public var stream: Bool
    /// `stream_options.include_usage`: a last chunk with `usage`.
    public var includeUsage: Bool
    /// Choices per prompt; above 1 only for sampling methods, choice i seeded with `seed + i`.
    public var choices: Int
    public var seed: UInt64
    /// How many alternatives each token reports with its own log-probability (0 … 20); nil: none are
    /// computed. Every method reports them.
    public var topLogprobs: Int?
    /// vLLM's `ignore_eos`: generation ends at `max_tokens` or a stop string, not at the model's end tokens.
    public var ignoresEOS: Bool
    /// OpenAI's `presence_penalty` and `frequency_penalty` (−2 … 2) and vLLM's `repetition_penalty`
    /// (0.001 … 1000): greedy and sampled decoding apply them; another method with one off its neutral value is a 400.
    public var penalties: TokenPenalties
    /// OpenAI's `logit_bias` (token id → −100 … 100): greedy and sampled decoding apply it; another method
    /// with one is a 400. (vLLM's `min_p`, 0 … 1, is in the sampling parameters; greedy decoding takes it and
    /// is unchanged by it, its argmax always staying.)
    public var logitBias: [Int: Double]
    /// vLLM's `min_tokens` (0 … `maxTokens`): no end token before that many new tokens, as for `logitBias`.
    public var minTokens: Int
    /// transformers' `no_repeat_ngram_size` (0 … `noRepeatNGramRange`, 0 = off; Lucid's, as `decoding` is): no n-gram of
    /// that many tokens occurs twice in the prompt and output; greedy, sampled, beam-search and OPERA decoding apply it,
    /// as for `logitBias`.
    public var noRepeatNGramSize: Int
    /// The n a public server allows: the ban compares the prompt and output with the last n − 1 ids at every step of
    /// every beam, which a repetitive prompt and a large n would make O(length × n); n-gram bans in use are 2 … 10.
    public static let noRepeatNGramRange = 0...64

    /// The shared fields of `body`, with the endpoint's own reading of `max_tokens` and of log-probabilities.
    init(body: [String: JSONValue], limits: ServerLimits, maxTokens: Int, topLogprobs: Int?) throws(APIError) {
        self.maxTokens = maxTokens
        self.topLogprobs = topLogprobs
        stop = try RequestFields.stops(body["stop"], limits: limits)
        stream = try RequestFields.optionalBool(body, "stream") ?? false
        if let options = body["stream_options"], options != .null {
            guard let object = options.objectValue else { throw .invalid("'stream_options' must be an object", param: "stream_options") }
            includeUsage = try RequestFields.optionalBool(object, "include_usage", param: "stream_options.include_usage") ?? false
        } else {
            includeUsage = false
        }
        choices = try RequestFields.optionalInt(body, "n", in: 1...limits.maxChoices) ?? 1
        try RequestFields.refuseUnhonoured(in: body)
        let seedValue = try RequestFields.optionalInt(body, "seed", in: 0...Int.max) ?? 0
        seed = UInt64(seedValue)
        let temperature = try RequestFields.optionalNumber(body, "temperature", in: 0...2)
        let topP = try RequestFields.optionalNumber(body, "top_p", in: 0...1)
        if let topP, topP <= 0 { throw .invalid("'top_p' must be in (0, 1] (got \(topP))", param: "top_p") }
        // vLLM's `top_k`: -1 and 0 keep every token, as Lucid's 0 does.
        let topK = try RequestFields.optionalInt(body, "top_k", in: -1...DecodingRequest.topKRange.upperBound).map { max($0, 0) }
        let minP = try RequestFields.optionalNumber(body, "min_p", in: 0...1)
        ignoresEOS = try RequestFields.optionalBool(body, "ignore_eos") ?? false
        if let decoding = body["decoding"], decoding != .null {
            method = try DecodingRequest.method(decoding, temperature: temperature, topK: topK, topP: topP, minP: minP, seed: seedValue)
        } else if let temperature, temperature > 0 {
            method = .sample(SamplingParameters(temperature: temperature, topK: topK ?? 0, topP: topP ?? 1, seed: seed, minP: minP ?? 0))
        } else {
            method = .greedy
        }
        penalties = TokenPenalties(
            repetition: try RequestFields.optionalNumber(body, "repetition_penalty", in: TokenPenalties.repetitionRange) ?? 1,
            presence: try RequestFields.optionalNumber(body, "presence_penalty", in: TokenPenalties.presenceRange) ?? 0,
            frequency: try RequestFields.optionalNumber(body, "frequency_penalty", in: TokenPenalties.presenceRange) ?? 0)
        logitBias = try RequestFields.logitBias(body["logit_bias"])
        minTokens = try RequestFields.optionalInt(body, "min_tokens", in: 0...GenerationLimits.maximumNewTokens) ?? 0
        noRepeatNGramSize = try RequestFields.optionalInt(body, "no_repeat_ngram_size", in: Self.noRepeatNGramRange) ?? 0
        if minTokens > maxTokens {
            throw .invalid("'min_tokens' \(minTokens) must not exceed max_tokens \(maxTokens)", param: "min_tokens")
        }
        // Min-p (no adjustment: a sampling warper) never drops the most likely token, so greedy decoding takes it
        // unchanged, as vLLM's does; beam search and OPERA do not sample and refuse it.
        let applied = method.appliedAdjustments
        let takesMinP = switch method { case .greedy, .sample: true; default: false }
        let fields: [(name: String, adjustment: LogitsAdjustment?, set: Bool, neutral: String)] = [
            ("repetition_penalty", .repetitionPenalty, penalties.repetition != 1, "1"), ("presence_penalty", .presencePenalty, penalties.presence != 0, "0"),
            ("frequency_penalty", .frequencyPenalty, penalties.frequency != 0, "0"), ("logit_bias", .logitBias, !logitBias.isEmpty, "{}"),
            ("min_tokens", .minimumLength, minTokens > 0, "0"), ("no_repeat_ngram_size", .noRepeatNGram, noRepeatNGramSize > 0, "0"),
            ("min_p", nil, (minP ?? 0) > 0, "0")]
        if let field = fields.first(where: { $0.set && !($0.adjustment.map(applied.contains) ?? takesMinP) }) {
            let methods = field.adjustment.map(LogitsAdjustment.beamSearch.contains) == true ? "greedy, sampled, beam-search and OPERA" : "greedy and sampled"
            throw .invalid("'\(field.name)' is not supported with decoding \(method.name): it applies to \(methods) decoding (\(field.neutral) or leave it out)",
                           param: field.name, code: "unsupported_parameter")
        }
        if choices > 1 && !samples {
            throw .invalid("n = \(choices) needs a sampling method (a temperature > 0): \(method.name) gives one answer", param: "n")
        }
    }

    /// The method for choice `index` (sampling seeds advance by the index; VCD's noise stays).
    public func method(choice index: Int) -> DecodingMethod {
        guard index > 0 else { return method }
        let seedOffset = UInt64(index)
        switch method {
        case .sample(var sampling):
            sampling.seed = sampling.seed &+ seedOffset
            return .sample(sampling)
        case .vcd(var contrastive, let step, let noiseSeed):
            if var sampling = contrastive.sampling {
                sampling.seed = sampling.seed &+ seedOffset
                contrastive.sampling = sampling
            }
            return .vcd(contrastive, noiseStep: step, noiseSeed: noiseSeed)
        case .damro(var contrastive, let outliers, let attention):
            if var sampling = contrastive.sampling {
                sampling.seed = sampling.seed &+ seedOffset
                contrastive.sampling = sampling
            }
            return .damro(contrastive, outliers: outliers, attention: attention)
        default: return method
        }
    }

    /// Whether the method samples (so several choices differ).
    public var samples: Bool {
        switch method {
        case .sample: return true
        case .vcd(let c, _, _), .damro(let c, _, _): return c.sampling != nil
        default: return false
        }
    }
}
