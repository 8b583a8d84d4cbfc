import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidNN
@testable import LucidTensor
import LucidVision

/// LLaVA-NeXT against transformers 5.23.0 on torch 2.13 (fixtures: scripts/make_llava_next_fixtures.py):
/// the PIL-backend image processor on four aspect ratios, the packed image features (anyres tiles,
/// unpadding, `image_newline`), LLM logits and hidden states to max-abs 1e-4, and greedy tokens.
@Suite("LLaVA-NeXT conformance with transformers")
struct LlavaNextConformanceTests {
    static let tolerance = 1e-4
    static let directory = Fixtures.path("llava-next")
    static let fixture = AnyresFixture(directory: directory, readProcessor: LlavaNextImageProcessor.load(path:))

    /// The processor's output for a fixture PNG as the model takes it.
    static func image(_ name: String) throws -> LlavaNextImage { try fixture.image(name) }

    @Test(arguments: ["wide", "tall", "square", "strip"])
    func pixelValuesMatchTheImageProcessor(_ name: String) throws {
        try Self.fixture.expectPixelValuesMatch(name)
    }

    @Test(arguments: ["wide", "tall"])
    func imageFeaturesLogitsAndHiddenStatesMatch(_ name: String) throws {
        try Self.fixture.expectFeaturesLogitsAndHiddenStatesMatch(name, tolerance: Self.tolerance)
    }

    /// 8 greedy tokens, and 3 beams of 6 tokens with EOS 2 and early stopping (beam.safetensors from
    /// scripts/make_family_beam_fixtures.py; beam differs from greedy on `wide`).
    @Test(arguments: ["wide", "tall"])
    func greedyAndBeamTokensMatch(_ name: String) throws {
        try Self.fixture.expectGreedyAndBeamTokensMatch(name, beams: try SafetensorsFile(path: Self.directory + "/beam.safetensors"))
    }

    /// Two images in one prompt through the family's own `[LlavaNextImage]` path, each with its own size
    /// (multi_image.safetensors: scripts/make_llava_onevision_multi_image_fixture.py llava-next): the
    /// processor's tiles and sizes, features, logits within the tolerance with one placeholder per image
    /// or the processor's runs, and 8 greedy tokens. (Through `VisionLanguageModel`, whose image is a tile
    /// stack and whose size is the model's one `originalImageSize`, several NeXT images are refused.)
    @Test func severalImagesOfTheirOwnSizesMatchTransformers() throws {
        let golden = try SafetensorsFile(path: Self.directory + "/multi_image.safetensors")
        let model = try Self.fixture.model()
        let images = try ["wide", "tall"].map { try Self.image($0) }
        let pixels = try golden.loadTensor(named: "pixel_values")
        let sizes = try golden.loadTensor(named: "image_sizes").toArray(Int.self)
        for (index, image) in images.enumerated() {
            let expected = pixels.selected(axis: 0, index: index).narrowed(axis: 0, start: 0, length: image.tiles.size(0))
            expectMatches(image.tiles, expected, tolerance: 1e-6, "image \(index) tiles")
            #expect([image.height, image.width] == Array(sizes[(2 * index)..<(2 * index + 2)]))
        }
        let features = try withNoGrad { () throws(PromptError) -> Tensor in
            Tensor.cat(try images.map { (image) throws(PromptError) -> Tensor in try model.imageFeatures(image) }, axis: 0)
        }
        expectMatches(features, try golden.loadTensor(named: "image_features"), tolerance: Self.tolerance, "features")
        for name in ["input_ids", "expanded_input_ids"] {
            let ids = try golden.loadTensor(named: name).toArray(Int.self)
            let trace = try withNoGrad { () throws(PromptError) -> ForwardTrace in
                try model.forward(ids: ids, images: images, cache: nil, options: .logitsOnly)
            }
            expectMatches(trace.logits, try golden.loadTensor(named: "logits"), tolerance: Self.tolerance, "\(name) logits")
        }
        let ids = try golden.loadTensor(named: "input_ids").toArray(Int.self)
        let embeddings = try withNoGrad { () throws(PromptError) -> Tensor in try model.embed(ids: ids, images: images) }
        let greedy = try GenerationDriver(model: model).generate(.embeddings(embeddings), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 8))
        #expect(greedy.tokens == (try golden.loadTensor(named: "greedy").toArray(Int.self)))
    }

    @Test func bothPlaceholderConventionsGiveTheSameEmbeddings() throws {
        let model = try LlavaNextForConditionalGeneration.load(directory: Self.directory + "/model")
        let image = try Self.image("wide")
        let placeholder = model.imagePlaceholderID
        let count = try model.imageFeatureCount(image)
        let one = try model.embed(ids: [1, 5, placeholder, 9], images: [image])
        let many = try model.embed(ids: [1, 5] + [Int](repeating: placeholder, count: count) + [9], images: [image])
        #expect(one.shape == [1, 3 + count, model.config.base.textConfig.hiddenSize])
        #expect(maxAbs(one, many) == 0)
        #expect(throws: PromptError.self) {
            try model.embed(ids: [1, 5] + [Int](repeating: placeholder, count: count - 1) + [9], images: [image])
        }
    }

    @Test func tilesThatDoNotFitTheImageSizeAreRefused() throws {
        let model = try LlavaNextForConditionalGeneration.load(directory: Self.directory + "/model")
        let image = try Self.image("wide")
        var lying = image
        lying.height = image.width * 3
        #expect {
            _ = try model.imageFeatures(lying)
        } throws: { error in
            "\(error)".contains("needs pixel values")
        }
    }

    @Test func theTransformersInMemoryLayoutLoadsToo() throws {
        // Rename every tensor to transformers' in-memory names (`model.language_model.*`, `model.vision_tower.*`,
        // `lm_head.weight`, `model.image_newline`) and load that copy.
        let source = try SafetensorsFile(path: Self.directory + "/model/model.safetensors")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-llava-next-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var renamed: [SafetensorsWriter.Item] = []
        for name in source.names {
            let new: String
            if name.hasPrefix("language_model.model.") {
                new = "model.language_model." + name.dropFirst("language_model.model.".count)
            } else if name.hasPrefix("language_model.lm_head.") {
                new = String(name.dropFirst("language_model.".count))
            } else {
                new = "model." + name
            }
            renamed.append(try SafetensorsWriter.Item(name: new, tensor: try source.loadTensor(named: name)))
        }
        try SafetensorsWriter.write(renamed, to: directory + "/model.safetensors")
        #expect(renamed.contains { $0.name == "model.image_newline" } && renamed.contains { $0.name == "lm_head.weight" })
        try FileManager.default.copyItem(atPath: Self.directory + "/model/config.json", toPath: directory + "/config.json")
        let moved = try LlavaNextForConditionalGeneration.load(directory: directory)
        let original = try LlavaNextForConditionalGeneration.load(directory: Self.directory + "/model")
        for ((name, a), (_, b)) in zip(original.namedParameters(), moved.namedParameters()) {
            #expect(maxAbs(a.value, b.value) == 0, "\(name)")
        }
    }
}
