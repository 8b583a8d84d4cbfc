import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidPipeline
@testable import LucidTensor
import LucidVision

/// Qwen2-VL and Qwen2.5-VL prompts with two images against transformers (Fixtures/{qwen2-vl,qwen2.5-vl}/
/// multi_image.safetensors, scripts/make_qwen2_vl_multi_image_fixture.py): the processor concatenates the
/// images' patches and stacks their grids, each image is encoded on its own grid (Qwen2.5-VL: in its own
/// windows), and M-RoPE continues the text after each image from that image's largest position.
@Suite("Qwen2-VL prompts with several images", .serialized)
struct Qwen2VLSeveralImagesTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("LucidModelsTests/Fixtures")
    static let directory = fixtures.appendingPathComponent("qwen2-vl").path
    static var goldenPath: String { directory + "/multi_image.safetensors" }
    /// The fixture folders and the two images each script run took.
    static let families = ["qwen2-vl": ["wide", "tall"], "qwen2.5-vl": ["large", "wide"]]

    static func open(_ directory: String = directory) throws -> (opened: OpenedModel, model: Qwen2VLForConditionalGeneration) {
        let opened = try ModelRegistry.standard.open(directory + "/model")
        return (opened, try #require(opened.vision as? Qwen2VLForConditionalGeneration))
    }

    static func maxDifference(_ a: Tensor, _ b: Tensor) -> Double { (a.to(.f64) - b.to(.f64)).abs().max().item() }

    @Test(arguments: ["qwen2-vl", "qwen2.5-vl"])
    func twoImagesGiveTransformersPositionsLogitsAndGreedyTokens(_ folder: String) throws {
        let directory = Self.fixtures.appendingPathComponent(folder).path
        let goldenPath = directory + "/multi_image.safetensors"
        let golden = try SafetensorsFile(path: goldenPath)
        let (_, model) = try Self.open(directory)
        let images = try ProcessorOutputs.load(path: goldenPath).images(for: model)
        let grids = try golden.loadTensor(named: "image_grid_thw").toArray(Int.self)  // (t, h, w) per image
        let patch = model.config.visionConfig.patchSize
        #expect(images.map(\.shape) == [[1, 3, grids[1] * patch, grids[2] * patch], [1, 3, grids[4] * patch, grids[5] * patch]])
        let features = try withNoGrad { () throws(PromptError) -> Tensor in
            Tensor.cat(try images.map { (pixels) throws(PromptError) -> Tensor in
                try model.checkImage(pixels)
                return model.imageFeatures(pixels, options: ForwardOptions(), trace: ForwardTrace()).selected(axis: 0, index: 0)
            }, axis: 0)
        }
        let expectedFeatures = try golden.loadTensor(named: "image_features")
        #expect(features.shape == expectedFeatures.shape && Self.maxDifference(features, expectedFeatures) <= 1e-4)

        let expectedPositions = try golden.loadTensor(named: "position_ids").toArray(Int.self)
        let expected = try golden.loadTensor(named: "logits")
        for name in ["input_ids", "expanded_input_ids"] {  // one placeholder per image, or the processor's runs
            let ids = try golden.loadTensor(named: name).toArray(Int.self)
            #expect(try model.imageSpans(ids: ids, images: images).map(\.count) == [grids[1] * grids[2] / 4, grids[4] * grids[5] / 4])
            let positions = try #require(try model.ropePositions(ids: ids, images: images))
            #expect(positions.toArray(Int.self) == expectedPositions, "\(name)")
            #expect(try model.positionIDs(ids: ids, images: images.map { (pixels) throws(PromptError) -> Qwen2VLImage in
                Qwen2VLImage(patches: model.patches(of: pixels), grid: model.grid(height: pixels.size(2), width: pixels.size(3)))
            }).delta == (try golden.loadTensor(named: "rope_delta").toArray(Int.self)[0]))
            let trace = try withNoGrad { () throws(PromptError) -> ForwardTrace in
                try model.forward(ids: ids, images: images, cache: nil, options: .logitsOnly)
            }
            let logits = try #require(trace.logits)
            #expect(logits.shape == expected.shape && Self.maxDifference(logits, expected) <= 1e-4, "\(name)")
        }
        let ids = try golden.loadTensor(named: "input_ids").toArray(Int.self)
        let greedy = try Decoding.generate(model, ids: ids, images: images, method: .greedy, limits: GenerationLimits(maxNewTokens: 8))
        #expect(greedy.tokens == (try golden.loadTensor(named: "greedy").toArray(Int.self)))
    }

    @Test(arguments: ["qwen2-vl", "qwen2.5-vl"])
    func lucidsProcessorGivesEachOfSeveralImagesTheProcessorsPatches(_ folder: String) throws {
        let directory = Self.fixtures.appendingPathComponent(folder).path
        let golden = try SafetensorsFile(path: directory + "/multi_image.safetensors")
        let (opened, model) = try Self.open(directory)
        let decoded = try (Self.families[folder] ?? []).map { try ImageDecoder.decode(path: directory + "/\($0).png") }
        let several = try opened.pixelValues(prompt: decoded, padToSquare: false)
        let patches = Tensor.cat(several.map { model.patches(of: $0) }, axis: 0)
        let expected = try golden.loadTensor(named: "pixel_values")
        #expect(patches.shape == expected.shape && Self.maxDifference(patches, expected) <= 1e-6)
    }

    @Test func gridsThatDoNotCoverThePatchesAreRefusedNamingBoth() throws {
        let (_, model) = try Self.open()
        var outputs = try ProcessorOutputs.load(path: Self.goldenPath)
        outputs.imageGridTHW = [1, 4, 6, 1, 6, 4]  // 48 rows claimed, 36 given
        #expect { _ = try outputs.images(for: model) } throws: { "\($0)".contains("needs 48 patch rows, pixel_values has 36") }
        outputs.imageGridTHW = [1, 4, 6, 1, 6]
        #expect { _ = try outputs.images(for: model) } throws: { "\($0)".contains("image_grid_thw [images, 3], got 5 values") }
        outputs.imageGridTHW = [1, 4, 6, 1, -6, -2]  // a negative grid sums to the right count but is refused first
        #expect { _ = try outputs.images(for: model) } throws: { "\($0)".contains("out of range") }
    }
}
