import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidTensor

/// Log-probabilities from every decoder that reports them (`LogprobsRequest`): each entry checked against
/// the model's logits recomputed here in one pass over the prompt and the tokens chosen.
@Suite("method log-probabilities")
struct MethodLogprobsTests {
    /// The log-softmax [T, V] (f64) of `model`'s logits over `prompt` followed by `tokens`, without a cache.
    func oneCachelessPass(_ model: any CausalLanguageModel, prompt: [Int], tokens: [Int]) -> Tensor {
        let sequence = prompt + tokens
        let trace = withNoGrad { model.forward(tokens: Tensor(sequence, shape: [1, sequence.count]), cache: nil, options: ForwardOptions(logits: .all)) }
        return trace.logits!.selected(axis: 0, index: 0).to(.f64).logSoftmax(axis: -1)
    }

    /// The largest difference between the entries' chosen log-probabilities and row `start + i` of `reference`.
    func worstChosen(_ entries: [TokenLogprobs], tokens: [Int], reference: Tensor, start: Int) -> Double {
        zip(entries, tokens).enumerated().map { index, pair in
            let expected: Double = reference.selected(axis: 0, index: start + index).selected(axis: 0, index: pair.1).item()
            return pair.0.chosen.token == pair.1 ? abs(pair.0.chosen.logprob - expected) : .infinity
        }.max() ?? 0
    }

    /// Beam search tracks each beam's log-probabilities through every reordering: the chosen hypothesis's are
    /// the model's own for its tokens, sum to its score (sum / length^penalty), and change nothing it chooses.
    @Test(arguments: [false, true])
    func aBeamSearchReportsItsChosenHypothesisOwnLogprobsWhichMakeItsScore(endsAtEOS: Bool) throws {
        let model = try LlamaForCausalLM.load(path: Fixtures.path("llama", "llama-mha", "model"))
        let driver = GenerationDriver(model: model)
        let prompt = [5, 6, 7]
        let parameters = BeamSearchParameters(beams: 3, lengthPenalty: 0.7)
        var limits = GenerationLimits(maxNewTokens: 7)
        let free = try driver.generate(.tokens(prompt), strategy: .beamSearch(parameters), limits: limits)
        try #require(free.tokens.count == 7)
        if endsAtEOS { limits.eosTokenIDs = [free.tokens[3]] }  // a token the search reaches: hypotheses end at it
        let plain = try driver.generate(.tokens(prompt), strategy: .beamSearch(parameters), limits: limits)
        var streamed: [TokenLogprobs] = []
        let result = try driver.generate(.tokens(prompt), strategy: .beamSearch(parameters), limits: limits,
                                         logprobs: LogprobsRequest(top: 4)) { _, entry in entry.map { streamed.append($0) } }
        #expect(result.tokens == plain.tokens && result.score == plain.score && result.finishReason == plain.finishReason)
        if endsAtEOS { #expect(result.finishReason == .eos) }
        let entries = try #require(result.logprobs)
        #expect(entries.count == result.tokens.count && streamed == entries)
        let reference = oneCachelessPass(model, prompt: prompt, tokens: result.tokens)
        let worst = worstChosen(entries, tokens: result.tokens, reference: reference, start: prompt.count - 1)
        #expect(worst < 1e-4, "largest difference from the one-pass log-softmax: \(worst)")
        let score = entries.map(\.chosen.logprob).reduce(0, +) / pow(Double(entries.count), parameters.lengthPenalty)
        #expect(abs(score - (result.score ?? .nan)) < 1e-4, "\(score) vs \(String(describing: result.score))")
        for (index, entry) in entries.enumerated() {
            let row = reference.selected(axis: 0, index: prompt.count - 1 + index)
            #expect(entry.top.count == 4 && abs(entry.top[0].logprob - row.max().item()) < 1e-4)
        }
        // A stop string cuts the chosen hypothesis after the search: its entries are cut with its tokens.
        try #require(result.tokens.count >= 3)
        var stopped = limits
        (stopped.stopStrings, stopped.decode) = (["<\(result.tokens[2])>"], { $0.map { "<\($0)>" }.joined() })
        let cut = try driver.generate(.tokens(prompt), strategy: .beamSearch(parameters), limits: stopped, logprobs: LogprobsRequest(top: 4))
        #expect(cut.finishReason == .stopString && cut.tokens.count <= 3 && cut.tokens == Array(result.tokens.prefix(cut.tokens.count)))
        #expect(cut.logprobs == Array(entries.prefix(cut.tokens.count)))
    }

    /// `processed` reports the distribution a sample was drawn from: after temperature and top-k only k
    /// tokens are finite, they sum to one, and their differences are the raw ones divided by the temperature.
    /// The batch (one row: the driver's passes) reports the same as the driver.
    @Test func processedLogprobsOfASampleAreTheWarpedDistribution() throws {
        let model = try LlamaForCausalLM.load(path: Fixtures.path("llama", "llama-mha", "model"))
        let sampling = SamplingParameters(temperature: 0.6, topK: 3, seed: 11)
        let limits = GenerationLimits(maxNewTokens: 6)
        let driver = GenerationDriver(model: model)
        let raw = try driver.generate(.tokens([5, 6, 7]), strategy: .sampling(sampling), limits: limits, logprobs: LogprobsRequest(top: 5))
        let processed = try driver.generate(.tokens([5, 6, 7]), strategy: .sampling(sampling), limits: limits,
                                            logprobs: LogprobsRequest(top: 5, mode: .processed))
        #expect(processed.tokens == raw.tokens)
        let (rawEntries, entries) = (try #require(raw.logprobs), try #require(processed.logprobs))
        try #require(entries.count == processed.tokens.count && rawEntries.count == entries.count)
        for (rawEntry, entry) in zip(rawEntries, entries) {
            let kept = entry.top.filter { $0.logprob.isFinite }
            #expect(kept.count == 3 && entry.top.count == 5)
            #expect(abs(kept.map { exp($0.logprob) }.reduce(0, +) - 1) < 1e-9)
            #expect(kept.contains { $0.token == entry.chosen.token })
            let rawByToken = Dictionary(uniqueKeysWithValues: rawEntry.top.map { ($0.token, $0.logprob) })
            #expect(kept.map(\.token) == Array(rawEntry.top.prefix(3).map(\.token)))
            for candidate in kept.dropFirst() {
                let expected = (rawByToken[candidate.token]! - rawByToken[kept[0].token]!) / sampling.temperature
                #expect(abs((candidate.logprob - kept[0].logprob) - expected) < 1e-5)
            }
        }
        let batch = ContinuousBatch(model: model)
        var (_, events) = try batch.join(.tokens([5, 6, 7]), strategy: .sampling(sampling), limits: limits,
                                         logprobs: LogprobsRequest(top: 5, mode: .processed))
        while batch.activeRows > 0 { events += batch.step() }
        let batched = try #require(events.compactMap { if case .finished(_, let result) = $0 { result } else { nil } }.first)
        #expect(batched.tokens == processed.tokens)
        let worst = zip(try #require(batched.logprobs), entries).map { abs($0.chosen.logprob - $1.chosen.logprob) }.max() ?? .infinity
        #expect(worst < 1e-9, "batch against driver: \(worst)")
    }

    /// VCD on a tiny LLaVA (f64): `processed` entries are the log-softmax of ℓ_cd recomputed here from the
    /// original and the noised prompt (greedy chooses its top token); `raw` ones the original input's own.
    @Test func contrastiveLogprobsAreTheContrastedOrTheOriginalDistribution() throws {
        let model = try LucidModelsTests.tinyLlava(seed: 31, dtype: .f64)
        let ids = [5, 0, 7, 9]
        let image = Tensor.rand([1, 3, 32, 32], generator: Generator(seed: 4)).to(.f64)
        let contrast = ContrastiveParameters(alpha: 1, beta: 0.1)
        let method = DecodingMethod.vcd(contrast, noiseStep: 300, noiseSeed: 9)
        let limits = GenerationLimits(maxNewTokens: 5)
        var streamed: [TokenLogprobs] = []
        let processed = try Decoding.generate(model, ids: ids, images: [image], method: method, limits: limits,
                                              logprobs: LogprobsRequest(top: 3, mode: .processed),
                                              onToken: { _, entry in entry.map { streamed.append($0) } })
        let raw = try Decoding.generate(model, ids: ids, images: [image], method: method, limits: limits, logprobs: LogprobsRequest(top: 3))
        let plain = try Decoding.generate(model, ids: ids, images: [image], method: method, limits: limits)
        #expect(processed.tokens == plain.tokens && raw.tokens == plain.tokens)
        let entries = try #require(processed.logprobs)
        #expect(entries.count == plain.tokens.count && streamed == entries)
        // The two views, then each one's logits over the prompt and the tokens chosen.
        let noised = withNoGrad { VCDNoise.apply(image, step: 300, generator: Generator(seed: 9)) }
        func logits(_ pixels: Tensor) throws -> Tensor {
            let prompt = try withNoGrad { try model.embed(ids: ids, images: [pixels]) }
            let tokens = withNoGrad { model.embed(Tensor(plain.tokens, shape: [1, plain.tokens.count])) }
            let trace = withNoGrad { model.forward(embeddings: Tensor.cat([prompt, tokens], axis: 1), cache: nil, options: ForwardOptions(logits: .all)) }
            return trace.logits!.selected(axis: 0, index: 0).narrowed(axis: 0, start: prompt.size(1) - 1, length: plain.tokens.count)
        }
        let (original, amateur) = (try logits(image), try logits(noised))
        let contrasted = contrast.contrast(original, amateur).to(.f64).logSoftmax(axis: -1)
        let worst = worstChosen(entries, tokens: plain.tokens, reference: contrasted, start: 0)
        #expect(worst < 1e-9, "processed against the recomputed contrast: \(worst)")
        for entry in entries { #expect(entry.top.first?.token == entry.chosen.token) }  // greedy over ℓ_cd
        let rawWorst = worstChosen(try #require(raw.logprobs), tokens: plain.tokens, reference: original.to(.f64).logSoftmax(axis: -1), start: 0)
        #expect(rawWorst < 1e-9, "raw against the original view: \(rawWorst)")
    }

    /// OPERA's hypotheses keep their log-probabilities through the beams' reorderings and its rollbacks: the raw
    /// ones are the model's own for the chosen tokens, the processed ones (what OPERA ranks) sum to its score.
    @Test func operaTracksLogprobsThroughItsRollbacks() throws {
        let (model, prompt, _) = try OPERATests().model()
        let parameters = OPERATests.rollingBack
        let embeddings = model.embed(Tensor(prompt, shape: [1, prompt.count]))
        let decoder = OPERADecoder(model: model, parameters: parameters)
        let limits = GenerationLimits(maxNewTokens: 10)
        let (plain, report) = try decoder.generate(prompt: embeddings, imageRange: nil, limits: limits)
        #expect(!report.rollbacks.isEmpty, "threshold 1 rolls back on this fixture")
        var streamed: [TokenLogprobs] = []
        let (raw, _) = try decoder.generate(prompt: embeddings, imageRange: nil, limits: limits, logprobs: LogprobsRequest(top: 2)) { _, entry in
            entry.map { streamed.append($0) }
        }
        let (processed, _) = try decoder.generate(prompt: embeddings, imageRange: nil, limits: limits, logprobs: LogprobsRequest(top: 2, mode: .processed))
        #expect(raw.tokens == plain.tokens && processed.tokens == plain.tokens && raw.score == plain.score)
        let entries = try #require(raw.logprobs)
        #expect(entries.count == plain.tokens.count && streamed == entries)
        let worst = worstChosen(entries, tokens: plain.tokens, reference: oneCachelessPass(model, prompt: prompt, tokens: plain.tokens),
                                start: prompt.count - 1)
        #expect(worst < 1e-4, "raw against the one-pass log-softmax: \(worst)")
        let ranked = try #require(processed.logprobs)
        let score = ranked.map(\.chosen.logprob).reduce(0, +) / pow(Double(ranked.count), parameters.lengthPenalty)
        #expect(abs(score - (plain.score ?? .nan)) < 1e-4, "\(score) vs \(String(describing: plain.score))")
    }

    @Test func aRequestOutsideTheRangeIsRefused() throws {
        let model = try LucidModelsTests.tinyLlava(seed: 31)
        #expect(throws: GenerationError.invalidOption("top log-probabilities must be in 0…20 (got 21)")) {
            try GenerationDriver(model: model).generate(.tokens([5, 7]), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 2),
                                                        logprobs: LogprobsRequest(top: 21))
        }
    }
}
