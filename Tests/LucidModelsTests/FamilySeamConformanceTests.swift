import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidNN
@testable import LucidTensor
import LucidVision

/// The `VisionLanguageModel` seam of LLaVA-NeXT, Qwen2-VL, Qwen2.5-VL and InstructBLIP against the same
/// transformers 5.23 fixtures as their own conformance tests: one image tensor per image (tiles,
/// the smart-resized image, BLIP pixels) through `Decoding.generate` gives transformers' logits and
/// greedy tokens, so every method that drives the seam starts from the reference model.
@Suite("family seam conformance with transformers")
struct FamilySeamConformanceTests {
    @Test(arguments: ["wide", "tall"])
    func llavaNextTilesThroughTheSeamMatch(_ name: String) throws {
        let model = try LlavaNextForConditionalGeneration.load(directory: LlavaNextConformanceTests.directory + "/model")
        let golden = try Fixtures.golden(LlavaNextConformanceTests.directory)
        let image = try LlavaNextConformanceTests.image(name)
        model.originalImageSize = (image.height, image.width)
        let ids = try golden.loadTensor(named: "\(name).input_ids").toArray(Int.self)
        #expect(try model.imageSpans(ids: ids, images: [image.tiles]).first?.count == (try model.imageFeatureCount(image)))
        let trace = try withNoGrad { () throws(PromptError) -> ForwardTrace in
            try model.forward(ids: ids, images: [image.tiles], cache: nil, options: .logitsOnly)
        }
        expectMatches(trace.logits, try golden.loadTensor(named: "\(name).logits"), tolerance: 1e-4, "\(name) logits")
        let greedy = try Decoding.generate(model, ids: ids, images: [image.tiles], method: .greedy, limits: GenerationLimits(maxNewTokens: 8))
        #expect(greedy.tokens == (try golden.loadTensor(named: "\(name).greedy").toArray(Int.self)))
        // Another original size is another unpadding: the tiles alone do not fit it.
        model.originalImageSize = (image.height, image.width * 3)
        #expect(throws: PromptError.self) { try model.checkImage(image.tiles) }
    }

    @Test(arguments: ["wide", "tall"])
    func qwen2VLImageThroughTheSeamMatches(_ name: String) throws {
        try Qwen2VLConformanceTests.fixture.expectThroughTheSeam(name)
    }

    @Test(arguments: ["wide", "large"])
    func qwen25VLImageThroughTheSeamMatches(_ name: String) throws {
        try Qwen25VLConformanceTests.fixture.expectThroughTheSeam(name)
    }

    @Test func instructBlipPixelsThroughTheSeamMatch() throws {
        let model = try InstructBlipForConditionalGeneration.load(directory: InstructBlipConformanceTests.directory + "/model")
        let golden = try Fixtures.golden(InstructBlipConformanceTests.directory)
        let pixels = try golden.loadTensor(named: "pixel_values")
        model.qformerInstruction = try golden.loadTensor(named: "qformer_input_ids").toArray(Int.self)
        let ids = try golden.loadTensor(named: "input_ids").toArray(Int.self)
        let trace = try withNoGrad { () throws(PromptError) -> ForwardTrace in
            try model.forward(ids: ids, images: [pixels], cache: nil, options: .logitsOnly)
        }
        expectMatches(trace.logits, try golden.loadTensor(named: "logits"), tolerance: 1e-4, "logits")
        let greedy = try Decoding.generate(model, ids: ids, images: [pixels], method: .greedy, limits: GenerationLimits(maxNewTokens: 8))
        #expect(greedy.tokens == (try golden.loadTensor(named: "greedy").toArray(Int.self)))
        model.qformerInstruction = [-1]
        #expect(throws: PromptError.tokenOutOfRange(id: -1, vocabularySize: model.config.qformerConfig.vocabSize)) { try model.checkImage(pixels) }
    }
}
