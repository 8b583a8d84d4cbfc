import Foundation
import LucidModels
import LucidTensor

/// Greedy and sampled generations decoded together: rows join a running batch after their own
/// prefill, every `step()` is one forward pass over all active rows, and rows leave when they end.
///
/// Each row keeps its own positions: its prefill runs alone (positions 0 ..< prompt length, the same
/// pass `GenerationDriver` makes), its keys join the batch cache right-aligned (left-padded with
/// zeros that a padding mask hides), and its decode tokens go in at its own RoPE positions
/// (`ForwardOptions.positions` [B, 1]): an M-RoPE prompt's (Qwen2-VL) continue after its largest
/// position, where every section is the same and M-RoPE is plain RoPE. A row therefore computes what it
/// would alone, up to the rounding of a wider attention sum; a batch of one row makes exactly
/// `GenerationDriver`'s passes (a lone M-RoPE row gives its positions explicitly: the same ones).
/// Beam search, OPERA and contrastive decoding keep several rows per request and are not batched.
public final class ContinuousBatch {
    /// One row's identity within this batch.
    public struct RowID: Hashable, Sendable {
        public let value: Int
    }

    /// What a `join` or `step` produced, in order.
    public enum Event {
        /// A row chose a token: with its log-probabilities where the row asks for them (as they stream; the
        /// result holds them all).
        case token(RowID, Int, logprobs: TokenLogprobs?)
        /// A row ended (and left the batch).
        case finished(RowID, GenerationResult)
        /// A row's logits held NaN or ±∞ (unless its limits allow them, as `GenerationDriver` refuses
        /// them): it ended without a result, and left the batch.
        case failed(RowID, GenerationError)
    }

    final class Row {
        let id: RowID
        let limits: GenerationLimits
        let generator: LucidTensor.Generator?
        let sampling: SamplingParameters?
        /// The limits' logit bias, minimum length and penalties; nil when they change nothing.
        var processor: LogitsProcessor?
        /// What each step reports of the chosen token's log-probability; nil: none are computed.
        let logprobs: LogprobsRequest?
        var tokenLogprobs: [TokenLogprobs] = []
        /// The prompt's log-probabilities, when the row scored its prompt.
        var promptLogprobs: [TokenLogprobs]?
        var tokens: [Int] = []
        /// RoPE position of `lastToken`, the row's next input.
        var position: Int
        var lastToken = 0
        /// Leading cache positions that are padding for this row.
        var padding = 0
        var statistics: GenerationStatistics
        let decodeStart: UInt64

        init(id: RowID, limits: GenerationLimits, sampling: SamplingParameters?, logprobs: LogprobsRequest?, position: Int, statistics: GenerationStatistics) {
            self.id = id
            self.limits = limits
            self.sampling = sampling
            self.logprobs = logprobs
            generator = sampling.map { LucidTensor.Generator(seed: $0.seed) }
            self.position = position
            self.statistics = statistics
            decodeStart = DispatchTime.now().uptimeNanoseconds
        }
    }

    public let model: any CausalLanguageModel
    private var rows: [Row] = []
    private let cache: KVCache
    private var nextID = 0

    public init(model: any CausalLanguageModel) {
        self.model = model
        cache = model.makeCache()
    }

    /// Rows decoding now.
    public var activeRows: Int { rows.count }

    /// Cache positions the batch holds (the longest row plus padding), for tests and metrics.
    public var cacheLength: Int { cache.length }

    /// Runs `prefill` as a new row (its own forward pass) and chooses its first token; the row joins
    /// the batch unless that token already ended it. `strategy` is `.greedy` or `.sampling`.
    /// `logprobs`: each token's log-probability and most likely alternatives, with its `.token` event and
    /// in the result's `logprobs`; nil computes none.
    ///
    /// `scoringPrompt`: the prompt's ids (one per prefill position): the prefill then computes every
    /// position's logits, and the result's `promptLogprobs` holds each id after the first given those
    /// before it, with `logprobs` alternatives (one pass: the last position chooses the first token). A
    /// scored row may ask for no new tokens (`maxNewTokens` 0): it ends at once with reason `length`.
    public func join(_ prefill: Prefill, strategy: DecodingStrategy, limits: GenerationLimits,
                     logprobs: LogprobsRequest? = nil, scoringPrompt: [Int]? = nil) throws(GenerationError) -> (RowID, [Event]) {
        let sampling: SamplingParameters?
        switch strategy {
        case .greedy: sampling = nil
        case .sampling(let parameters):
            try parameters.validate()
            sampling = parameters
        case .beamSearch: throw .invalidOption("beam search keeps several rows per request: it is not batched")
        }
        guard limits.maxNewTokens >= 1 || (scoringPrompt != nil && limits.maxNewTokens == 0) else {
            throw .invalidOption("a batched row needs max new tokens ≥ 1 (0 only when it scores its prompt)")
        }
        try logprobs?.validate()
        try limits.validateLogitsProcessing(vocabularySize: model.vocabularySize)
        let promptLength: Int
        switch prefill {
        case .tokens(let ids):
            guard !ids.isEmpty else { throw .emptyPrompt }
            if let bad = ids.first(where: { $0 < 0 || $0 >= model.vocabularySize }) {
                throw .tokenOutOfRange(id: bad, vocabularySize: model.vocabularySize)
            }
            promptLength = ids.count
        case .embeddings(let e), .positionedEmbeddings(let e, _): promptLength = e.size(1)
        }
        if let scoringPrompt {
            guard scoringPrompt.count == promptLength else {
                throw .invalidOption("the scored prompt has \(scoringPrompt.count) ids for a prefill of \(promptLength) positions")
            }
            if let bad = scoringPrompt.first(where: { $0 < 0 || $0 >= model.vocabularySize }) {
                throw .tokenOutOfRange(id: bad, vocabularySize: model.vocabularySize)
            }
        }
        if let limit = model.contextLength, promptLength + limits.maxNewTokens > limit {
            throw .promptTooLong(tokens: promptLength, limit: limit)
        }
        let id = RowID(value: nextID)
        nextID += 1
        return try withNoGrad { () throws(GenerationError) -> (RowID, [Event]) in
            var statistics = GenerationStatistics()
            let rowCache = model.makeCache()
            let start = DispatchTime.now().uptimeNanoseconds
            let trace = prefill.forward(on: model, cache: rowCache, options: ForwardOptions(logits: scoringPrompt == nil ? .last : .all))
            statistics.prefillTokens = promptLength
            statistics.promptTokens = promptLength
            statistics.forwardPasses = 1
            guard let logits = trace.logits?.to(.cpu) else { fatalError("prefill produced no logits") }
            statistics.prefillSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            // An explicitly positioned prompt (M-RoPE) continues after its largest position, as it does alone.
            var next = promptLength
            if case .positionedEmbeddings(_, let positions) = prefill { next = positions.max().intValue + 1 }
            let row = Row(id: id, limits: limits, sampling: sampling, logprobs: logprobs, position: next, statistics: statistics)
            row.processor = limits.logitsProcessor(for: prefill)
            var events: [Event] = []
            if let scoringPrompt {
                let all = logits.selected(axis: 0, index: 0)
                try limits.checkFinite(all, step: 0)
                row.promptLogprobs = TokenLogprobs.prompt(logits: all, ids: scoringPrompt, top: logprobs?.top ?? 0)
                if limits.maxNewTokens == 0 {
                    events.append(.finished(id, result(row, reason: .length)))
                    return (id, events)
                }
            }
            if let result = try choose(row, logits: logits.selected(axis: 1, index: -1).selected(axis: 0, index: 0), events: &events) {
                events.append(.finished(id, result))
                return (id, events)
            }
            let (existing, appended) = cache.appendRows(rowCache)
            for other in rows { other.padding += existing }
            row.padding = appended
            rows.append(row)
            return (id, events)
        }
    }

    /// One forward pass over every active row: each chooses its next token; rows that end leave.
    /// Rows whose `isCancelled` says stop end first, with finish reason `cancelled`, without a pass.
    public func step() -> [Event] {
        var events: [Event] = []
        let cancelled = rows.filter { $0.limits.cancelled }
        if !cancelled.isEmpty {
            for row in cancelled { events.append(.finished(row.id, result(row, reason: .cancelled))) }
            leave(Set(cancelled.map(\.id)))
        }
        guard !rows.isEmpty else { return events }
        withNoGrad {
            let count = rows.count
            var options = ForwardOptions(logits: .last)
            let length = cache.length + 1
            // A lone unpadded row at the cache's own positions needs none (the batch cache keeps
            // positionOffset 0: `appendRows` does not carry a row's offset).
            if count > 1 || rows[0].padding > 0 || rows[0].position != cache.length {
                options.positions = Tensor(rows.map(\.position), shape: [count, 1])
                let mask = rows.flatMap { row in (0..<length).map { $0 >= row.padding } }
                options.paddingMask = Tensor(mask, shape: [count, length])
            }
            let trace = model.forward(tokens: Tensor(rows.map(\.lastToken), shape: [count, 1]), cache: cache, options: options)
            guard let logits = trace.logits?.to(.cpu) else { fatalError("decode step produced no logits") }
            var ended: Set<RowID> = []
            for (index, row) in rows.enumerated() {
                row.statistics.forwardPasses += 1
                row.position += 1
                do throws(GenerationError) {
                    if let result = try choose(row, logits: logits.selected(axis: 1, index: -1).selected(axis: 0, index: index), events: &events) {
                        events.append(.finished(row.id, result))
                        ended.insert(row.id)
                    }
                } catch {
                    events.append(.failed(row.id, error))
                    ended.insert(row.id)
                }
            }
            if !ended.isEmpty { leave(ended) }
        }
        return events
    }

    /// Chooses the row's next token from its logits [V]; returns the result when the row ends.
    /// Throws `.nonFiniteLogits` for logits with NaN or ±∞, unless the row's limits allow them.
    private func choose(_ row: Row, logits: Tensor, events: inout [Event]) throws(GenerationError) -> GenerationResult? {
        try row.limits.checkFinite(logits, step: row.tokens.count)
        let next: Int
        var scores = row.processor?.apply(logits) ?? logits
        if let sampling = row.sampling, let generator = row.generator {
            scores = sampling.warp(scores)
            next = scores.softmax(axis: -1).multinomial(1, generator: generator).intValue
        } else {
            next = scores.argmax(axis: -1).intValue
        }
        row.processor?.record(next)
        let logprobs = row.logprobs?.entry(logits: logits, scores: scores, chosen: next)
        if let logprobs { row.tokenLogprobs.append(logprobs) }
        row.tokens.append(next)
        row.lastToken = next
        events.append(.token(row.id, next, logprobs: logprobs))
        if row.limits.eosTokenIDs.contains(next) { return result(row, reason: .eos) }
        if let hit = StopStrings.firstMatch(row.limits, row.tokens) { return result(row, reason: .stopString, stopString: hit) }
        if row.tokens.count >= row.limits.maxNewTokens { return result(row, reason: .length) }
        return nil
    }

    private func result(_ row: Row, reason: FinishReason, stopString: String? = nil) -> GenerationResult {
        var statistics = row.statistics
        statistics.decodeTokens = row.tokens.count
        statistics.decodeSeconds = Double(DispatchTime.now().uptimeNanoseconds - row.decodeStart) / 1e9
        statistics.peakRSSBytes = ResourceUsage.peakRSSBytes
        var result = GenerationResult(tokens: row.tokens, finishReason: reason, stopString: stopString, statistics: statistics)
        if row.logprobs != nil { result.logprobs = row.tokenLogprobs }
        result.promptLogprobs = row.promptLogprobs
        return result
    }

    /// Removes rows from the batch and the padding no remaining row needs.
    private func leave(_ ids: Set<RowID>) {
        let kept = rows.indices.filter { !ids.contains(rows[$0].id) }
        guard !kept.isEmpty else {
            rows.removeAll()
            cache.removeAll()
            return
        }
        cache.reorder(kept)
        rows = kept.map { rows[$0] }
        let shared = rows.map(\.padding).min() ?? 0
        if shared > 0 {
            cache.dropLeadingPositions(shared)
            for row in rows { row.padding -= shared }
        }
    }
}
