import Testing
@testable import LucidModels
@testable import LucidNN
@testable import LucidTensor

/// The `VisionLanguageModel` seam on LLaVA and explicit RoPE positions.
@Suite("vision-language model protocol")
struct VisionLanguageModelTests {
    func tinyLlava() throws -> LlavaForConditionalGeneration { try LucidModelsTests.tinyLlava(seed: 21, dtype: .f64) }

    @Test func imageSpansAreTheSameUnderBothPlaceholderConventions() throws {
        let model: any VisionLanguageModel = try tinyLlava()
        #expect(model.imageFeatureCount == 4)
        #expect(try model.imageSpans(ids: [5, 0, 7, 0, 9], imageCount: 2) == [1..<5, 6..<10])
        #expect(try model.imageSpans(ids: [5, 0, 0, 0, 0, 7, 0, 0, 0, 0, 9], imageCount: 2) == [1..<5, 6..<10])
        #expect(try model.embeddedLength(ids: [5, 0, 7, 0, 9], imageCount: 2) == 11)
        #expect(try model.imageSpans(ids: [5, 7], imageCount: 0) == [])
        #expect(throws: PromptError.imageWithoutPlaceholder(images: 1)) { try model.imageSpans(ids: [5, 7], imageCount: 1) }
    }

    @Test func spansLocateTheImageFeaturesInTheEmbeddings() throws {
        let model: any VisionLanguageModel = try tinyLlava()
        let pixels = Tensor.rand([1, 3, 32, 32], dtype: .f64, generator: Generator(seed: 2))
        let ids = [5, 7, 0, 9]
        let embeddings = try model.embed(ids: ids, images: [pixels])
        let span = try #require(try model.imageSpans(ids: ids, imageCount: 1).first)
        let features = model.imageFeatures(pixels)
        #expect(embeddings.size(1) == (try model.embeddedLength(ids: ids, imageCount: 1)))
        #expect(embeddings.narrowed(axis: 1, start: span.lowerBound, length: span.count).maxAbsDifference(features) == 0)
    }

    @Test func positionIDsCountTheEmbeddedSequenceFromStart() throws {
        let model: any VisionLanguageModel = try tinyLlava()
        let positions = try model.positionIDs(ids: [5, 0, 7], imageCount: 1, start: 3)
        #expect(positions.toArray(Int.self) == Array(3..<9))
    }

    @Test func explicitPositionsMatchTheImplicitOnesAndMoveTheRotation() throws {
        let model = try tinyLlava().languageModel
        let tokens = Tensor([3, 8, 1, 12], shape: [1, 4])
        let implicit = try #require(model.forward(tokens: tokens, cache: nil, options: .logitsOnly).logits)
        var options = ForwardOptions()
        options.positions = Tensor.arange(0, 4)
        let explicit = try #require(model.forward(tokens: tokens, cache: nil, options: options).logits)
        #expect(explicit.maxAbsDifference(implicit) == 0)
        // RoPE sees only relative positions: a common shift changes nothing beyond the rounding of
        // its f32 angles …
        options.positions = Tensor.arange(7, 11)
        let shifted = try #require(model.forward(tokens: tokens, cache: nil, options: options).logits)
        let rounding = shifted.maxAbsDifference(implicit)
        #expect(rounding < 1e-5)
        // … but moving one token changes what it sees, and only it.
        options.positions = Tensor([0, 1, 2, 9], shape: [4])
        let moved = try #require(model.forward(tokens: tokens, cache: nil, options: options).logits)
        #expect(moved.narrowed(axis: 1, start: 0, length: 3).maxAbsDifference(implicit.narrowed(axis: 1, start: 0, length: 3)) == 0)
        #expect(moved.narrowed(axis: 1, start: 3, length: 1).maxAbsDifference(implicit.narrowed(axis: 1, start: 3, length: 1)) > 100 * max(rounding, 1e-9))
    }

    @Test func explicitPositionsDuringDecodingFollowTheCache() throws {
        let model = try tinyLlava().languageModel
        let cache = model.makeCache()
        _ = model.forward(tokens: Tensor([3, 8, 1], shape: [1, 3]), cache: cache, options: .logitsOnly)
        let next = Tensor([12], shape: [1, 1])
        let implicit = try #require(model.forward(tokens: next, cache: cache.fork(), options: .logitsOnly).logits)
        var options = ForwardOptions()
        options.positions = Tensor([3], shape: [1])
        let explicit = try #require(model.forward(tokens: next, cache: cache.fork(), options: options).logits)
        options.positions = Tensor([5], shape: [1])
        let elsewhere = try #require(model.forward(tokens: next, cache: cache.fork(), options: options).logits)
        #expect(explicit.maxAbsDifference(implicit) == 0)
        #expect(elsewhere.maxAbsDifference(implicit) > 1e-6)
    }
}
