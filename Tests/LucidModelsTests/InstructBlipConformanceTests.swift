import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidNN
@testable import LucidTensor
import LucidVision

/// InstructBLIP (Llama decoder) against transformers 5.23.0 on torch 2.13 (fixtures:
/// scripts/make_instructblip_fixtures.py): BLIP pixel values, the ViT output, the Q-Former's query
/// output, projected features, LLM logits and hidden states to max-abs 1e-4, and greedy tokens.
@Suite("InstructBLIP conformance with transformers")
struct InstructBlipConformanceTests {
    static let tolerance = 1e-4
    static let directory = Fixtures.path("instructblip")

    static func pixels() throws -> Tensor {
        let config = try CLIPPreprocessorConfig.loadBlip(path: directory + "/model/preprocessor_config.json")
        return try CLIPPreprocessor(config: config).pixelValues(try ImageDecoder.decode(path: directory + "/image.png")).tensor()
    }

    @Test func pixelValuesMatchTheBlipProcessor() throws {
        let golden = try Fixtures.golden(Self.directory)
        let pixels = try Self.pixels()
        let expected = try golden.loadTensor(named: "pixel_values")
        #expect(pixels.shape == expected.shape)
        expectMatches(pixels, expected, tolerance: 1e-6, "pixel values")
    }

    @Test func visionQFormerLogitsAndHiddenStatesMatch() throws {
        let model = try InstructBlipForConditionalGeneration.load(directory: Self.directory + "/model")
        let golden = try Fixtures.golden(Self.directory)
        let pixels = try golden.loadTensor(named: "pixel_values")
        let instruction = try golden.loadTensor(named: "qformer_input_ids").toArray(Int.self)
        let (vision, query, features) = try withNoGrad { () throws(PromptError) -> (Tensor, Tensor, Tensor) in
            (model.visionOutput(pixels), try model.queryOutput(pixels, instruction: instruction),
             try model.imageFeatures(pixels, instruction: instruction))
        }
        expectMatches(vision, try golden.loadTensor(named: "vision_output"), tolerance: Self.tolerance, "vision output")
        expectMatches(query, try golden.loadTensor(named: "query_output"), tolerance: Self.tolerance, "query output")
        expectMatches(features, try golden.loadTensor(named: "image_features"), tolerance: Self.tolerance, "image features")
        let ids = try golden.loadTensor(named: "input_ids").toArray(Int.self)
        let trace = try withNoGrad { () throws(PromptError) -> ForwardTrace in
            try model.forward(ids: ids, pixels: pixels, instruction: instruction, cache: nil, options: ForwardOptions(hiddenStates: .all))
        }
        expectMatches(trace.logits, try golden.loadTensor(named: "logits"), tolerance: Self.tolerance, "logits")
        // Hidden states reach 27 after layer 1 here; `expectMatches` scales the tolerance by that
        // magnitude (1e-4 absolute would be ~50 f32 ulps); measured: ≤ 9.9e-5 absolute.
        for index in 0...model.layerCount {
            expectMatches(trace.hiddenStates[index], try golden.loadTensor(named: "hidden_states.\(index)"), tolerance: Self.tolerance,
                          "hidden_states.\(index)")
        }
    }

    /// 8 greedy tokens, and 3 beams of 6 tokens with EOS 2 and early stopping (beam.safetensors from
    /// scripts/make_family_beam_fixtures.py).
    @Test func greedyAndBeamTokensMatch() throws {
        let model = try InstructBlipForConditionalGeneration.load(directory: Self.directory + "/model")
        let golden = try Fixtures.golden(Self.directory)
        let ids = try golden.loadTensor(named: "input_ids").toArray(Int.self)
        let pixels = try golden.loadTensor(named: "pixel_values")
        let instruction = try golden.loadTensor(named: "qformer_input_ids").toArray(Int.self)
        let embeddings = try withNoGrad { () throws(PromptError) -> Tensor in
            try model.embed(ids: ids, pixels: pixels, instruction: instruction)
        }
        let greedy = try GenerationDriver(model: model).generate(.embeddings(embeddings), strategy: .greedy,
                                                                 limits: GenerationLimits(maxNewTokens: 8))
        #expect(greedy.tokens == (try golden.loadTensor(named: "greedy").toArray(Int.self)))
        let beam = try GenerationDriver(model: model).generate(.embeddings(embeddings),
                                                               strategy: .beamSearch(BeamSearchParameters(beams: 3, earlyStopping: .whenFinished)),
                                                               limits: GenerationLimits(maxNewTokens: 6, eosTokenIDs: [2]))
        let beams = try SafetensorsFile(path: Self.directory + "/beam.safetensors")
        #expect(beam.tokens == (try beams.loadTensor(named: "beam3").toArray(Int.self)))
    }

    @Test func theInstructionChangesTheImageFeatures() throws {
        // InstructBLIP's point: the Q-Former reads the instruction, so the same image gives other features.
        let model = try InstructBlipForConditionalGeneration.load(directory: Self.directory + "/model")
        let pixels = try Fixtures.golden(Self.directory).loadTensor(named: "pixel_values")
        let a = try withNoGrad { () throws(PromptError) -> Tensor in try model.imageFeatures(pixels, instruction: [5, 17, 23]) }
        let b = try withNoGrad { () throws(PromptError) -> Tensor in try model.imageFeatures(pixels, instruction: [8, 3]) }
        #expect(maxAbs(a, b) > 1e-3)
    }

    @Test func badPromptsAndImagesAreRefused() throws {
        let model = try InstructBlipForConditionalGeneration.load(directory: Self.directory + "/model")
        let pixels = try Fixtures.golden(Self.directory).loadTensor(named: "pixel_values")
        let placeholder = model.imagePlaceholderID
        #expect(throws: PromptError.self) { try model.embed(ids: [1, placeholder, placeholder], pixels: pixels, instruction: [5]) }
        #expect(throws: PromptError.self) { try model.embed(ids: [1, placeholder], pixels: pixels, instruction: [500]) }
        #expect { _ = try model.imageFeatures(Tensor.zeros([1, 3, 14, 14]), instruction: [5]) } throws: { "\($0)".contains("[B, 3, 28, 28]") }
    }

    /// transformers pairs a text with one image: a prompt with two is refused through the seam, however
    /// its placeholders are written, and one image still goes through.
    @Test func aPromptWithSeveralImagesIsRefusedThroughTheSeam() throws {
        let model = try InstructBlipForConditionalGeneration.load(directory: Self.directory + "/model")
        let pixels = try Fixtures.golden(Self.directory).loadTensor(named: "pixel_values")
        let vlm: any VisionLanguageModel = model
        let placeholder = model.imagePlaceholderID
        let refusal = "InstructBLIP takes one image a prompt"
        #expect { _ = try vlm.segments(ids: [1, placeholder, 7, placeholder], images: [pixels, pixels]) } throws: { "\($0)".contains(refusal) }
        #expect { _ = try vlm.imageSpans(ids: [1, placeholder, placeholder], imageCount: 2) } throws: { "\($0)".contains(refusal) }
        #expect { _ = try vlm.promptImages([pixels, pixels]) } throws: { "\($0)".contains(refusal) }
        #expect { _ = try vlm.forward(ids: [1, placeholder, 7, placeholder], images: [pixels, pixels], cache: nil, options: .logitsOnly) } throws: {
            "\($0)".contains(refusal)
        }
        #expect(try vlm.segments(ids: [1, placeholder, 7], images: [pixels]).count == 3)
    }
}

@Suite("InstructBLIP loading")
struct InstructBlipLoadingTests {
    @Test func aFlanT5DecoderIsRefusedByName() throws {
        let source = Fixtures.path("instructblip", "model")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-instructblip-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source + "/config.json"))) as? [String: Any])
        var text = try #require(object["text_config"] as? [String: Any])
        text["model_type"] = "t5"
        object["text_config"] = text
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: directory + "/config.json"))
        try FileManager.default.copyItem(atPath: source + "/model.safetensors", toPath: directory + "/model.safetensors")
        #expect { _ = try InstructBlipForConditionalGeneration.load(directory: directory) } throws: { "\($0)".contains("'t5' decoder") }
    }
}
