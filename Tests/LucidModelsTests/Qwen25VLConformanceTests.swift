import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidNN
@testable import LucidTensor
import LucidVision

/// Qwen2.5-VL against transformers 5.23.0 on torch 2.13 (fixtures: scripts/make_qwen2_5_vl_fixtures.py):
/// a tiny tower with windows of 2 × 2 merged patches and full attention in blocks 1 and 3, on images
/// whose merged grids are 2 × 3 and 3 × 5 (padded windows) and 2 × 2 (whole windows). The window order,
/// merged image features, M-RoPE positions, LLM logits and hidden states to max-abs 1e-4, greedy and
/// 3-beam tokens through the KV cache.
@Suite("Qwen2.5-VL conformance with transformers")
struct Qwen25VLConformanceTests {
    static let tolerance = 1e-4
    static let directory = Fixtures.path("qwen2.5-vl")
    static let images = ["wide", "large", "square"]

    /// The fixture's golden file holds the beams too.
    static let fixture = QwenFixture(directory: directory, beamFile: "golden.safetensors")

    static func image(_ name: String) throws -> Qwen2VLImage { try fixture.image(name) }

    static func model() throws -> Qwen2VLForConditionalGeneration { try fixture.model() }

    @Test func theConfigurationReadsTheQwen25Tower() throws {
        let config = try Self.model().config.visionConfig
        #expect(config.variant == .qwen25VL)
        #expect(config.embedDim == 32 && config.hiddenSize == 48 && config.mlpWidth == 40 && config.hiddenAct == "silu")
        #expect(config.windowSize == 56 && config.windowMergedSide == 2 && config.fullAttentionBlocks == [1, 3])
    }

    @Test(arguments: images)
    func patchesAndGridMatchTheImageProcessor(_ name: String) throws {
        let golden = try Fixtures.golden(Self.directory)
        let image = try Self.image(name)
        expectMatches(image.patches, try golden.loadTensor(named: "processor.\(name).pixel_values"), tolerance: 1e-6, "\(name) patches")
        #expect([image.grid.t, image.grid.h, image.grid.w] == (try golden.loadTensor(named: "processor.\(name).image_grid_thw").toArray(Int.self)))
    }

    @Test(arguments: images)
    func theWindowOrderIsTransformers(_ name: String) throws {
        let golden = try Fixtures.golden(Self.directory)
        let grid = try Self.image(name).grid
        let windows = Qwen25VLWindows(grids: [grid], side: 2, merge: 2)
        // transformers orders merged patches; Lucid orders patches, four per merged patch.
        let merged = stride(from: 0, to: windows.order.count, by: 4).map { windows.order[$0] / 4 }
        #expect(merged == (try golden.loadTensor(named: "\(name).window_index").toArray(Int.self)))
        #expect(windows.order.enumerated().allSatisfy { $0.element % 4 == $0.offset % 4 })
        let boundaries = windows.lengths.reduce(into: [0]) { $0.append(($0.last ?? 0) + $1) }
        #expect(boundaries == (try golden.loadTensor(named: "\(name).cu_window_seqlens").toArray(Int.self)))
        #expect(windows.inverse.enumerated().allSatisfy { windows.order[$0.element] == $0.offset })
    }

    @Test(arguments: images)
    func featuresPositionsLogitsAndHiddenStatesMatch(_ name: String) throws {
        try Self.fixture.expectFeaturesPositionsLogitsAndHiddenStates(name, tolerance: Self.tolerance)
    }

    @Test(arguments: images)
    func greedyAndBeamTokensMatchThroughTheCache(_ name: String) throws {
        try Self.fixture.expectGreedyAndBeamTokens(name)
    }

    @Test func windowedBlocksAttendWithinTheirWindowsInPatchOrder() throws {
        // The 3 × 5 merged grid: block 0 is windowed, block 1 full. Captured maps are in patch order.
        let model = try Self.model()
        let image = try Self.image("large")
        let trace = ForwardTrace()
        var options = ForwardOptions()
        options.visionAttentionLayers = .layers([0, 1])
        _ = withNoGrad { model.visual.encode(image.patches, grids: [image.grid], options: options, trace: trace) }
        let windowed = try #require(trace.visionAttentions[0])
        let full = try #require(trace.visionAttentions[1])
        let n = image.grid.patchCount
        #expect(windowed.shape == [1, 4, n, n] && full.shape == [1, 4, n, n])
        // Window of each patch from its merged row and column (patches in 2 × 2 merge-block order).
        let columns = image.grid.w / 2
        let window = (0..<n).map { patch -> Int in
            let block = patch / 4
            return (block / columns / 2) * 100 + (block % columns) / 2
        }
        let sameWindow = Tensor((0..<n).flatMap { i in (0..<n).map { j in window[i] == window[j] ? 1.0 : 0.0 } }, shape: [n, n])
        let across: Double = (windowed[0].to(.f64) * (1 - sameWindow)).abs().max().item()
        #expect(across == 0)
        let rowSums = windowed[0].to(.f64).sum(axis: -1)
        #expect(((rowSums - 1).abs().max().item() as Double) < 1e-5)
        // The full block attends across windows.
        let fullAcross: Double = (full[0].to(.f64) * (1 - sameWindow)).sum().item()
        #expect(fullAcross > 0.1)
    }

    @Test func theHubsFlatConfigReadsLikeTheNestedOne() throws {
        // The Hub's 4.x configs put the text keys at the top level with `rope_scaling: {type: mrope}`,
        // and `in_chans` in the vision config; transformers 5.x nests them in text_config.
        let path = Fixtures.path("qwen2.5-vl", "model", "config.json")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var text = try #require(object.removeValue(forKey: "text_config") as? [String: Any])
        let rope = try #require(text.removeValue(forKey: "rope_parameters") as? [String: Any])
        text["rope_theta"] = rope["rope_theta"]
        text["rope_scaling"] = ["type": "mrope", "mrope_section": rope["mrope_section"] as Any]
        text.removeValue(forKey: "model_type")
        for (key, value) in text { object[key] = value }
        var vision = try #require(object["vision_config"] as? [String: Any])
        vision["in_chans"] = vision.removeValue(forKey: "in_channels")
        object["vision_config"] = vision
        let flat = try JSONDecoder().decode(Qwen2VLConfig.self, from: JSONSerialization.data(withJSONObject: object))
        let nested = try JSONDecoder().decode(Qwen2VLConfig.self, from: data)
        #expect(flat.visionConfig == nested.visionConfig && flat.visionConfig.variant == .qwen25VL)
        #expect(flat.textConfig.mropeSection == [2, 3, 1] && flat.textConfig.hiddenSize == nested.textConfig.hiddenSize)
    }

    @Test func outOfRangeWindowSettingsAreRefused() throws {
        let path = Fixtures.path("qwen2.5-vl", "model", "config.json")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        for (key, value) in [("fullatt_block_indexes", [7] as Any), ("window_size", 20 as Any)] {
            var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            var vision = try #require(object["vision_config"] as? [String: Any])
            vision[key] = value
            object["vision_config"] = vision
            let config = try JSONDecoder().decode(Qwen2VLConfig.self, from: JSONSerialization.data(withJSONObject: object))
            #expect { try config.validate() } throws: { "\($0)".contains(key) }
        }
    }
}
