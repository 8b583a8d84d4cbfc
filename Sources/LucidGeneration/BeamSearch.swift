import Foundation
import LucidModels
import LucidTensor

/// Beam search with Hugging Face's semantics (transformers 5.23 `_beam_search`), for one prompt:
/// candidates are the top 2·beams of (beam score + log-softmax); a candidate that ends its sequence
/// (an EOS token, or a token that completes a stop string) is dropped when ranked below `beams`, else
/// becomes a finished hypothesis (its last token kept) scored by sum-log-prob / generated-length^penalty;
/// the best others are the next beams, and the beam cache is reordered with them. The limits' logit
/// bias, minimum length and repetition penalty change each beam's log-probabilities before the beam
/// scores are added, as transformers' logits processors do (over the prompt and that beam's tokens).
struct BeamSearch {
    let model: any CausalLanguageModel
    let parameters: BeamSearchParameters

    /// Finished hypotheses, keeping the best `beams` (Hugging Face's `BeamHypotheses`).
    struct Hypotheses {
        let capacity: Int
        let lengthPenalty: Double
        /// Ids counted in every hypothesis's length besides its new tokens (`HypothesisLength.sequence`'s start ids),
        /// and whether an ending end token counts (it does under `HypothesisLength.new`).
        let startLength: Int
        let countsEndToken: Bool
        /// A hypothesis's score, tokens and each token's log-probabilities where they are tracked (its
        /// ending EOS's included), else none.
        var items: [(score: Double, tokens: [Int], logprobs: [TokenLogprobs])] = []
        var worst = 1e9

        /// Finished hypotheses under `rule`, over `startLength` start ids.
        init(capacity: Int, lengthPenalty: Double, rule: HypothesisLength = .new, startLength: Int = 0) {
            (self.capacity, self.lengthPenalty) = (capacity, lengthPenalty)
            (self.startLength, countsEndToken) = rule == .sequence ? (startLength, false) : (0, true)
        }

        /// Adds a hypothesis of `generatedLength` new tokens, the last an end token where `endToken`.
        mutating func add(_ tokens: [Int], logprobs: [TokenLogprobs] = [], sumLogProbs: Double, generatedLength: Int, endToken: Bool = false) {
            // At least 1: an end token first under `.sequence` with no start ids would otherwise divide by 0.
            let length = Swift.max(1, startLength + generatedLength - (endToken && !countsEndToken ? 1 : 0))
            let score = sumLogProbs / pow(Double(length), lengthPenalty)
            guard items.count < capacity || score > worst else { return }
            items.append((score, tokens, logprobs))
            if items.count > capacity {
                // As Python's sorted() over (score, index) tuples: ties go to the earlier item.
                let order = items.indices.sorted { (items[$0].score, $0) < (items[$1].score, $1) }
                worst = items[order[1]].score
                items.remove(at: order[0])
            } else {
                worst = Swift.min(score, worst)
            }
        }

        func isDone(bestSumLogProbs: Double, currentLength: Int, maxLength: Int, mode: EarlyStopping) -> Bool {
            guard items.count >= capacity else { return false }
            switch mode {
            case .whenFinished: return true
            case .heuristic: return worst >= bestSumLogProbs / pow(Double(startLength + currentLength), lengthPenalty)
            case .never:
                let length = startLength + (lengthPenalty > 0 ? maxLength : currentLength)
                return worst >= bestSumLogProbs / pow(Double(length), lengthPenalty)
            }
        }
    }

    /// Each beam's log-probabilities `logSoftmax` [beams, V] after the limits' logit bias, minimum length and repetition
    /// penalty, as transformers' processors read a beam: `processor` holds the prompt's tokens, and each row counts its
    /// own `sequences` entry besides. Rebuilt from the sequences every step, so beams reordered or restored by an OPERA
    /// rollback need no bookkeeping. `logSoftmax` itself without a processor.
    static func processed(_ logSoftmax: Tensor, by processor: LogitsProcessor?, sequences: [[Int]]) -> Tensor {
        guard let processor else { return logSoftmax }
        return Tensor.stack(sequences.enumerated().map { row, sequence in
            var beam = processor
            for token in sequence { beam.record(token) }
            return beam.apply(logSoftmax.selected(axis: 0, index: row))
        })
    }

    /// One Hugging Face beam-selection step over scores [beams, V] (log-probabilities plus beam
    /// scores): the top 2·beams (more with several EOS ids) candidates; those that end their sequence
    /// (EOS, or a stop string of `limits` completed) are dropped below rank `beams` and finish
    /// hypotheses above it; the others fill the next beams in rank order. When too few are left,
    /// ended ones fill the rest at score − 1e9, as transformers' (they never win). With `tracked`, each
    /// beam's log-probabilities so far and the step's: a finished hypothesis keeps its beam's and its
    /// last token's. `best` is the best candidate's score (transformers 4.x's early-stopping heuristic read
    /// it; OPERA's official code is a 4.29 fork), `bestNext` the best next beam's (what 5.x reads).
    static func select(scores: Tensor, beams: Int, eos: [Int], limits: GenerationLimits? = nil, sequences: [[Int]],
                       hypotheses: inout Hypotheses, currentLength: Int, tracked: (beams: [[TokenLogprobs]], step: StepLogprobs)? = nil)
        -> (scores: [Double], tokens: [Int], beams: [Int], best: Double, bestNext: Double) {
        let vocabulary = scores.size(-1)
        let flat = scores.reshaped(1, beams * vocabulary)
        let keep = Swift.max(2, 1 + eos.count) * beams
        let (topScores, topIndices) = flat.topK(keep, axis: 1)
        let candidateScores = topScores.toArray(Double.self)
        let candidateIndices = topIndices.toArray(Int.self)
        var texts: [Int: String] = [:]
        func completesStop(_ beam: Int, _ token: Int) -> Bool {
            guard let limits, !limits.stopStrings.isEmpty, let decode = limits.decode else { return false }
            let before = texts[beam] ?? decode(sequences[beam])
            texts[beam] = before
            return StopStrings.completes(limits, before: before, sequence: sequences[beam], token: token)
        }
        var next: [(score: Double, token: Int, beam: Int)] = []
        var ended: [(score: Double, token: Int, beam: Int)] = []
        for (rank, (score, index)) in zip(candidateScores, candidateIndices).enumerated() {
            let beam = index / vocabulary
            let token = index % vocabulary
            let endsAtEOS = eos.contains(token)
            if endsAtEOS || completesStop(beam, token) {
                ended.append((score - 1e9, token, beam))
                if rank >= beams { continue }
                let logprobs = tracked.map { $0.beams[beam] + [$0.step.entry(row: beam, chosen: token)] } ?? []
                hypotheses.add(sequences[beam] + [token], logprobs: logprobs, sumLogProbs: score, generatedLength: currentLength,
                               endToken: endsAtEOS)
            } else {
                next.append((score, token, beam))
            }
            if next.count == beams { break }
        }
        next += ended.prefix(beams - next.count)
        return (next.map(\.score), next.map(\.token), next.map(\.beam), candidateScores.max() ?? -.infinity, next.first?.score ?? -.infinity)
    }

    /// Searches from `prefill`; with `logprobs`, each beam tracks its tokens' log-probabilities, and the chosen
    /// hypothesis's come with its tokens: the model's own (`raw`), or (`processed`) the log-softmax of the scores the
    /// beams are ranked by, which differ from the model's only where the limits adjust them.
    func run(_ prefill: Prefill, limits: GenerationLimits, logprobs: LogprobsRequest?, onToken: TokenHandler?,
             runPrefill: (Prefill, inout GenerationStatistics) -> (Tensor, KVCache)) throws(GenerationError) -> GenerationResult {
        var statistics = GenerationStatistics()
        let beams = parameters.beams
        var (logits, cache) = runPrefill(prefill, &statistics)
        let start = DispatchTime.now().uptimeNanoseconds
        // Beam 0 starts at score 0, the others at −1e9, all from the same prompt.
        cache.reorder([Int](repeating: 0, count: beams))
        logits = logits.expanded([beams, logits.size(-1)])
        var beamScores = Tensor([0.0] + [Double](repeating: -1e9, count: beams - 1)).to(.f32)
        var sequences = [[Int]](repeating: [], count: beams)
        var tracked: [[TokenLogprobs]]? = logprobs.map { _ in [[TokenLogprobs]](repeating: [], count: beams) }
        let processor = limits.logitsProcessor(for: prefill)
        var hypotheses = Hypotheses(capacity: beams, lengthPenalty: parameters.lengthPenalty, rule: parameters.hypothesisLength,
                                    startLength: limits.startLength(prompt: prefill.tokenIDs))
        var done = false
        let eos = limits.eosTokenIDs
        var generated = 0
        while generated < limits.maxNewTokens {
            try limits.checkFinite(logits, step: generated)
            let processed = Self.processed(logits.to(.f32).logSoftmax(axis: -1), by: processor, sequences: sequences)
            let scores = processed + beamScores.unsqueezed(axis: 1)
            let currentLength = generated + 1
            let stepLogprobs = logprobs.map { StepLogprobs(logits: $0.mode == .processed && processor != nil ? processed : logits, top: $0.top) }
            let step = Self.select(scores: scores, beams: beams, eos: eos, limits: limits, sequences: sequences, hypotheses: &hypotheses,
                                   currentLength: currentLength, tracked: tracked.flatMap { beams in stepLogprobs.map { (beams, $0) } })
            let (nextScores, nextTokens, nextBeams) = (step.scores, step.tokens, step.beams)
            done = done || hypotheses.isDone(bestSumLogProbs: step.bestNext, currentLength: currentLength,
                                             maxLength: limits.maxNewTokens, mode: parameters.earlyStopping)
            sequences = zip(nextBeams, nextTokens).map { sequences[$0] + [$1] }
            if let previous = tracked, let stepLogprobs {
                tracked = zip(nextBeams, nextTokens).map { previous[$0] + [stepLogprobs.entry(row: $0, chosen: $1)] }
            }
            beamScores = Tensor(nextScores).to(.f32)
            generated += 1
            if done || generated >= limits.maxNewTokens || limits.cancelled { break }
            cache.reorder(nextBeams)
            let trace = model.forward(tokens: Tensor(nextTokens, shape: [beams, 1]), cache: cache, options: ForwardOptions(logits: .last))
            statistics.forwardPasses += 1
            guard let stepLogits = trace.logits else { fatalError("beam step produced no logits") }
            logits = stepLogits.selected(axis: 1, index: -1).to(.cpu)
        }
        return Self.finish(hypotheses: &hypotheses, done: done, sequences: sequences, tracked: tracked, beamScores: beamScores,
                           generated: generated, limits: limits, onToken: onToken, statistics: &statistics, decodeStart: start)
    }

    /// The search's end: the running beams join the hypotheses unless it is done (as transformers' last
    /// step finishes them at the length limit), and the best hypothesis is the result, its EOS or
    /// stop-string token kept. The text is cut after the first token that completes a stop string, as
    /// greedy decoding ends. A search that broke off early (`GenerationLimits.isCancelled`) ends
    /// `cancelled` with its best so far. With `tracked` (each running beam's log-probabilities), the
    /// result holds the chosen hypothesis's, one per token.
    static func finish(hypotheses: inout Hypotheses, done: Bool, sequences: [[Int]], tracked: [[TokenLogprobs]]? = nil,
                       beamScores: Tensor, generated: Int, limits: GenerationLimits, onToken: TokenHandler?, statistics: inout GenerationStatistics,
                       decodeStart start: UInt64) -> GenerationResult {
        if !done {
            let finalScores = beamScores.toArray(Double.self)
            for (beam, sequence) in sequences.enumerated() {
                hypotheses.add(sequence, logprobs: tracked?[beam] ?? [], sumLogProbs: finalScores[beam], generatedLength: sequence.count)
            }
        }
        guard let best = hypotheses.items.max(by: { $0.score < $1.score }) else {
            return GenerationResult(tokens: [], finishReason: .length, stopString: nil, score: nil, statistics: statistics)
        }
        var tokens = best.tokens
        var reason = FinishReason.length
        if let last = tokens.last, limits.eosTokenIDs.contains(last) { reason = .eos }
        var logprobs = tracked != nil && best.logprobs.count == tokens.count ? best.logprobs : nil
        var stopString: String?
        if let (end, hit) = StopStrings.firstCompletion(limits, tokens) {
            tokens = Array(tokens[..<end])
            logprobs = logprobs.map { Array($0[..<end]) }
            (reason, stopString) = (.stopString, hit)
        }
        if !done && generated < limits.maxNewTokens { reason = .cancelled }
        for (index, token) in tokens.enumerated() { onToken?(token, logprobs?[index]) }
        statistics.decodeTokens = generated
        statistics.decodeSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        statistics.peakRSSBytes = ResourceUsage.peakRSSBytes
        var result = GenerationResult(tokens: tokens, finishReason: reason, stopString: stopString, score: best.score, statistics: statistics)
        result.logprobs = logprobs
        return result
    }
}
