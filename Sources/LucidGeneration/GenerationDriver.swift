import Foundation
import LucidModels
import LucidTensor

/// Limits and stopping rules of one generation.
public struct GenerationLimits {
    public var maxNewTokens: Int
    /// Any of these ends a sequence (and is kept as its last token, in beam search too).
    public var eosTokenIDs: [Int]
    /// Generation stops once the decoded continuation contains one of these; the text is cut before it.
    /// Beam search treats a candidate that completes one as an ended hypothesis, as transformers does.
    public var stopStrings: [String]
    /// Turns token ids into text, for stop strings.
    public var decode: (([Int]) -> String)?
    /// Decode on when logits contain NaN or ±∞ (research on broken weights); off by default, when
    /// such logits end generation with `GenerationError.nonFiniteLogits`.
    public var allowsNonFiniteLogits = false
    /// Asked before every decode step; true ends the generation with finish reason `cancelled`
    /// (a server's client went away or its deadline passed). Beam searches end early with their best so far.
    public var isCancelled: (() -> Bool)?
    /// Repetition, presence and frequency penalties (neutral by default): greedy and sampled decoding apply all
    /// three, beam search and OPERA the repetition penalty (`DecodingMethod.appliedAdjustments`).
    public var penalties = TokenPenalties()
    /// The token ids that `penalties.repetition` and the n-gram ban count besides the output. Nil takes them from
    /// `repetitionContext`: by default a `.tokens` prefill's ids (an embeddings prefill then counts the output
    /// only); `Decoding.generate` gives its ids, image placeholders included, as transformers counts `input_ids`.
    public var promptTokens: [Int]?
    /// Which tokens the repetition penalty and the n-gram ban count besides the output when `promptTokens` is nil: the prompt's
    /// (default), the beginning-of-sequence id alone, or none.
    public var repetitionContext = RepetitionContext.prompt
    /// The model's beginning-of-sequence id, which `repetitionContext` `.bos` counts (needed for it).
    public var bosTokenID: Int?
    /// OpenAI's `logit_bias`: added to the logit of each token id (−100 … 100) before the penalties
    /// (greedy and sampled decoding; beam search and OPERA add it to the log-probabilities). Ids must be the
    /// model's (0 ..< vocabulary).
    public var logitBias: [Int: Double] = [:]
    /// The end tokens (`eosTokenIDs`) cannot be chosen before this many new tokens (0 … `maxNewTokens`):
    /// transformers' `min_new_tokens`, vLLM's `min_tokens` (greedy and sampled decoding, beam search, OPERA).
    /// Stop strings still end generation, as transformers' do.
    public var minNewTokens = 0
    /// transformers' `no_repeat_ngram_size` (0 = off): a token that would make an n-gram of this many tokens occur
    /// twice gets −∞, over the ids `repetitionContext` names (the prompt's by default, as transformers reads a decoder's
    /// `input_ids`) and the output (greedy and sampled decoding, beam search and OPERA; each beam its own).
    public var noRepeatNGramSize = 0
    /// The range `noRepeatNGramSize` may take (bounded as `maxNewTokens` is; any n beyond a sequence's length bans nothing).
    public static let noRepeatNGramRange = 0...maximumNewTokens

    public init(maxNewTokens: Int, eosTokenIDs: [Int] = [], stopStrings: [String] = [], decode: (([Int]) -> String)? = nil,
                isCancelled: (() -> Bool)? = nil) {
        self.maxNewTokens = maxNewTokens
        self.eosTokenIDs = eosTokenIDs
        self.stopStrings = stopStrings
        self.decode = decode
        self.isCancelled = isCancelled
    }

    /// The most new tokens any request may ask for (2²⁰): far beyond every supported context, and
    /// small enough that lengths computed from it never overflow.
    public static let maximumNewTokens = 1 << 20

    /// Throws `.nonFiniteLogits` when `logits` hold NaN or ±∞, unless `allowsNonFiniteLogits`.
    public func checkFinite(_ logits: Tensor, step: Int) throws(GenerationError) {
        if !allowsNonFiniteLogits, !logits.isAllFinite { throw .nonFiniteLogits(step: step) }
    }

    /// Checks `maxNewTokens` (0…`maximumNewTokens`) and that the prompt plus the new tokens fit
    /// `contextLength`, without overflowing on huge requests.
    public func check(promptLength: Int, contextLength: Int?) throws(GenerationError) {
        guard (0...Self.maximumNewTokens).contains(maxNewTokens) else {
            throw .invalidOption("max new tokens must be in 0…\(Self.maximumNewTokens) (got \(maxNewTokens))")
        }
        if let limit = contextLength, promptLength > limit - maxNewTokens {
            throw .promptTooLong(tokens: promptLength, limit: limit)
        }
    }

    /// Whether the caller asked to stop.
    var cancelled: Bool { isCancelled?() ?? false }

    /// What applies the logit bias, the minimum length and the penalties over a generation from `prefill`;
    /// nil when they change nothing.
    func logitsProcessor(for prefill: Prefill) -> LogitsProcessor? {
        LogitsProcessor(self, prompt: penaltyContext(prompt: prefill.tokenIDs))
    }

    /// The ids the repetition penalty counts besides the output, for a prompt of `ids` (nil where only its
    /// embeddings are known): `promptTokens`, else those `repetitionContext` names.
    func penaltyContext(prompt ids: [Int]?) -> [Int] {
        promptTokens ?? repetitionContext.tokens(prompt: ids, bos: bosTokenID)
    }

    /// How many ids generation started from, as transformers' `input_ids` held them before the first new token
    /// (`HypothesisLength.sequence` counts them): `penaltyContext`'s, a `bos` context's one whether or not its id
    /// is known.
    func startLength(prompt ids: [Int]?) -> Int {
        promptTokens == nil && repetitionContext == .bos ? 1 : penaltyContext(prompt: ids).count
    }
}

/// Counters and timings of one generation.
public struct GenerationStatistics: Codable, Sendable, Equatable {
    /// Positions prefilled: the prompt's, and VCD/DAMRO's contrastive view's beside it.
    public var prefillTokens = 0
    /// The prompt's length as the language model reads it (text tokens plus image features): what
    /// `generate --json` and run results report as `prompt_tokens`, whatever the method prefills
    /// besides. Not encoded: `stats` keeps its keys.
    public var promptTokens = 0
    public var decodeTokens = 0
    public var forwardPasses = 0
    public var prefillSeconds = 0.0
    public var decodeSeconds = 0.0
    /// Peak resident set size of the process so far, in bytes.
    public var peakRSSBytes = 0
    /// CPU seconds the calling thread spent in the token-by-token decode loop (greedy and sampled
    /// decoding; 0 elsewhere). With one intra-op thread this is all of the decode's work, and unlike
    /// `decodeSeconds` it does not count time the thread waited for a core on a busy machine
    /// (`lucid bench generate`). Not encoded: results files keep their keys.
    public var decodeThreadCPUSeconds = 0.0

    public init() {}

    public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(decodeTokens) / decodeSeconds : 0 }
    public var prefillTokensPerSecond: Double { prefillSeconds > 0 ? Double(prefillTokens) / prefillSeconds : 0 }

    enum CodingKeys: String, CodingKey {
        case prefillTokens = "prefill_tokens", decodeTokens = "decode_tokens", forwardPasses = "forward_passes"
        case prefillSeconds = "prefill_seconds", decodeSeconds = "decode_seconds", peakRSSBytes = "peak_rss_bytes"
    }
}

/// Why a generation stopped; the raw values are what results files and JSON output say.
public enum FinishReason: String, Sendable, Codable, CaseIterable {
    /// An end-of-sequence token (kept as the last token).
    case eos
    /// `maxNewTokens` reached.
    case length
    /// A stop string appeared in the decoded text.
    case stopString = "stop_string"
    /// A defence's gate answered instead of the model (`Decoding.generate`).
    case refused
    /// `GenerationLimits.isCancelled` said stop.
    case cancelled
}

/// The output of one generation.
public struct GenerationResult {
    /// New token ids (EOS included when it ended the sequence).
    public var tokens: [Int]
    /// Why generation stopped.
    public var finishReason: FinishReason
    /// The stop string that ended generation, if any.
    public var stopString: String?
    /// Beam search: the chosen hypothesis's score (sum of log-probabilities / length^penalty).
    public var score: Double?
    public var statistics: GenerationStatistics
    /// Each token's log-probability and the most likely alternatives, one per token, where asked
    /// (`LogprobsRequest`); nil otherwise (and for a beam search that was cancelled).
    public var logprobs: [TokenLogprobs]?
    /// The prompt's tokens after the first, each given those before it, where asked
    /// (`ContinuousBatch.join(scoringPrompt:)`); nil otherwise.
    public var promptLogprobs: [TokenLogprobs]?

    public init(tokens: [Int], finishReason: FinishReason, stopString: String? = nil, score: Double? = nil,
                statistics: GenerationStatistics = GenerationStatistics()) {
        self.tokens = tokens
        self.finishReason = finishReason
        self.stopString = stopString
        self.score = score
        self.statistics = statistics
    }
}

/// What goes in before the first new token: token ids, or embeddings the caller built (e.g. text
/// with image features spliced in).
public enum Prefill {
    case tokens([Int])
    /// Embeddings [1, T, D]; `tokenCount` is T, for statistics.
    case embeddings(Tensor)
    /// Embeddings [1, T, D] with explicit RoPE positions ([T], or M-RoPE's [3, 1, T]); new tokens continue
    /// after the largest position.
    case positionedEmbeddings(Tensor, positions: Tensor)

    /// The ids of a `.tokens` prefill.
    var tokenIDs: [Int]? {
        if case .tokens(let ids) = self { return ids }
        return nil
    }

    /// The embeddings of an `.embeddings` or `.positionedEmbeddings` prefill.
    public var embeddings: Tensor? {
        switch self {
        case .tokens: nil
        case .embeddings(let e), .positionedEmbeddings(let e, _): e
        }
    }
}

extension Prefill {
    /// Positions the prefill fills (its tokens, or its embeddings' length).
    public var length: Int {
        switch self {
        case .tokens(let ids): ids.count
        case .embeddings(let e), .positionedEmbeddings(let e, _): e.size(1)
        }
    }

    /// One forward pass of this prefill on `model` with `options`, at its explicit positions where it has them.
    public func forward(on model: any CausalLanguageModel, cache: KVCache?, options: ForwardOptions) -> ForwardTrace {
        switch self {
        case .tokens(let ids): return model.forward(tokens: Tensor(ids, shape: [1, ids.count]), cache: cache, options: options)
        case .embeddings(let embeddings): return model.forward(embeddings: embeddings, cache: cache, options: options)
        case .positionedEmbeddings(let embeddings, let positions):
            var positioned = options
            positioned.positions = positions
            return model.forward(embeddings: embeddings, cache: cache, options: positioned)
        }
    }
}

/// Runs decoding strategies over a `CausalLanguageModel`: prefill, step, stopping, streaming, statistics.
public final class GenerationDriver {
    public let model: any CausalLanguageModel

    /// Residual-stream rewrites applied in every forward pass of greedy and sampling decoding
    /// (prefill and each new token), e.g. SCAV's embedding-level steering at the last position.
    public var interventions: [ResidualIntervention] = []

    public init(model: any CausalLanguageModel, interventions: [ResidualIntervention] = []) {
        self.model = model
        self.interventions = interventions
    }

    /// Generates a continuation of `prefill` with `strategy`; `onToken` streams tokens as they are
    /// chosen (greedy and sampling; beam search reports its best hypothesis at the end). `logprobs`:
    /// each token's log-probability and alternatives, streamed with it and in the result's `logprobs`.
    public func generate(_ prefill: Prefill, strategy: DecodingStrategy, limits: GenerationLimits, logprobs: LogprobsRequest? = nil,
                         onToken: TokenHandler? = nil) throws(GenerationError) -> GenerationResult {
        if case .tokens(let ids) = prefill {
            guard !ids.isEmpty else { throw .emptyPrompt }
            if let bad = ids.first(where: { $0 < 0 || $0 >= model.vocabularySize }) {
                throw .tokenOutOfRange(id: bad, vocabularySize: model.vocabularySize)
            }
        }
        try logprobs?.validate()
        let promptLength: Int
        switch prefill {
        case .tokens(let ids): promptLength = ids.count
        case .embeddings(let e), .positionedEmbeddings(let e, _): promptLength = e.size(1)
        }
        try limits.check(promptLength: promptLength, contextLength: model.contextLength)
        try limits.validateLogitsProcessing(vocabularySize: model.vocabularySize)
        return try withNoGrad { () throws(GenerationError) -> GenerationResult in
            switch strategy {
            case .greedy:
                return try runSingle(prefill, limits: limits, logprobs: logprobs, onToken: onToken) { logits in (logits.argmax(axis: -1).intValue, nil) }
            case .sampling(let parameters):
                try parameters.validate()
                let generator = LucidTensor.Generator(seed: parameters.seed)
                return try runSingle(prefill, limits: limits, logprobs: logprobs, onToken: onToken) { logits throws(GenerationError) in
                    let scores = parameters.warp(logits)
                    return (try Self.sample(scores, generator: generator, temperature: parameters.temperature), scores)
                }
            case .beamSearch(let parameters):
                try parameters.validate()
                guard 2 * parameters.beams <= model.vocabularySize else {
                    throw .invalidOption("beam search: 2 × beams (\(2 * parameters.beams)) must not exceed the vocabulary (\(model.vocabularySize))")
                }
                guard interventions.isEmpty else { throw .invalidOption("residual interventions apply to greedy and sampling decoding, not beam search") }
                try limits.requireAdjustments(appliedBy: "beam search", LogitsAdjustment.beamSearch)
                return try BeamSearch(model: model, parameters: parameters).run(prefill, limits: limits, logprobs: logprobs, onToken: onToken,
                                                                             runPrefill: runPrefill)
            }
        }
    }

    /// Runs the prompt through a fresh cache; returns last-position logits [1, V] and the cache.
    func runPrefill(_ prefill: Prefill, statistics: inout GenerationStatistics) -> (Tensor, KVCache) {
        let cache = model.makeCache()
        let start = DispatchTime.now().uptimeNanoseconds
        let trace = prefill.forward(on: model, cache: cache, options: ForwardOptions(logits: .last, interventions: interventions))
        statistics.prefillTokens = prefill.length
        statistics.promptTokens = statistics.prefillTokens  // one prompt, prefilled once
        statistics.forwardPasses += 1
        guard let logits = trace.logits else { fatalError("prefill produced no logits") }
        // Decoders score on the host (the same seed samples the same tokens on every device); the copy
        // also waits for an asynchronous device, so the time below includes its work.
        let last = logits.selected(axis: 1, index: -1).to(.cpu)
        statistics.prefillSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return (last, cache)
    }

    /// One token drawn from softmax(`scores`); probabilities libtorch cannot sample (NaN after an
    /// underflowing temperature, all zero) are a `GenerationError`, not a trap.
    static func sample(_ scores: Tensor, generator: LucidTensor.Generator, temperature: Double) throws(GenerationError) -> Int {
        do { return try scores.softmax(axis: -1).tryMultinomial(1, generator: generator).intValue } catch {
            throw .invalidOption("cannot sample at temperature \(temperature): \(error.message)")
        }
    }

    /// Greedy or sampled decoding: `choose` picks a token from the step's logits [V] (after the limits'
    /// logit bias, minimum length and penalties) and gives the scores it chose from where they differ
    /// (the processed log-probabilities).
    private func runSingle(_ prefill: Prefill, limits: GenerationLimits, logprobs: LogprobsRequest?, onToken: TokenHandler?,
                           choose: (Tensor) throws(GenerationError) -> (Int, Tensor?)) throws(GenerationError) -> GenerationResult {
        var statistics = GenerationStatistics()
        let (firstLogits, cache) = runPrefill(prefill, statistics: &statistics)
        var logits = firstLogits
        var processor = limits.logitsProcessor(for: prefill)
        return try DecodeLoop.run(limits: limits, statistics: statistics, logprobs: logprobs, onToken: onToken) { (step: Int) throws(GenerationError) in
            try limits.checkFinite(logits, step: step)
            let row = logits.selected(axis: 0, index: 0)
            let processed = processor?.apply(row) ?? row
            let (token, scores) = try choose(processed)
            processor?.record(token)
            return (token, logprobs?.entry(logits: row, scores: scores ?? processed, chosen: token))
        } advance: { next in
            let trace = model.forward(tokens: Tensor([next], shape: [1, 1]), cache: cache,
                                      options: ForwardOptions(logits: .last, interventions: interventions))
            guard let stepLogits = trace.logits else { fatalError("decode step produced no logits") }
            logits = stepLogits.selected(axis: 1, index: -1).to(.cpu)
        }
    }
}

/// Receives each token as it is chosen, with its log-probabilities where they were asked for.
public typealias TokenHandler = (_ token: Int, _ logprobs: TokenLogprobs?) -> Void

/// The token-by-token loop of greedy, sampled and contrastive decoding: `choose` picks the token of
/// step `step` (checking its logits) with its log-probabilities where `logprobs` asks for them, `advance`
/// runs the forward pass that feeds the token back. Stops at an EOS token, a stop string,
/// `maxNewTokens` or cancellation; fills the decode statistics.
enum DecodeLoop {
    static func run(limits: GenerationLimits, statistics: GenerationStatistics, logprobs: LogprobsRequest?, onToken: TokenHandler?,
                    choose: (_ step: Int) throws(GenerationError) -> (Int, TokenLogprobs?),
                    advance: (_ token: Int) -> Void) throws(GenerationError) -> GenerationResult {
        var statistics = statistics
        var tokens: [Int] = []
        var entries: [TokenLogprobs] = []
        var reason = FinishReason.length
        var stopString: String?
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = ResourceUsage.threadCPUSeconds
        while tokens.count < limits.maxNewTokens {
            let (next, entry) = try choose(tokens.count)
            tokens.append(next)
            if let entry { entries.append(entry) }
            onToken?(next, entry)
            if limits.eosTokenIDs.contains(next) { reason = .eos; break }
            if let hit = StopStrings.firstMatch(limits, tokens) { reason = .stopString; stopString = hit; break }
            if tokens.count == limits.maxNewTokens { break }
            if limits.cancelled { reason = .cancelled; break }
            advance(next)
            statistics.forwardPasses += 1
        }
        statistics.decodeTokens = tokens.count
        statistics.decodeSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        statistics.decodeThreadCPUSeconds = ResourceUsage.threadCPUSeconds - cpuStart
        statistics.peakRSSBytes = ResourceUsage.peakRSSBytes
        var result = GenerationResult(tokens: tokens, finishReason: reason, stopString: stopString, score: nil, statistics: statistics)
        if logprobs != nil { result.logprobs = entries }
        return result
    }
}

/// Process resource usage.
public enum ResourceUsage {
    /// Peak resident set size in bytes (getrusage; kilobytes on Linux).
    public static var peakRSSBytes: Int {
        var usage = rusage()
        #if os(Linux)
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        #else
        guard getrusage(RUSAGE_SELF, &usage) == 0 else { return 0 }
        #endif
        #if os(Linux)
        return usage.ru_maxrss * 1024
        #else
        return usage.ru_maxrss
        #endif
    }

    /// CPU time of the calling thread in seconds (CLOCK_THREAD_CPUTIME_ID; 0 if unavailable).
    public static var threadCPUSeconds: Double {
        var time = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time) == 0 else { return 0 }
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
