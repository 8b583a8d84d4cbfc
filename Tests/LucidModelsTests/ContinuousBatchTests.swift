import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidTensor

/// `ContinuousBatch`: rows that join a running batch at different steps, with prompts of different
/// lengths (text and image prefills), decode what they decode alone.
@Suite("continuous batch")
struct ContinuousBatchTests {
    let textA = [3, 4, 5, 6, 7, 8, 9, 10, 11]
    let textB = [12, 13]
    let imageIDs = [5, 0, 7, 9]
    var pixels: Tensor { Tensor.rand([1, 3, 32, 32], generator: Generator(seed: 4)).to(.f64) }

    func solo(_ model: LlavaForConditionalGeneration, _ prefill: Prefill, _ strategy: DecodingStrategy, _ count: Int) throws -> [Int] {
        try GenerationDriver(model: model).generate(prefill, strategy: strategy, limits: GenerationLimits(maxNewTokens: count)).tokens
    }

    @Test func rowsJoiningAndLeavingDecodeWhatTheyDecodeAlone() throws {
        let model = try LucidModelsTests.tinyLlava(seed: 41, dtype: .f64)
        let image = try withNoGrad { try model.embed(ids: imageIDs, images: [pixels]) }
        let sampling = SamplingParameters(temperature: 0.9, topK: 0, topP: 0.95, seed: 7)
        let expectedImage = try solo(model, .embeddings(image), .greedy, 8)
        let expectedA = try solo(model, .tokens(textA), .greedy, 5)
        let expectedB = try solo(model, .tokens(textB), .sampling(sampling), 6)

        let batch = ContinuousBatch(model: model)
        var tokens: [ContinuousBatch.RowID: [Int]] = [:]
        var finished: [ContinuousBatch.RowID: GenerationResult] = [:]
        func record(_ events: [ContinuousBatch.Event]) {
            for event in events {
                switch event {
                case .token(let id, let token, _): tokens[id, default: []].append(token)
                case .finished(let id, let result): finished[id] = result
                case .failed(let id, let error): Issue.record("row \(id.value) failed: \(error)")
                }
            }
        }
        let (imageRow, first) = try batch.join(.embeddings(image), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 8))
        record(first)
        record(batch.step())
        record(batch.step())
        let (rowA, joinedA) = try batch.join(.tokens(textA), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 5))
        record(joinedA)
        record(batch.step())
        let (rowB, joinedB) = try batch.join(.tokens(textB), strategy: .sampling(sampling), limits: GenerationLimits(maxNewTokens: 6))
        record(joinedB)
        #expect(batch.activeRows == 3)
        var maxRows = batch.activeRows
        while batch.activeRows > 0 {
            record(batch.step())
            maxRows = max(maxRows, batch.activeRows)
        }
        #expect(maxRows == 3)
        #expect(tokens[imageRow] == expectedImage)
        #expect(tokens[rowA] == expectedA)
        #expect(tokens[rowB] == expectedB)
        #expect(finished[imageRow]?.tokens == expectedImage && finished[imageRow]?.finishReason == .length)
        #expect(finished[rowA]?.tokens == expectedA && finished[rowB]?.tokens == expectedB)
        #expect(batch.cacheLength == 0)
    }

    @Test func aLoneRowMakesTheDriversPasses() throws {
        let model = try LucidModelsTests.tinyLlava(seed: 43)
        let expected = try GenerationDriver(model: model).generate(.tokens(textA), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 6))
        let batch = ContinuousBatch(model: model)
        var result: GenerationResult?
        var (_, events) = try batch.join(.tokens(textA), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 6))
        while true {
            for case .finished(_, let r) in events { result = r }
            if batch.activeRows == 0 { break }
            events = batch.step()
        }
        #expect(result?.tokens == expected.tokens)
        #expect(result?.statistics.forwardPasses == expected.statistics.forwardPasses)
    }

    @Test func aScoredPromptGetsEachTokensLogprobFromThePrefillAndDecodesAsBefore() throws {
        let model = try LucidModelsTests.tinyLlava(seed: 53, dtype: .f64)
        let expected = try GenerationDriver(model: model).generate(.tokens(textA), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 4))
        // The reference: one pass without a cache, the log-softmax of every position.
        let logits = withNoGrad { model.forward(tokens: Tensor(textA, shape: [1, textA.count]), cache: nil, options: ForwardOptions(logits: .all)) }
        let reference = try #require(logits.logits).selected(axis: 0, index: 0).to(.f64).logSoftmax(axis: -1)
        let nll = model.negativeLogLikelihood(of: textA)
        for maxNew in [4, 0] {
            let batch = ContinuousBatch(model: model)
            var (_, events) = try batch.join(.tokens(textA), strategy: .greedy, limits: GenerationLimits(maxNewTokens: maxNew), logprobs: LogprobsRequest(top: 2),
                                             scoringPrompt: textA)
            var result: GenerationResult?
            var streamed: [TokenLogprobs] = []
            while true {
                for case .token(_, _, let logprobs?) in events { streamed.append(logprobs) }
                for case .finished(_, let r) in events { result = r }
                if batch.activeRows == 0 { break }
                events = batch.step()
            }
            #expect(result?.logprobs == streamed && streamed.count == maxNew)  // each token's as it comes
            let scored = try #require(result?.promptLogprobs)
            try #require(scored.count == textA.count - 1)
            for (position, entry) in scored.enumerated() {
                let row = reference.selected(axis: 0, index: position)
                #expect(entry.chosen.token == textA[position + 1])
                #expect(abs(entry.chosen.logprob - row.selected(axis: 0, index: textA[position + 1]).item()) < 1e-9)
                #expect(entry.top.count == 2 && entry.top[0].token == row.argmax(axis: -1).intValue)
            }
            #expect(abs(scored.reduce(0) { $0 + $1.chosen.logprob } + nll.nats) < 1e-9)
            #expect(result?.tokens == Array(expected.tokens.prefix(maxNew)))
            #expect(result?.statistics.forwardPasses == (maxNew == 0 ? 1 : expected.statistics.forwardPasses))
        }
        // No new tokens only where the prompt is scored; the scored ids must be the prefill's.
        let batch = ContinuousBatch(model: model)
        #expect(throws: GenerationError.self) { try batch.join(.tokens(textA), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 0)) }
        #expect(throws: GenerationError.self) {
            try batch.join(.tokens(textA), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 2), scoringPrompt: textB)
        }
        #expect(throws: GenerationError.self) {
            try batch.join(.tokens(textA), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 2), scoringPrompt: textA.map { _ in -1 })
        }
        #expect(batch.activeRows == 0)
    }

    @Test func aCancelledRowLeavesWithoutStoppingTheOthers() throws {
        let model = try LucidModelsTests.tinyLlava(seed: 47, dtype: .f64)
        final class Flag { var on = false }
        let flag = Flag()
        let batch = ContinuousBatch(model: model)
        let (kept, _) = try batch.join(.tokens(textA), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 6))
        let (dropped, _) = try batch.join(.tokens(textB), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 6, isCancelled: { flag.on }))
        _ = batch.step()
        flag.on = true
        var reasons: [ContinuousBatch.RowID: FinishReason] = [:]
        while batch.activeRows > 0 {
            for case .finished(let id, let result) in batch.step() { reasons[id] = result.finishReason }
        }
        #expect(reasons[dropped] == .cancelled && reasons[kept] == .length)
        #expect(throws: GenerationError.self) {
            _ = try batch.join(.tokens(textA), strategy: .beamSearch(BeamSearchParameters()), limits: GenerationLimits(maxNewTokens: 2))
        }
    }

    /// Qwen2-VL prompts with images prefill at M-RoPE positions and continue after the largest (the rope
    /// delta): in the batch, beside a text row and each other, they decode what they decode alone.
    @Test func mropeRowsDecodeInTheBatchWhatTheyDecodeAlone() throws {
        let model = try Qwen2VLForConditionalGeneration.load(directory: Fixtures.path("qwen2-vl") + "/model")
        model.convert(to: .f64)
        let placeholder = model.imagePlaceholderID
        let wide = Tensor.rand([1, 3, 56, 84], generator: Generator(seed: 5)).to(.f64)
        let tall = Tensor.rand([1, 3, 84, 56], generator: Generator(seed: 6)).to(.f64)
        func prefill(_ ids: [Int], _ image: Tensor) throws -> Prefill {
            guard case .ready(let prefill, _, _) = try Decoding.prepare(model, ids: ids, images: [image], method: .greedy) else {
                throw GenerationError.invalidOption("no prefill")
            }
            return prefill
        }
        let first = try prefill([1, 17, placeholder, 33, 45], wide)
        let second = try prefill([1, placeholder, 21, 22, 23, 24, 25], tall)
        guard case .positionedEmbeddings(let embeddings, let positions) = first else {
            Issue.record("a Qwen2-VL image prompt prefills without explicit positions")
            return
        }
        #expect(positions.max().intValue + 1 != embeddings.size(1), "no rope delta: the test could not fail")
        func alone(_ prefill: Prefill, _ count: Int) throws -> [Int] {
            try GenerationDriver(model: model).generate(prefill, strategy: .greedy, limits: GenerationLimits(maxNewTokens: count)).tokens
        }
        let expected = [try alone(first, 8), try alone(.tokens(textA), 6), try alone(second, 7)]

        let batch = ContinuousBatch(model: model)
        var tokens: [ContinuousBatch.RowID: [Int]] = [:]
        func record(_ events: [ContinuousBatch.Event]) {
            for case .token(let id, let token, _) in events { tokens[id, default: []].append(token) }
        }
        var ids: [ContinuousBatch.RowID] = []
        for (prefill, count) in [(first, 8), (Prefill.tokens(textA), 6), (second, 7)] {
            let (id, events) = try batch.join(prefill, strategy: .greedy, limits: GenerationLimits(maxNewTokens: count))
            ids.append(id)
            record(events)
            record(batch.step())
        }
        while batch.activeRows > 0 { record(batch.step()) }
        #expect(ids.map { tokens[$0] ?? [] } == expected)
        // A lone M-RoPE row, without padding, still decodes after its delta.
        let lone = ContinuousBatch(model: model)
        var loneTokens: [Int] = []
        var loneResult: GenerationResult?
        var (_, events) = try lone.join(first, strategy: .greedy, limits: GenerationLimits(maxNewTokens: 8))
        while true {
            for case .token(_, let token, _) in events { loneTokens.append(token) }
            for case .finished(_, let result) in events { loneResult = result }
            if lone.activeRows == 0 { break }
            events = lone.step()
        }
        #expect(loneTokens == expected[0])
        #expect(loneResult?.statistics.promptTokens == embeddings.size(1))
    }
}
