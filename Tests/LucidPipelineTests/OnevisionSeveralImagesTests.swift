import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidPipeline
@testable import LucidTensor
import LucidVision

/// A LLaVA-OneVision prompt with two images against transformers (Fixtures/llava-onevision/multi_image.safetensors,
/// scripts/make_llava_onevision_multi_image_fixture.py): its processor pads each image to a square and
/// gives it one base tile (`batch_num_images` [2]), and the model encodes that tile's patches and
/// `image_newline`, where a lone image takes the anyres path.
@Suite("LLaVA-OneVision prompts with several images", .serialized)
struct OnevisionSeveralImagesTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("LucidModelsTests/Fixtures")
    static let directory = fixtures.appendingPathComponent("llava-onevision").path
    static var goldenPath: String { directory + "/multi_image.safetensors" }

    static func open() throws -> (opened: OpenedModel, model: LlavaNextForConditionalGeneration) {
        let opened = try ModelRegistry.standard.open(directory + "/model")
        return (opened, try #require(opened.vision as? LlavaNextForConditionalGeneration))
    }

    static func maxDifference(_ a: Tensor, _ b: Tensor) -> Double { (a.to(.f64) - b.to(.f64)).abs().max().item() }

    @Test func severalImagesAreEncodedByTheirBaseTilesAsTransformersDoes() throws {
        let golden = try SafetensorsFile(path: Self.goldenPath)
        let (_, model) = try Self.open()
        let images = try ProcessorOutputs.load(path: Self.goldenPath).images(for: model)
        #expect(images.map(\.shape) == [[1, 3, 32, 32], [1, 3, 32, 32]])
        let features = Tensor.cat(images.map { model.imageFeatures($0, options: ForwardOptions(), trace: ForwardTrace()).selected(axis: 0, index: 0) }, axis: 0)
        let expectedFeatures = try golden.loadTensor(named: "image_features")
        #expect(features.shape == expectedFeatures.shape && Self.maxDifference(features, expectedFeatures) <= 1e-4)

        let expected = try golden.loadTensor(named: "logits")
        for name in ["input_ids", "expanded_input_ids"] {  // one placeholder per image, or the processor's runs
            let ids = try golden.loadTensor(named: name).toArray(Int.self)
            #expect(try model.imageSpans(ids: ids, images: images).map(\.count) == [17, 17])
            let trace = try withNoGrad { () throws(PromptError) -> ForwardTrace in
                try model.forward(ids: ids, images: images, cache: nil, options: .logitsOnly)
            }
            let logits = try #require(trace.logits)
            #expect(logits.shape == expected.shape)
            #expect(logits.shape == expected.shape && Self.maxDifference(logits, expected) <= 1e-4, "\(name)")
        }
        let ids = try golden.loadTensor(named: "input_ids").toArray(Int.self)
        let greedy = try Decoding.generate(model, ids: ids, images: images, method: .greedy, limits: GenerationLimits(maxNewTokens: 8))
        #expect(greedy.tokens == (try golden.loadTensor(named: "greedy").toArray(Int.self)))
    }

    @Test func lucidsProcessorGivesEachOfSeveralImagesItsPaddedBaseTile() throws {
        let golden = try SafetensorsFile(path: Self.goldenPath)
        let (opened, model) = try Self.open()
        let decoded = try ["wide", "tall"].map { try ImageDecoder.decode(path: Self.directory + "/\($0).png") }
        let several = try opened.pixelValues(prompt: decoded, padToSquare: false)
        let expected = try golden.loadTensor(named: "pixel_values")
        for (index, pixels) in several.enumerated() {
            #expect(pixels.shape == [1, 3, 32, 32])
            #expect(Self.maxDifference(pixels, expected.selected(axis: 0, index: index)) <= 1e-6, "image \(index)")
        }
        // A lone image keeps its anyres tiles (wide.png: the base tile and two tiles), and the prompt encodes them.
        let lone = try opened.pixelValues(prompt: [decoded[0]], padToSquare: false)
        #expect(lone.map(\.shape) == [[3, 3, 32, 32]])
        #expect(try model.promptImages(lone).map(\.shape) == [[3, 3, 32, 32]])
        // A library caller's full stacks among several are encoded by their first tile, as transformers' model slices them.
        #expect(try model.promptImages([lone[0], lone[0]]).map(\.shape) == [[1, 3, 32, 32], [1, 3, 32, 32]])
    }

    @Test func aLoneBaseTileAndALlavaNextPromptWithSeveralImagesAreRefused() throws {
        let (_, model) = try Self.open()
        let tile = Tensor.zeros([1, 3, 32, 32])
        #expect { _ = try model.segments(ids: [1, 149, 2], images: [tile]) } throws: { "\($0)".contains("a lone image needs its anyres tiles") }
        #expect { _ = try model.promptImages([tile, Tensor.zeros([3, 32, 32])]) } throws: { "\($0)".contains("tiles [N, 3, 32, 32]") }

        let next = try #require(try ModelRegistry.standard.open(Self.fixtures.appendingPathComponent("llava-next/model").path).vision
            as? LlavaNextForConditionalGeneration)
        let side = next.config.tileSize
        #expect { _ = try next.imageSpans(ids: [1, next.imagePlaceholderID, next.imagePlaceholderID], imageCount: 2) } throws: {
            "\($0)".contains("one image a LLaVA-NeXT prompt")
        }
        #expect { _ = try next.promptImages([Tensor.zeros([1, 3, side, side]), Tensor.zeros([1, 3, side, side])]) } throws: {
            "\($0)".contains("one image a LLaVA-NeXT prompt")
        }
    }

    @Test func moreImageFilesThanAPromptTakesAreRefusedBeforeAnyIsRead() throws {
        let (opened, _) = try Self.open()
        let missing = "/nonexistent/lucid-image.png"
        let count = OpenedModel.maximumImagesPerPrompt + 1
        #expect { _ = try opened.pixelValues(imageFiles: Array(repeating: missing, count: count), padToSquare: false) } throws: {
            "\($0)" == "\(count) images: a prompt takes at most \(OpenedModel.maximumImagesPerPrompt)"
        }
        // At the limit the files are read (and this one's absence is what is refused).
        #expect { _ = try opened.pixelValues(imageFiles: Array(repeating: missing, count: count - 1), padToSquare: false) } throws: {
            "\($0)".contains(missing)
        }
    }
}
