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
                case .token(let id, let token): tokens[id, default: []].append(token)
                case .finished(let id, let result): finished[id] = result
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
}
