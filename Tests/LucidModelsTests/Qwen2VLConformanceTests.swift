import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidNN
@testable import LucidTensor
import LucidVision

/// Qwen2-VL against transformers 5.23.0 on torch 2.13 (fixtures: scripts/make_qwen2_vl_fixtures.py): the
/// PIL-backend image processor, merged image features, M-RoPE positions, LLM logits and hidden states
/// to max-abs 1e-4, and greedy tokens through the KV cache (rope delta included).
@Suite("Qwen2-VL conformance with transformers")
struct Qwen2VLConformanceTests {
    static let tolerance = 1e-4
    static let directory = Fixtures.path("qwen2-vl")

    static let fixture = QwenFixture(directory: directory, beamFile: "beam.safetensors")

    static func image(_ name: String) throws -> Qwen2VLImage { try fixture.image(name) }

    @Test(arguments: ["wide", "tall", "small"])
    func patchesAndGridMatchTheImageProcessor(_ name: String) throws {
        let golden = try Fixtures.golden(Self.directory)
        let image = try Self.image(name)
        let expected = try golden.loadTensor(named: "processor.\(name).pixel_values")
        #expect(image.patches.shape == expected.shape)
        expectMatches(image.patches, expected, tolerance: 1e-6, "\(name) patches")
        let grid = try golden.loadTensor(named: "processor.\(name).image_grid_thw").toArray(Int.self)
        #expect([image.grid.t, image.grid.h, image.grid.w] == grid)
    }

    @Test(arguments: ["wide", "tall"])
    func featuresPositionsLogitsAndHiddenStatesMatch(_ name: String) throws {
        try Self.fixture.expectFeaturesPositionsLogitsAndHiddenStates(name, tolerance: Self.tolerance)
    }

    /// 8 greedy tokens, and 3 beams of 6 tokens with EOS 2 and early stopping (beam.safetensors from
    /// scripts/make_family_beam_fixtures.py), through the M-RoPE cache.
    @Test(arguments: ["wide", "tall"])
    func greedyAndBeamTokensMatchThroughTheCache(_ name: String) throws {
        try Self.fixture.expectGreedyAndBeamTokens(name)
    }

    @Test func theRopeDeltaMattersForTheWideImage() throws {
        // Without the delta (decode positions = cache length) the continuation must differ: the test
        // above could not tell otherwise.
        let model = try Qwen2VLForConditionalGeneration.load(directory: Self.directory + "/model")
        let golden = try Fixtures.golden(Self.directory)
        let ids = try golden.loadTensor(named: "wide.input_ids").toArray(Int.self)
        let image = try Self.image("wide")
        #expect(try model.positionIDs(ids: ids, images: [image]).delta != 0)
        let cache = model.makeCache()
        _ = try withNoGrad { () throws(PromptError) -> ForwardTrace in
            try model.forward(ids: ids, images: [image], cache: cache, options: ForwardOptions(logits: .last))
        }
        let withDelta = withNoGrad { model.forward(tokens: Tensor([5], shape: [1, 1]), cache: cache.fork(), options: .logitsOnly).logits }
        let plain = cache.fork()
        plain.positionOffset = 0
        let withoutDelta = withNoGrad { model.forward(tokens: Tensor([5], shape: [1, 1]), cache: plain, options: .logitsOnly).logits }
        #expect(maxAbs(try #require(withDelta), try #require(withoutDelta)) > 1e-3)
    }

    @Test func badGridsAndPlaceholderCountsAreRefused() throws {
        let model = try Qwen2VLForConditionalGeneration.load(directory: Self.directory + "/model")
        var image = try Self.image("wide")
        let placeholder = model.imagePlaceholderID
        #expect(throws: PromptError.self) { try model.embed(ids: [1, placeholder, placeholder], images: [image]) }
        image.grid.h += 2
        #expect { _ = try model.imageFeatures(image) } throws: { "\($0)".contains("needs patches") }
    }

    @Test func smartResizeFollowsTheReferenceBounds() throws {
        // Worked by hand from transformers' smart_resize: round to multiples of 28, then scale into bounds.
        #expect(try Qwen2VLImageProcessor.smartResize(height: 50, width: 90, factor: 28, minPixels: 784, maxPixels: 9408) == (56, 84))
        #expect(try Qwen2VLImageProcessor.smartResize(height: 10, width: 10, factor: 28, minPixels: 3136, maxPixels: 9408) == (56, 56))
        #expect(try Qwen2VLImageProcessor.smartResize(height: 1000, width: 1000, factor: 28, minPixels: 784, maxPixels: 9408) == (84, 84))
        #expect(throws: ImageError.self) { try Qwen2VLImageProcessor.smartResize(height: 1, width: 300, factor: 28, minPixels: 784, maxPixels: 9408) }
    }
}

@Suite("Qwen2-VL configuration layouts")
struct Qwen2VLConfigLayoutTests {
    @Test func theHubsFlatConfigReadsLikeTheNestedOne() throws {
        // The Hub's 4.x configs put the text keys at the top level, with rope_theta beside
        // `rope_scaling: {type: mrope, mrope_section}`; transformers 5.x nests them in text_config.
        let path = Fixtures.path("qwen2-vl", "model", "config.json")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var text = try #require(object.removeValue(forKey: "text_config") as? [String: Any])
        let rope = try #require(text.removeValue(forKey: "rope_parameters") as? [String: Any])
        text["rope_theta"] = rope["rope_theta"]
        text["rope_scaling"] = ["type": "mrope", "mrope_section": rope["mrope_section"] as Any]
        text.removeValue(forKey: "model_type")
        for (key, value) in text { object[key] = value }
        let flat = try JSONDecoder().decode(Qwen2VLConfig.self, from: JSONSerialization.data(withJSONObject: object))
        let nested = try JSONDecoder().decode(Qwen2VLConfig.self, from: data)
        var expected = nested.textConfig
        expected.modelType = "qwen2_vl"
        #expect(flat.textConfig == expected)
        #expect(flat.visionConfig == nested.visionConfig && flat.imageTokenID == nested.imageTokenID)
        #expect(flat.textConfig.mropeSection == [2, 3, 1] && flat.textConfig.qkvBias && !flat.textConfig.outputBias)
    }

    @Test func aTextConfigWithoutMropeSectionIsRefused() throws {
        let path = Fixtures.path("qwen2-vl", "model", "config.json")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        var text = try #require(object["text_config"] as? [String: Any])
        text["rope_parameters"] = ["rope_type": "default", "rope_theta": 10000.0]
        object["text_config"] = text
        let config = try JSONDecoder().decode(Qwen2VLConfig.self, from: JSONSerialization.data(withJSONObject: object))
        #expect { try config.validate() } throws: { "\($0)".contains("mrope_section") }
    }
}
