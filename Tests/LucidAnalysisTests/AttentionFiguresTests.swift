import Foundation
import Testing
@testable import LucidAnalysis
import LucidVision

@Suite("Attention figures")
struct AttentionFiguresTests {
    func row(_ position: Int, _ text: String, _ label: String = "other") -> AttentionAnalysis.TokenRow {
        AttentionAnalysis.TokenRow(position: position, token: position, text: text, label: label, overlap: ["H1": 0, "H3": 1.0 / 3],
                                   outlierShare: 0.25, imageAttentionMass: 0.5, summaryColumn: 0, summaryScore: 1)
    }

    var rows: [AttentionAnalysis.TokenRow] {
        [row(0, "There"), row(1, " is"), row(2, " a"), row(3, " cube", "correct"), row(4, "."), row(5, " A"), row(6, " star", "hallucinated"),
         row(7, " too"), row(8, "!"), row(9, " and")]
    }

    @Test func sentencesEndAtTerminalPunctuationAndCarryTheirLabels() {
        let sentences = AttentionFigures.sentences(rows)
        #expect(sentences.map(\.tokens) == [0..<5, 5..<9, 9..<10])
        #expect(sentences.map(\.text) == ["There is a cube.", "A star too!", "and"])
        #expect(sentences[0].correct == ["cube"] && sentences[1].hallucinated == ["star"] && sentences[2].hallucinated.isEmpty)
    }

    @Test func everySentenceAndTokenGetsAFigureOnTheContactSheet() throws {
        let report = AttentionAnalysis.Report(outlierRanking: [5, 0, 3, 1, 2, 4, 6, 7, 8], rows: rows, meansByLabel: ["other": ["F": 0.25, "count": 7]])
        let maps = rows.indices.map { t in (0..<9).map { Float(($0 + t) % 9) } }
        let image = try RGBImage(width: 24, height: 24, color: RGBColor(red: 200, green: 200, blue: 200))
        let figures = AttentionFigures(report: report, clsAttention: (0..<9).map(Float.init), tokenMaps: maps, image: image, grid: 3)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-figures-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let names = try figures.write(to: directory, tokenLimit: 4)
        #expect(names == ["vit_cls_attention.png", "sentence_01.png", "sentence_02.png", "sentence_03.png",
                          "token_000.png", "token_001.png", "token_002.png", "token_003.png"])
        let sentence = try ImageDecoder.decode(path: directory.appendingPathComponent("sentence_02.png").path)
        #expect(sentence.width >= 3 * 336 && sentence.pixel(x: 1, y: 1) == AttentionFigure.hallucinated, "a hallucinating sentence is framed red")
        let clean = try ImageDecoder.decode(path: directory.appendingPathComponent("sentence_01.png").path)
        #expect(clean.pixel(x: 1, y: 1) != AttentionFigure.hallucinated)
        let html = try String(contentsOf: directory.appendingPathComponent("index.html"), encoding: .utf8)
        for name in names { #expect(html.contains("src=\"\(name)\""), "\(name)") }
        #expect(html.contains("<mark class=\"bad\"> star</mark>") && html.contains("<mark class=\"ok\"> cube</mark>"))
        #expect(!html.contains("token_004.png"), "tokens past the limit get no figure")
        #expect(figures.context(ofToken: 3) == "There is a [cube]." && figures.context(ofToken: 0) == "[There] is a cube.")
    }

    @Test func analysisFilesKeepReadingAfterTheSnakeCaseChange() throws {
        let old = #"{"outlierRanking": [2, 0, 1], "meansByLabel": {"other": {"F": 0.5, "count": 1}}, "rows": [{"position": 0, "token": 7, "text": "a", "#
            + #""label": "other", "overlap": {"H1": 1}, "outlierShare": 0.5, "imageAttentionMass": 0.25, "summaryColumn": 0, "summaryScore": 50}]}"#
        let report = try JSONDecoder().decode(AttentionAnalysis.Report.self, from: Data(old.utf8))
        #expect(report.schemaVersion == 0 && report.outlierRanking == [2, 0, 1] && report.rows.first?.imageAttentionMass == 0.25)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(report), as: UTF8.self)
        #expect(text.contains("\"outlier_ranking\"") && text.contains("\"means_by_label\"") && text.contains("\"image_attention_mass\""))
        let again = try JSONDecoder().decode(AttentionAnalysis.Report.self, from: Data(text.utf8))
        #expect(again.rows.first?.summaryScore == 50 && again.meansByLabel["other"]?["F"] == 0.5)
    }
}
