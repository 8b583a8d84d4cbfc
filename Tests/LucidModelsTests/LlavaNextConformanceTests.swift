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
