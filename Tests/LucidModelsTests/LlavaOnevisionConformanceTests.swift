import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidNN
@testable import LucidTensor
import LucidVision

/// LLaVA-OneVision against transformers 5.23.0 on torch 2.13 (fixtures: scripts/make_llava_onevision_fixtures.py):
/// the PIL-backend image processor on five aspect ratios, the packed image features (SigLIP tower,
/// anyres tiles, unpadding, the `anyres_max_1` bilinear downsizing, `image_newline`), the Qwen2
/// decoder's logits and hidden states to max-abs 1e-4, greedy and 3-beam tokens.
@Suite("LLaVA-OneVision conformance with transformers")
struct LlavaOnevisionConformanceTests {
    static let tolerance = 1e-4
    static let directory = Fixtures.path("llava-onevision")
    static let fixture = AnyresFixture(directory: directory, readProcessor: LlavaNextImageProcessor.loadOnevision(path:))

    static func model() throws -> LlavaNextForConditionalGeneration { try fixture.model() }
    static func image(_ name: String) throws -> LlavaNextImage { try fixture.image(name) }

    @Test func theConfigReadsAsOneVisionWithASigLIPTowerAndNoCenterCrop() throws {
        let model = try Self.model()
        #expect(model.config.variant == .llavaOnevision && model.config.maxPackedTiles == 1)
        #expect(model.config.base.visionConfig.variant == .siglip && !model.config.base.visionConfig.hasClassToken)
        #expect(model.visionTower.embeddings.classEmbedding == nil && model.visionTower.preLayernorm == nil)
        let processor = try Self.fixture.processor()
        #expect(!processor.clip.config.doCenterCrop && processor.tileSize == 32 && processor.clip.config.size == .exact(height: 32, width: 32))
    }

    @Test(arguments: ["wide", "tall", "square", "strip", "tile"])
    func pixelValuesMatchTheImageProcessor(_ name: String) throws {
        try Self.fixture.expectPixelValuesMatch(name)
    }

    /// `wide`, `tall` and `square` are downsized by `anyres_max_1` (24, 32 and 64 patches, above 1.1² × 16); `tile` is not.
    @Test(arguments: ["wide", "tall", "square", "tile"])
    func imageFeaturesLogitsAndHiddenStatesMatch(_ name: String) throws {
        try Self.fixture.expectFeaturesLogitsAndHiddenStatesMatch(name, tolerance: Self.tolerance)
    }

    /// 8 greedy tokens, and 3 beams of 6 tokens with EOS 2 and early stopping (beam differs from greedy on all but `tile`).
    @Test(arguments: ["wide", "tall", "square", "tile"])
    func greedyAndBeamTokensMatch(_ name: String) throws {
        try Self.fixture.expectGreedyAndBeamTokensMatch(name, beams: try Self.fixture.golden())
    }

    /// The released models' geometry, from a config that leaves every OneVision key at transformers' default
    /// (SigLIP so400m at 384 px, 36 pinpoints, `anyres_max_9`): tiles and packed features of 225 image sizes
    /// from 1 to 4,000 px a side equal `pack_image_features`' (feature_counts.json).
    @Test func featureCountsAtTheReleasedGeometryMatchTransformers() throws {
        let json = #"{"model_type": "llava_onevision", "text_config": {"model_type": "qwen2", "vocab_size": 151936, "hidden_size": 8, "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 1, "num_key_value_heads": 1}}"#
        let config = try JSONDecoder().decode(LlavaNextConfig.self, from: Data(json.utf8))
        try config.validate()
        #expect(config.base.visionConfig.variant == .siglip && config.base.visionConfig.hiddenSize == 1152 && config.patchesPerSide == 27)
        #expect(config.maxPackedTiles == 9 && config.imageGridPinpoints.count == 36 && config.base.imageTokenIndex == 151646)
        struct Counts: Decodable {
            struct Row: Decodable { var height: Int, width: Int, tiles: Int, features: Int }
            var counts: [Row]
        }
        let counts = try JSONDecoder().decode(Counts.self, from: Data(contentsOf: URL(fileURLWithPath: Self.directory + "/feature_counts.json"))).counts
        #expect(counts.count == 225)
        for row in counts {
            let grid = try #require(config.tileGrid(height: row.height, width: row.width))
            #expect(1 + grid.rows * grid.columns == row.tiles, "\(row.height)x\(row.width) tiles")
            #expect(config.imageFeatureCount(height: row.height, width: row.width) == row.features, "\(row.height)x\(row.width) features")
        }
    }

    /// A SigLIP tower whose patches do not divide its input (384 px in 14-px patches when released; 36 in 8
    /// here) drops the last pixels as its convolution does: its features are those of the top-left 32-px crop
    /// through the same weights.
    @Test func aSigLIPInputThatPatchesDoNotDivideDropsItsLastPixels() throws {
        let uneven = try CLIPVisionModel(CLIPVisionConfig(hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 2, numAttentionHeads: 4,
                                                          imageSize: 36, patchSize: 8, layerNormEps: 1e-6, hiddenAct: "gelu_pytorch_tanh",
                                                          variant: .siglip))
        uneven.initializeForTraining(std: 0.3, generator: Generator(seed: 5))
        var even = uneven.config
        even.imageSize = 32
        let cropped = try CLIPVisionModel(even)
        for ((name, a), (_, b)) in zip(uneven.namedParameters(), cropped.namedParameters()) {
            #expect(a.value.shape == b.value.shape, "\(name)")
            b.value = a.value
        }
        let pixels = Tensor.rand([1, 3, 36, 36], generator: Generator(seed: 6))
        let full = withNoGrad { uneven.forward(pixels, needHiddenState: -1, options: ForwardOptions(), trace: ForwardTrace()) }
        let crop = pixels.narrowed(axis: 2, start: 0, length: 32).narrowed(axis: 3, start: 0, length: 32)
        let expected = withNoGrad { cropped.forward(crop, needHiddenState: -1, options: ForwardOptions(), trace: ForwardTrace()) }
        #expect(full.shape == [1, 16, 16] && full.maxAbsDifference(expected) == 0)
        #expect(throws: ModelConfigError.self) { try CLIPVisionConfig(imageSize: 36, patchSize: 8).validate() }
    }

    /// The downsizing keeps the gradient to the pixels (the attacks follow it).
    @Test func theDownsizedFeaturesStayDifferentiableInThePixels() throws {
        let model = try Self.model()
        let image = try Self.image("wide")
        let tiles = image.tiles.detached()
        tiles.requiresGrad = true
        let features = try model.imageFeatures(LlavaNextImage(tiles: tiles, height: image.height, width: image.width))
        let gradient = try #require(Tensor.gradients(of: [features.square().sum()], withRespectTo: [tiles]).first ?? nil)
        #expect(gradient.shape == tiles.shape && gradient.abs().sum().item() > 0)
    }

    @Test func anAspectRatioThatIsNotAnyresMaxIsRefused() throws {
        let config = try String(contentsOfFile: Self.directory + "/model/config.json", encoding: .utf8)
        for bad in ["anyres", "anyres_max_0", "anyres_max_x", "anyres_max_99999"] {
            let data = Data(config.replacingOccurrences(of: "\"anyres_max_1\"", with: "\"\(bad)\"").utf8)
            #expect { _ = try JSONDecoder().decode(LlavaNextConfig.self, from: data) } throws: { "\($0)".contains("vision_aspect_ratio") }
        }
    }

    @Test func aSigLIPTowerNeedsTheFullStrategyAndDAMROIsRefusedWithoutAClassToken() throws {
        let model = try Self.model()
        var dropping = model.config
        dropping.base.visionFeatureSelectStrategy = "default"
        #expect { try dropping.validate() } throws: { "\($0)".contains("'full'") }
        let tiles = try Self.image("wide").tiles
        model.originalImageSize = (30, 50)
        #expect { _ = try model.visionOutliers(tiles, k: 2, attention: .singleHead) } throws: { "\($0)".contains("no class token") }
    }
}
