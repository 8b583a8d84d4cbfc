import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidTensor
import LucidVision

/// LLaVA (`model_type: llava`) with a SigLIP tower and a Qwen2 decoder — LLaVA-Interleave's shape — against
/// transformers 5.23.0 on torch 2.13 (fixtures: scripts/make_llava_siglip_fixtures.py): SigLIP's processor
/// (exact resize, no crop, mean and std 0.5), the 16 patch features (`full`, no class token), logits and
/// hidden states to max-abs 1e-4, greedy and 3-beam tokens.
@Suite("LLaVA with a SigLIP tower: conformance with transformers")
struct LlavaSiglipConformanceTests {
    static let tolerance = 1e-4
    static let directory = Fixtures.path("llava-siglip")

    static func model() throws -> LlavaForConditionalGeneration { try LlavaForConditionalGeneration.load(directory: directory + "/model") }

    /// The fixture PNG through SigLIP's processor as `preprocessor_config.json` describes it.
    static func pixels(_ name: String) throws -> Tensor {
        let config = try CLIPPreprocessorConfig.loadExactResize(path: directory + "/model/preprocessor_config.json",
                                                               defaults: .siglipDefaults(imageSize: 32))
        return try CLIPPreprocessor(config: config).pixelTensor(try ImageDecoder.decode(path: directory + "/\(name).png"))
    }

    @Test(arguments: ["wide", "tall"])
    func pixelsFeaturesLogitsHiddenStatesAndTokensMatch(_ name: String) throws {
        let model = try Self.model()
        #expect(model.config.visionConfig.variant == .siglip && model.config.imageFeatureCount == 16 && !model.imageFeaturesIncludeClassToken)
        let golden = try Fixtures.golden(Self.directory)
        let pixels = try Self.pixels(name)
        expectMatches(pixels, try golden.loadTensor(named: "processor.\(name).pixel_values"), tolerance: 1e-6, "\(name) pixel values")
        let features = withNoGrad { model.imageFeatures(pixels, options: ForwardOptions(), trace: ForwardTrace()) }
        expectMatches(features.reshaped([-1, features.size(-1)]), try golden.loadTensor(named: "\(name).image_features"),
                      tolerance: Self.tolerance, "\(name) image features")
        let ids = try golden.loadTensor(named: "\(name).input_ids").toArray(Int.self)
        let trace = try withNoGrad { () throws(PromptError) -> ForwardTrace in
            try model.forward(ids: ids, images: [pixels], cache: nil, options: ForwardOptions(hiddenStates: .all))
        }
        expectMatches(trace.logits, try golden.loadTensor(named: "\(name).logits"), tolerance: Self.tolerance, "\(name) logits")
        for index in 0...model.layerCount {
            expectMatches(trace.hiddenStates[index], try golden.loadTensor(named: "\(name).hidden_states.\(index)"),
                          tolerance: Self.tolerance, "\(name) hidden_states.\(index)")
        }
        let embeddings = try withNoGrad { () throws(PromptError) -> Tensor in
            try model.embed(try model.segments(ids: ids, images: [pixels]), options: ForwardOptions(), trace: ForwardTrace())
        }
        let greedy = try GenerationDriver(model: model).generate(.embeddings(embeddings), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 8))
        #expect(greedy.tokens == (try golden.loadTensor(named: "\(name).greedy").toArray(Int.self)))
        let beam = try GenerationDriver(model: model).generate(.embeddings(embeddings),
                                                               strategy: .beamSearch(BeamSearchParameters(beams: 3, earlyStopping: .whenFinished)),
                                                               limits: GenerationLimits(maxNewTokens: 6, eosTokenIDs: [2]))
        #expect(beam.tokens == (try golden.loadTensor(named: "\(name).beam3").toArray(Int.self)))
    }

    /// Without a class token: DAMRO and Q-MLLM's [CLS] path are refused, the span's grid is the 4 × 4 patches
    /// without an outlier ranking, and `default` (which drops the first patch, as transformers does) has no grid.
    @Test func whatNeedsAClassTokenIsRefusedAndTheGridHasNoRanking() throws {
        let model = try Self.model()
        let pixels = try Self.pixels("wide")
        #expect { _ = try model.visionOutliers(pixels, k: 2, attention: .singleHead) } throws: { "\($0)".contains("no class token") }
        #expect { _ = try model.visionClassEmbedding(pixels) } throws: { "\($0)".contains("[CLS]") }
        let layout = try model.imageSpanLayout(of: pixels)
        #expect(layout.rows == 4 && layout.columns == 4 && layout.gridOffsets == Array(0..<16) && !layout.cellsAreVisionPatches)
        var dropping = model.config
        dropping.visionFeatureSelectStrategy = "default"
        #expect(dropping.imageFeatureCount == 15)
        let dropped = try LlavaForConditionalGeneration(dropping)
        #expect(try dropped.imageSpanLayout(of: pixels) == .noGrid)
    }
}
