import Foundation
import LucidModels
import LucidTensor

/// What OPERA did besides decoding: look-ahead passes and rollbacks.
public struct OPERAReport: Sendable, Equatable {
    /// Each rollback: the response position re-decided, every token banned there so far (per beam
    /// slot), and the tokens chosen there after the rollback.
    public var rollbacks: [(position: Int, banned: [[Int]], redecided: [Int])] = []
    public var lookAheadPasses = 0
    /// Every beam-selection step in order: the response position and the token chosen per beam slot.
    public var decisions: [(position: Int, tokens: [Int])] = []

    public static func == (a: OPERAReport, b: OPERAReport) -> Bool {
        a.lookAheadPasses == b.lookAheadPasses && a.rollbacks.map(\.position) == b.rollbacks.map(\.position)
            && a.rollbacks.map(\.banned) == b.rollbacks.map(\.banned) && a.rollbacks.map(\.redecided) == b.rollbacks.map(\.redecided)
    }
}

/// OPERA decoding as the official code does it (see `OPERAParameters` for the variants): per step,
/// every beam's top-N_can candidates are looked ahead one token (appending to the beam cache and
/// truncating it again, so the main beams are never disturbed), their last-layer head-maxed attention
/// is row-normalised, the response window scaled by σ gives column products whose maximum penalises
/// the candidate; the per-beam summary-column history triggers rollbacks that re-decide a position
/// with the previously chosen tokens banned.
public struct OPERADecoder {
    public let model: any CausalLanguageModel
    public let parameters: OPERAParameters
    /// When every chosen token was one of its beam's looked-ahead candidates (the usual case), the
    /// next step takes its cache entries, attention row and (projected) hidden state from the
    /// look-ahead instead of running the chosen tokens again: one pass per token instead of two,
    /// the same result up to rounding. Off runs the official order (tests compare the two).
    var reusesLookAhead = true

    public init(model: any CausalLanguageModel, parameters: OPERAParameters) {
        self.model = model
        self.parameters = parameters
    }

    struct Snapshot {
        var sequences: [[Int]]
        var beamScores: [Double]
        var hypotheses: BeamSearch.Hypotheses
        var histories: [[Int]]
        var done: Bool
        /// Each beam's log-probabilities so far, where they are asked for.
        var tracked: [[TokenLogprobs]]?
    }

    /// Decodes after `prompt` embeddings [1, P, D]; `imageRange` is the image tokens' positions in the
    /// prompt (the first-tokens rule), nil for text-only prompts.
    public func generate(prompt: Tensor, imageRange: Range<Int>?, limits: GenerationLimits, logprobs: LogprobsRequest? = nil,
                         onToken: TokenHandler? = nil) throws(GenerationError) -> (GenerationResult, OPERAReport) {
        try generate(prompt: prompt, positions: nil, imageRange: imageRange, limits: limits, logprobs: logprobs, onToken: onToken)
    }

    /// The same with explicit prompt positions (M-RoPE's [3, 1, P]); response tokens continue after the
    /// largest (the cache's `positionOffset`).
    public func generate(prompt: Tensor, positions: Tensor?, imageRange: Range<Int>?, limits: GenerationLimits, logprobs: LogprobsRequest? = nil,
                         onToken: TokenHandler? = nil) throws(GenerationError) -> (GenerationResult, OPERAReport) {
        try generate(prompt: prompt, positions: positions, imageRanges: imageRange.map { [$0] } ?? [], limits: limits, logprobs: logprobs, onToken: onToken)
    }

    /// The same for a prompt with several images: the first-tokens rule counts the attention on every
    /// image's span (`imageRanges`, in prompt order; empty for text-only prompts).
    ///
    /// `logprobs`: the chosen hypothesis's tokens with their log-probabilities, tracked through the beams'
    /// reorderings and restored with them at a rollback: the model's own (`raw`), or (`processed`) the
    /// log-softmax of what OPERA ranks, the candidates' penalised scores (other tokens at −999 before it; after a
    /// rollback, the whole vocabulary with the banned tokens at −999), which sum to the hypothesis's score.
    public func generate(prompt: Tensor, positions: Tensor?, imageRanges: [Range<Int>], limits: GenerationLimits, logprobs: LogprobsRequest? = nil,
                         onToken: TokenHandler? = nil) throws(GenerationError) -> (GenerationResult, OPERAReport) {
        try parameters.validate()
        try logprobs?.validate()
        try limits.check(promptLength: prompt.size(1), contextLength: model.contextLength)
        try limits.requireAdjustments(appliedBy: "OPERA", LogitsAdjustment.beamSearch)
        try limits.validateLogitsProcessing(vocabularySize: model.vocabularySize)
        // topK over the vocabulary: more candidates or beams than tokens is a libtorch error.
        guard parameters.candidates <= model.vocabularySize, 2 * parameters.beams <= model.vocabularySize else {
            throw .invalidOption("OPERA: candidates (\(parameters.candidates)) and 2 × beams (\(2 * parameters.beams)) must not exceed the vocabulary (\(model.vocabularySize))")
        }
        return try withNoGrad { () throws(GenerationError) -> (GenerationResult, OPERAReport) in
            try run(prompt: prompt, positions: positions, imageRanges: imageRanges, limits: limits, logprobs: logprobs, onToken: onToken)
        }
    }

    var captureLast: ForwardOptions { ForwardOptions(attentionLayers: .layers([-1]), attentionReduction: .max, logits: .last) }

    /// Runs prompt + beam sequences from scratch: (next logits [NB, V], head-maxed attention [NB, S, S], cache).
    func prefill(_ prompt: Tensor, positions: Tensor? = nil, sequences: [[Int]], statistics: inout GenerationStatistics) -> (Tensor, Tensor, KVCache) {
        let nb = sequences.count
        var embeddings = prompt.expanded([nb, prompt.size(1), prompt.size(2)])
        if let length = sequences.first?.count, length > 0 {
            embeddings = Tensor.cat([embeddings, model.embed(Tensor(sequences.flatMap { $0 }, shape: [nb, length]))], axis: 1)
        }
        let cache = model.makeCache()
        var options = captureLast
        if let positions, let length = sequences.first?.count {
            // Response tokens continue after the prompt's largest position on every M-RoPE row.
            let next = positions.max().intValue + 1
            let rows = positions.size(0)
            let response = Tensor((0..<rows).flatMap { _ in Array(next..<(next + length)) }, shape: [rows, 1, length])
            options.positions = length > 0 ? Tensor.cat([positions, response.to(positions.dtype).to(positions.device)], axis: -1) : positions
        }
        let trace = model.forward(embeddings: embeddings.contiguous(), cache: cache, options: options)
        statistics.forwardPasses += 1
        guard let logits = trace.logits, let attention = trace.attentions[model.layerCount - 1] else {
            fatalError("OPERA prefill captured nothing")
        }
        // Scores and attention products run on the host (small; OPERA's bookkeeping is per beam).
        return (logits[TensorIndex.all, 0].to(.cpu), attention.squeezed(axis: 1).to(.cpu), cache)
    }

    /// The state after the prompt, kept to restart a rollback from: its cache (NB identical rows),
    /// the next-token logits and the prompt's attention rows.
    struct PromptState {
        let cache: KVCache
        let logits: Tensor
        let attention: Tensor
    }

    /// A rollback's restart: the prompt's cache copied, then only the response tokens run on top of
    /// it. The prompt rows of the attention matrix are the ones recorded at the first prefill (the
    /// penalty reads only response rows), so the result equals a full prefill up to rounding.
    func resume(from prompt: PromptState, sequences: [[Int]], statistics: inout GenerationStatistics) -> (Tensor, Tensor, KVCache) {
        let cache = prompt.cache.fork()
        guard let length = sequences.first?.count, length > 0 else { return (prompt.logits, prompt.attention, cache) }
        let nb = sequences.count
        let trace = model.forward(tokens: Tensor(sequences.flatMap { $0 }, shape: [nb, length]), cache: cache, options: captureLast)
        statistics.forwardPasses += 1
        guard let logits = trace.logits, let rows = trace.attentions[model.layerCount - 1] else { fatalError("OPERA resume captured nothing") }
        let promptRows = prompt.attention.padded([0, length])  // [NB, P, P + L]
        return (logits[TensorIndex.all, 0].to(.cpu), Tensor.cat([promptRows, rows.squeezed(axis: 1).to(.cpu)], axis: 1), cache)
    }

    private func run(prompt: Tensor, positions: Tensor?, imageRanges: [Range<Int>], limits: GenerationLimits, logprobs: LogprobsRequest?,
                     onToken: TokenHandler?) throws(GenerationError) -> (GenerationResult, OPERAReport) {
        let p = parameters
        let nb = p.beams
        let responseStart = prompt.size(1)
        let eos = limits.eosTokenIDs
        var statistics = GenerationStatistics()
        var report = OPERAReport()
        let start = DispatchTime.now().uptimeNanoseconds
        var sequences = [[Int]](repeating: [], count: nb)
        // The official code's beam step runs transformers' processors on each beam's log-probabilities (its input_ids:
        // the caller's `limits.promptTokens`, else as `limits.repetitionContext` says, and the beam's tokens; the fork, run
        // from `inputs_embeds`, counts the beginning-of-sequence token: `.bos`).
        let processor = LogitsProcessor(limits, prompt: limits.penaltyContext(prompt: nil))
        var (logits, stored, cache) = prefill(prompt, positions: positions, sequences: sequences, statistics: &statistics)
        let promptState = PromptState(cache: cache.fork(), logits: logits, attention: stored)
        statistics.prefillTokens = responseStart
        statistics.promptTokens = responseStart
        statistics.prefillSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let decodeStart = DispatchTime.now().uptimeNanoseconds
        var beamScores = [0.0] + [Double](repeating: -1e9, count: nb - 1)
        var hypotheses = BeamSearch.Hypotheses(capacity: nb, lengthPenalty: p.lengthPenalty, rule: p.hypothesisLength,
                                               startLength: limits.startLength(prompt: nil))
        var histories = [[Int]](repeating: [], count: nb)
        var tracked: [[TokenLogprobs]]? = logprobs.map { _ in [[TokenLogprobs]](repeating: [], count: nb) }
        var done = false
        var snapshots: [Snapshot] = []
        var chosen: [[Int]] = []
        var rollbackCounts: [Int: Int] = [:]
        var banned: [Int: [[Int]]] = [:]
        var generated = 0
        var restoredBan: [[Int]]?
        var pending: LookAhead?
        while generated < limits.maxNewTokens {
            try limits.checkFinite(logits, step: generated)
            defer { pending = nil }
            let vocabulary = logits.size(-1)
            var full: Tensor
            if let ban = restoredBan {
                // After a rollback: full vocabulary, no penalty; min shifted to −999, banned tokens at −999.
                let shifted = logits.to(.f32) - logits.to(.f32).min(axis: -1, keepDims: true) - 999
                full = shifted
                for (slot, tokens) in ban.enumerated() where !tokens.isEmpty {
                    full[slot] = full[slot].scattering(axis: 0, index: Tensor(tokens), source: Tensor.full([tokens.count], -999.0))
                }
                restoredBan = nil
            } else {
                let (candidateLogits, candidateIDs) = logits.to(.f32).topK(p.candidates, axis: -1)
                let ahead = lookAhead(candidateIDs, stored: stored, cache: cache, responseStart: responseStart,
                                      generated: generated, imageRanges: imageRanges, report: &report, statistics: &statistics)
                let (penalty, locations) = (ahead.penalty, ahead.locations)
                pending = ahead
                // α = 0 turns the penalty off: an overflowed (∞) penalty times 0 would be NaN, as the official code's is.
                let scores = p.penaltyWeight == 0 ? candidateLogits : candidateLogits - penalty * p.penaltyWeight
                let locs = locations.toArray(Int.self)
                for b in 0..<nb { histories[b].append(OPERAMechanics.mode(Array(locs[(b * p.candidates)..<((b + 1) * p.candidates)]))) }
                if let s = OPERAMechanics.rollbackLocation(histories: histories, threshold: p.threshold, comparison: p.thresholdComparison,
                                                           minimumLocation: p.minimumSummaryLocation),
                   let target = [s + 1, s].first(where: { (rollbackCounts[$0] ?? 0) < p.rollbackLimit && $0 < snapshots.count && $0 < chosen.count }) {
                    rollbackCounts[target, default: 0] += 1
                    let state = snapshots[target]
                    var ban = banned[target] ?? [[Int]](repeating: [], count: nb)
                    for slot in 0..<nb where !ban[slot].contains(chosen[target][slot]) { ban[slot].append(chosen[target][slot]) }
                    banned[target] = ban
                    report.rollbacks.append((target, ban, []))
                    (sequences, beamScores, hypotheses, done, tracked) = (state.sequences, state.beamScores, state.hypotheses, state.done, state.tracked)
                    histories = state.histories.map { Array($0.prefix(target)) }
                    snapshots.removeSubrange(target...)
                    chosen.removeSubrange(target...)
                    generated = target
                    pending = nil
                    (logits, stored, cache) = resume(from: promptState, sequences: sequences, statistics: &statistics)
                    restoredBan = ban
                    continue
                }
                full = Tensor.full([nb, vocabulary], -999.0).scattering(axis: 1, index: candidateIDs, source: scores)
            }
            snapshots.append(Snapshot(sequences: sequences, beamScores: beamScores, hypotheses: hypotheses, histories: histories, done: done,
                                      tracked: tracked))
            let processed = BeamSearch.processed(full.logSoftmax(axis: -1), by: processor, sequences: sequences)
            let scores = processed + Tensor(beamScores).to(.f32).unsqueezed(axis: 1)
            let stepLogprobs = logprobs.map { StepLogprobs(logits: $0.mode == .raw ? logits : processor == nil ? full : processed, top: $0.top) }
            let step = BeamSearch.select(scores: scores, beams: nb, eos: eos, limits: limits, sequences: sequences, hypotheses: &hypotheses,
                                         currentLength: generated + 1, tracked: tracked.flatMap { beams in stepLogprobs.map { (beams, $0) } })
            done = done || hypotheses.isDone(bestSumLogProbs: step.best, currentLength: generated + 1,
                                             maxLength: limits.maxNewTokens, mode: p.earlyStopping)
            chosen.append(step.tokens)
            report.decisions.append((generated, step.tokens))
            if let last = report.rollbacks.indices.last, report.rollbacks[last].redecided.isEmpty,
               report.rollbacks[last].position == generated {
                report.rollbacks[last].redecided = step.tokens
            }
            sequences = zip(step.beams, step.tokens).map { sequences[$0] + [$1] }
            if let previous = tracked, let stepLogprobs {
                tracked = zip(step.beams, step.tokens).map { previous[$0] + [stepLogprobs.entry(row: $0, chosen: $1)] }
            }
            beamScores = step.scores
            generated += 1
            if done || generated >= limits.maxNewTokens || limits.cancelled { break }
            if let ahead = pending, reusesLookAhead, let choices = ahead.choices(beams: step.beams, tokens: step.tokens) {
                cache.reorder(step.beams)
                cache.keepCandidates(choices, at: ahead.cacheLength, count: p.candidates)
                let flat = Tensor(zip(step.beams, choices).map { $0 * p.candidates + $1 })
                let hidden = ahead.hidden.reshaped([nb * p.candidates, ahead.hidden.size(-1)])
                    .indexSelect(axis: 0, index: flat.to(ahead.hidden.device))
                logits = model.vocabularyLogits(hidden.unsqueezed(axis: 1))[TensorIndex.all, 0].to(.cpu)
                let row = ahead.rows.reshaped([nb * p.candidates, ahead.rows.size(-1)]).indexSelect(axis: 0, index: flat)
                stored = Tensor.cat([stored.indexSelect(axis: 0, index: Tensor(step.beams)).padded([0, 1]), row.unsqueezed(axis: 1)], axis: 1)
                continue
            }
            if let ahead = pending { cache.truncate(to: ahead.cacheLength) }
            cache.reorder(step.beams)
            let trace = model.forward(tokens: Tensor(step.tokens, shape: [nb, 1]), cache: cache, options: captureLast)
            statistics.forwardPasses += 1
            guard let next = trace.logits, let row = trace.attentions[model.layerCount - 1] else { fatalError("OPERA step captured nothing") }
            logits = next[TensorIndex.all, 0].to(.cpu)
            // Stored matrix: pad a zero column, reorder rows to the surviving beams, append the new row.
            stored = Tensor.cat([stored.indexSelect(axis: 0, index: Tensor(step.beams)).padded([0, 1]), row.squeezed(axis: 1).to(.cpu)], axis: 1)
        }
        var result = BeamSearch.finish(hypotheses: &hypotheses, done: done, sequences: sequences, tracked: tracked,
                                       beamScores: Tensor(beamScores).to(.f32), generated: generated, limits: limits, onToken: onToken,
                                       statistics: &statistics,
                                       decodeStart: decodeStart)
        result.statistics.forwardPasses = statistics.forwardPasses
        result.statistics.prefillTokens = responseStart
        result.statistics.promptTokens = responseStart
        result.statistics.prefillSeconds = statistics.prefillSeconds
        return (result, report)
    }

    /// One look-ahead: the penalty [NB, C] and summary location [NB, C] of every candidate, and
    /// what a step of a chosen candidate would compute — its last-layer head-maxed attention row
    /// over cache + itself [NB, C, S+1] and final-normed hidden state [NB, C, D]. The cache still
    /// holds the C candidate positions after `cacheLength`.
    struct LookAhead {
        let penalty: Tensor
        let locations: Tensor
        let rows: Tensor
        let hidden: Tensor
        let candidates: [[Int]]
        let cacheLength: Int

        /// For each new beam (from old beam `beams[i]`, token `tokens[i]`), the candidate slot
        /// that token occupied, or nil when some token was not a candidate of its beam.
        func choices(beams: [Int], tokens: [Int]) -> [Int]? {
            var result: [Int] = []
            for (beam, token) in zip(beams, tokens) {
                guard let slot = candidates[beam].firstIndex(of: token) else { return nil }
                result.append(slot)
            }
            return result
        }
    }

    /// Looks every candidate ahead one token (see `LookAhead`).
    func lookAhead(_ candidates: Tensor, stored: Tensor, cache: KVCache, responseStart: Int, generated: Int, imageRanges: [Range<Int>],
                   report: inout OPERAReport, statistics: inout GenerationStatistics) -> LookAhead {
        let p = parameters
        let nb = candidates.size(0)
        let length = cache.length
        // All candidates in one pass: each at the next position, seeing the cache and itself.
        var options = ForwardOptions(attentionLayers: .layers([-1]), attentionReduction: .max,
                                     hiddenStates: .layers([model.layerCount]), logits: .none)
        options.parallelCandidates = true
        let trace = model.forward(tokens: candidates.contiguous(), cache: cache, options: options)
        report.lookAheadPasses += 1
        statistics.forwardPasses += 1
        guard let captured = trace.attentions[model.layerCount - 1], let hidden = trace.hiddenStates[model.layerCount] else {
            fatalError("OPERA look-ahead captured nothing")
        }
        let ids = candidates.toArray(Int.self)
        let perBeam = (0..<nb).map { Array(ids[($0 * p.candidates)..<(($0 + 1) * p.candidates)]) }
        let grid = captured.squeezed(axis: 1).to(.cpu)  // [NB, C, S + C]
        let own = (grid.narrowed(axis: -1, start: length, length: p.candidates)
            * Tensor.eye(p.candidates, dtype: grid.dtype)).sum(axis: -1, keepDims: true)  // [NB, C, 1]
        let rows = Tensor.cat([grid.narrowed(axis: -1, start: 0, length: length), own], axis: -1)  // [NB, C, S+1]
        func result(_ penalty: Tensor, _ location: Tensor) -> LookAhead {
            LookAhead(penalty: penalty, locations: location, rows: rows, hidden: hidden, candidates: perBeam, cacheLength: length)
        }
        let s = stored.size(-1)
        let base = stored.padded([0, 1]).unsqueezed(axis: 1).expanded([nb, p.candidates, s, s + 1])
        var attention = Tensor.cat([base, rows.unsqueezed(axis: 2)], axis: 2).to(.f32)  // [NB, C, S+1, S+1]
        attention = attention / attention.sum(axis: -1, keepDims: true)
        let windowStart = p.window.map { Swift.max(responseStart, s + 1 - $0) } ?? responseStart
        let n = s + 1 - windowStart
        let local = attention.narrowed(axis: 2, start: windowStart, length: n).narrowed(axis: 3, start: windowStart, length: n) * p.scale
        let upper = Tensor.ones([n, n], dtype: .bool).upperTriangle(diagonal: 1)
        let partial = Tensor.where(upper, Tensor.ones([n, n]), local).cumulativeProduct(axis: 2)
        let product = partial.selected(axis: 2, index: n - 1)
        var penalty = product * 1e-7
        if p.penaltyMode == .official {
            let overflow = (partial .> 65504).any(axes: [2])
            penalty = penalty.maskedFill(overflow, Double.infinity)
        }
        let (maxPenalty, location) = penalty.maxWithIndices(axis: -1)
        if generated + 1 <= p.imageBonusTokens {
            let spans = imageRanges.filter { !$0.isEmpty }
            guard !spans.isEmpty else { return result(Tensor.zeros([nb, p.candidates]), location) }
            let last = attention.selected(axis: 2, index: s)
            let masses = spans.map { last.narrowed(axis: 2, start: $0.lowerBound, length: $0.count).sum(axis: -1) }
            return result(-masses.dropFirst().reduce(masses[0], +), location)
        }
        return result(maxPenalty, location)
    }
}
