import Foundation
import Testing
@testable import LucidAnalysis
@testable import LucidModels
@testable import LucidTensor

@Suite("Attention analyses")
struct AttentionAnalysisTests {
    @Test func overlapAndShareFollowTheirDefinitions() {
        let attention: [Double] = [0.1, 0.4, 0.05, 0.3, 0.15]   // decoder order: 1, 3, 4, 0, 2
        let ranking = [3, 2, 1, 0, 4]                            // ViT outliers
        #expect(AttentionAnalysis.overlap(outlierRanking: ranking, imageAttention: attention, top: 1) == 0)
        #expect(AttentionAnalysis.overlap(outlierRanking: ranking, imageAttention: attention, top: 2) == 0.5)
        #expect(AttentionAnalysis.overlap(outlierRanking: ranking, imageAttention: attention, top: 3) == 2.0 / 3)
        #expect(Swift.abs(AttentionAnalysis.outlierShare(outliers: [3, 2, 1], imageAttention: attention) - 0.75) < 1e-12)
        #expect(AttentionAnalysis.outlierShare(outliers: [0], imageAttention: [0, 0]) == 0)
    }

    @Test func summaryColumnIsTheLargestScaledColumnProduct() {
        // Response rows 0…3 (prompt of 2 tokens before them); column 1 keeps 0.4 of every later row.
        let rows: [[Double]] = [
            [0.5, 0.5, 0, 0, 0, 0],
            [0.3, 0.3, 0.4, 0, 0, 0],
            [0.1, 0.1, 0.2, 0.6, 0, 0],
            [0.1, 0.1, 0.1, 0.4, 0.3, 0],
            [0.1, 0.1, 0.1, 0.4, 0.1, 0.2],
        ]
        let matrix = Tensor(rows.flatMap { $0 }, shape: [5, 6])
        let (column, score) = AttentionAnalysis.summaryColumn(matrix, responseStart: 2, query: 4, sigma: 10)
        #expect(column == 1)
        #expect(Swift.abs(score - 16) < 1e-9, "(10·0.4)·(10·0.4); entries above the diagonal never enter a product")
        #expect(AttentionAnalysis.summaryColumn(matrix, responseStart: 2, query: 2, sigma: 10).0 == 0)
    }

    @Test func analysingAFixtureResponseGivesBoundedNumbersAndLabels() throws {
        let base = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("LucidModelsTests/Fixtures/llava/llava-a")
        let model = try LlavaForConditionalGeneration.load(directory: base.appendingPathComponent("model").path)
        let golden = try SafetensorsFile(path: base.appendingPathComponent("golden.safetensors").path)
        let ids = try golden.loadTensor(named: "input_ids").toArray(Int.self)
        let pixels = try golden.loadTensor(named: "pixel_values")
        let response = try golden.loadTensor(named: "greedy").toArray(Int.self)
        let result = try AttentionAnalysis().run(model: model, ids: ids, pixels: pixels, response: response,
                                                 decode: { "w\($0)" }, hallucinated: ["w12"], correct: ["w25"])
        let (report, maps) = (result.report, result.tokenMaps)
        #expect(report.rows.count == response.count && maps.count == response.count)
        #expect(result.clsAttention?.shape == [16] && maps[0].shape == [16])
        #expect(report.imageSpan?.length == 16 && report.imageSpan?.gridRows == 4 && report.imageSpan?.outlierOverlap == true)
        #expect(report.outlierRanking.count == 16 && Set(report.outlierRanking).count == 16)
        for row in report.rows {
            #expect(row.outlierShare.map { $0 >= 0 && $0 <= 1 } == true)
            #expect(row.overlap.values.allSatisfy { $0 >= 0 && $0 <= 1 })
            #expect(row.imageAttentionMass > 0 && row.imageAttentionMass <= 1 + 1e-6)
            #expect(row.summaryColumn >= 0 && row.summaryColumn <= row.position)
        }
        #expect(report.rows[0].label == "hallucinated" && report.rows[1].label == "correct")
        #expect(report.meansByLabel["hallucinated"]?["count"] == 1)
        // H_i needs at least i patches: a size past the grid is left out of rows and means alike (not reported as 0).
        var wide = AttentionAnalysis()
        wide.overlapSizes = [1, 20]
        let partial = try wide.run(model: model, ids: ids, pixels: pixels, response: response, decode: { "w\($0)" }).report
        #expect(partial.rows.allSatisfy { $0.overlap["H20"] == nil } && partial.meansByLabel["other"]?["H20"] == nil)
        #expect(partial.meansByLabel["other"]?["H1"] != nil)
    }
}
