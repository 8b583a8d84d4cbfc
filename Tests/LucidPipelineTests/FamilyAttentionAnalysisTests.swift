import Foundation
import Testing
@testable import LucidAnalysis
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidNN
@testable import LucidTensor

/// `AttentionAnalysis` (what `lucid analyze attention` runs) on LLaVA-NeXT, LLaVA-OneVision, Qwen2-VL, Qwen2.5-VL and
/// InstructBLIP through `VisionLanguageModel`, on the tiny random models of `FamilyMethodTests`. The span
/// and maps are checked against quantities computed here from the model alone: the embedded prompt's text
/// rows sit exactly outside the span, each token's map is the head- and layer-mean attention row of its
/// query over the span, and the span's mass plus the rest of the row is 1.
@Suite("attention analysis on every family")
struct FamilyAttentionAnalysisTests {
    @Test(arguments: Family.allCases)
    func theSpanIsTheImageAndTheMapsAreItsAttention(_ family: Family) throws {
        let model = try family.model()
        let pixels = Family.normalization.normalize(try family.image01(model))
        let ids = [1, 40, 41, 3, 42, 43]
        let response = try Decoding.generate(model, ids: ids, images: [pixels], method: .greedy, limits: GenerationLimits(maxNewTokens: 4)).tokens
        #expect(response.count == 4)
        let result = try AttentionAnalysis().run(model: model, ids: ids, pixels: pixels, response: response, decode: { "w\($0)" })
        let count = try model.imageFeatureCount(of: pixels)
        let span = try #require(result.report.imageSpan)
        #expect(span.start == 3 && span.length == count)
        if family == .instructBlip { #expect(count == 4, "the Q-Former's 4 query tokens") }

        // The span is where the image's features are: outside it the embedding is the text's own.
        let embedded = try withNoGrad { () throws(PromptError) -> Tensor in try model.embed(ids: ids, images: [pixels]) }
        let text = try withNoGrad { () throws(PromptError) -> Tensor in try model.embed(ids: [1, 40, 41, 42, 43], images: []) }
        #expect(embedded.size(1) == 5 + count)
        let outside = Tensor.cat([embedded.narrowed(axis: 1, start: 0, length: 3), embedded.narrowed(axis: 1, start: 3 + count, length: 2)], axis: 1)
        #expect(outside.maxAbsDifference(text) == 0)
        #expect(embedded.narrowed(axis: 1, start: 3, length: 1).maxAbsDifference(text.narrowed(axis: 1, start: 3, length: 1)) > 0)

        // Each token's map: the mean over heads and layers of its query's attention, over the span.
        var options = ForwardOptions(attentionLayers: .all, logits: .none)
        options.positions = try model.ropePositions(ids: ids + response, images: [pixels])
        let trace = try withNoGrad { () throws(PromptError) -> ForwardTrace in
            try model.forward(ids: ids + response, images: [pixels], cache: nil, options: options)
        }
        let promptLength = 5 + count
        for (t, row) in result.report.rows.enumerated() {
            let query = promptLength + t - 1
            let perLayer = (0..<model.layerCount).compactMap { trace.attentions[$0]?[0].selected(axis: 1, index: query).to(.f64).mean(axis: 0) }
            #expect(perLayer.count == model.layerCount)
            let mean = Tensor.stack(perLayer, axis: 0).mean(axis: 0)
            let inSpan = mean.narrowed(axis: 0, start: 3, length: count)
            #expect(result.tokenMaps[t].to(.f64).maxAbsDifference(inSpan) < 1e-6)
            let mass: Double = inSpan.sum().item()
            let rest: Double = mean.sum().item() - mass
            #expect(Swift.abs(row.imageAttentionMass - mass) < 1e-6 && mass > 0)
            #expect(Swift.abs(row.imageAttentionMass + rest - 1) < 1e-5, "the query's row sums to 1 over the span and the rest")
        }

        // DAMRO's overlap only where the span's cells are the tower's ranked patches.
        let layout = result.layout
        switch family {
        case .llavaNext:
            let side = try #require(model as? LlavaNextForConditionalGeneration).config.patchesPerSide
            #expect(layout.rows == side && layout.columns == side && layout.gridOffsets == Array(0..<(side * side)))
            #expect(result.report.outlierRanking.count == model.visionPatchCount && result.clsAttention?.size(0) == model.visionPatchCount)
            for (t, row) in result.report.rows.enumerated() {
                let base = result.tokenMaps[t].to(.f64).toArray(Double.self).prefix(side * side)
                let top3 = result.report.outlierRanking.prefix(3).reduce(0.0) { $0 + base[$1] }
                let share = try #require(row.outlierShare)
                #expect(Swift.abs(share - top3 / base.reduce(0, +)) < 1e-9)
                #expect(row.overlap.keys.sorted() == ["H1", "H10", "H3", "H5"])
            }
        case .llavaOnevision, .llavaSiglip:
            // The (base tile's) 4 × 4 patches open the span, but the SigLIP tower has no class token: no ranking, no overlap.
            let side = 4
            #expect(layout.rows == side && layout.columns == side && layout.gridOffsets == Array(0..<(side * side)) && !layout.cellsAreVisionPatches)
            #expect(result.report.outlierRanking.isEmpty && result.clsAttention == nil && !span.outlierOverlap)
            #expect(result.report.rows.allSatisfy { $0.outlierShare == nil && $0.overlap.isEmpty })
        case .qwen2VL, .qwen25VL:
            // The 84 × 56 image: 4 × 6 patches, 2 × 3 merged; no class token, so no overlap.
            #expect(layout.rows == 2 && layout.columns == 3 && layout.gridOffsets == Array(0..<6) && !layout.cellsAreVisionPatches)
            #expect(result.report.outlierRanking.isEmpty && result.clsAttention == nil && !span.outlierOverlap)
            #expect(result.report.rows.allSatisfy { $0.outlierShare == nil && $0.overlap.isEmpty })
            #expect(result.report.meansByLabel["other"]?["F"] == nil)
        case .instructBlip:
            #expect(!layout.hasGrid && result.clsAttention == nil && result.report.outlierRanking.isEmpty)
            #expect(span.gridRows == 0 && span.gridColumns == 0)
        }
    }
}
