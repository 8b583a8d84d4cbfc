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

    static func processor() throws -> LlavaNextImageProcessor {
        try LlavaNextImageProcessor.load(path: directory + "/model/preprocessor_config.json")
    }

    /// The processor's output for a fixture PNG as the model takes it.
    static func image(_ name: String) throws -> LlavaNextImage {
        let decoded = try ImageDecoder.decode(path: directory + "/\(name).png")
        let prepared = try processor().pixelValues(decoded)
        let tiles = Tensor.cat(prepared.tiles.map { $0.tensor() }, axis: 0)
        return LlavaNextImage(tiles: tiles, height: prepared.height, width: prepared.width)
    }

    @Test(arguments: ["wide", "tall", "square", "strip"])
    func pixelValuesMatchTheImageProcessor(_ name: String) throws {
        let golden = try Fixtures.golden(Self.directory)
        let image = try Self.image(name)
        let expected = try golden.loadTensor(named: "processor.\(name).pixel_values")
        #expect(image.tiles.shape == expected.shape)
        expectMatches(image.tiles, expected, tolerance: 1e-6, "\(name) pixel values")
        let sizes = try golden.loadTensor(named: "processor.\(name).image_sizes").toArray(Int.self)
        #expect([image.height, image.width] == sizes)
    }

    @Test(arguments: ["wide", "tall"])
    func imageFeaturesLogitsAndHiddenStatesMatch(_ name: String) throws {
        let model = try LlavaNextForConditionalGeneration.load(directory: Self.directory + "/model")
        let golden = try Fixtures.golden(Self.directory)
        let image = try Self.image(name)
        let features = try withNoGrad { () throws(PromptError) -> Tensor in try model.imageFeatures(image) }
        let expectedFeatures = try golden.loadTensor(named: "\(name).image_features")
        #expect(features.shape == expectedFeatures.shape)
        #expect(try model.imageFeatureCount(image) == expectedFeatures.size(0))
        expectMatches(features, expectedFeatures, tolerance: Self.tolerance, "\(name) image features")
        let ids = try golden.loadTensor(named: "\(name).input_ids").toArray(Int.self)
        let trace = try withNoGrad { () throws(PromptError) -> ForwardTrace in
            try model.forward(ids: ids, images: [image], cache: nil, options: ForwardOptions(hiddenStates: .all))
        }
        expectMatches(trace.logits, try golden.loadTensor(named: "\(name).logits"), tolerance: Self.tolerance, "\(name) logits")
        for index in 0...model.layerCount {
            expectMatches(trace.hiddenStates[index], try golden.loadTensor(named: "\(name).hidden_states.\(index)"),
                          tolerance: Self.tolerance, "\(name) hidden_states.\(index)")
        }
    }

    /// 8 greedy tokens, and 3 beams of 6 tokens with EOS 2 and early stopping (beam.safetensors from
    /// scripts/make_family_beam_fixtures.py; beam differs from greedy on `wide`).
    @Test(arguments: ["wide", "tall"])
    func greedyAndBeamTokensMatch(_ name: String) throws {
        let model = try LlavaNextForConditionalGeneration.load(directory: Self.directory + "/model")
        let golden = try Fixtures.golden(Self.directory)
        let ids = try golden.loadTensor(named: "\(name).input_ids").toArray(Int.self)
        let image = try Self.image(name)
        let embeddings = try withNoGrad { () throws(PromptError) -> Tensor in try model.embed(ids: ids, images: [image]) }
        let greedy = try GenerationDriver(model: model).generate(.embeddings(embeddings), strategy: .greedy,
                                                                 limits: GenerationLimits(maxNewTokens: 8))
        #expect(greedy.tokens == (try golden.loadTensor(named: "\(name).greedy").toArray(Int.self)))
        let beam = try GenerationDriver(model: model).generate(.embeddings(embeddings),
                                                               strategy: .beamSearch(BeamSearchParameters(beams: 3, earlyStopping: .whenFinished)),
                                                               limits: GenerationLimits(maxNewTokens: 6, eosTokenIDs: [2]))
        let beams = try SafetensorsFile(path: Self.directory + "/beam.safetensors")
        #expect(beam.tokens == (try beams.loadTensor(named: "\(name).beam3").toArray(Int.self)))
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
