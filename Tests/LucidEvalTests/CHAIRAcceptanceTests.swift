import Foundation
import Testing
@testable import LucidEval

/// CHAIR on OPERA's published InstructBLIP greedy captions against the numbers and per-caption
/// lines produced by OPERA's own chair.py (Fixtures/chair, see its README).
@Suite("CHAIR acceptance: OPERA InstructBLIP greedy")
struct CHAIRAcceptanceTests {
    private static let computed = Result { () throws -> CHAIRReport in
        let parser = CHAIRCaptionParser(english: try EvalFixtures.english())
        let truth = try CHAIRGroundTruth.objectList(at: try EvalFixtures.url("chair", "gt_objects_instructblip.json"))
        return try CHAIREvaluator(groundTruth: truth, parser: parser)
            .evaluate(captionsAt: try EvalFixtures.url("chair", "instructblip_greedy.jsonl"))
    }

    /// The report, computed once per test process.
    static func report() throws -> CHAIRReport { try computed.get() }

    @Test func everyHeadlineNumberEqualsChairPyBitForBit() throws {
        let expected = try JSONLines.readDocument(try EvalFixtures.url("chair", "expected_instructblip_greedy.json"))
        let numbers = try #require(expected.value(forKey: "recomputed"))
        let summary = try Self.report().summary
        #expect(summary.chairS == numbers.value(forKey: "CHAIR_s")?.doubleValue)
        #expect(summary.chairI == numbers.value(forKey: "CHAIR_i")?.doubleValue)
        #expect(summary.recall == numbers.value(forKey: "Recall")?.doubleValue)
        #expect(summary.len == numbers.value(forKey: "Len")?.doubleValue)
        #expect(summary.captions == 500)
    }

    @Test func everyCountEqualsChairPy() throws {
        let expected = try JSONLines.readDocument(try EvalFixtures.url("chair", "expected_instructblip_greedy.json"))
        let counts = try #require(expected.value(forKey: "counts"))
        let actual = try Self.report().counts
        #expect(actual.captions == counts.value(forKey: "num_captions")?.intValue)
        #expect(actual.hallucinatedCaptions == counts.value(forKey: "num_hallucinated_captions")?.intValue)
        #expect(actual.mentions == counts.value(forKey: "num_object_mentions")?.intValue)
        #expect(actual.hallucinatedMentions == counts.value(forKey: "num_hallucinated_mentions")?.intValue)
        #expect(actual.groundTruthObjects == counts.value(forKey: "num_gt_objects")?.intValue)
        #expect(actual.recalledObjects == counts.value(forKey: "num_recalled_gt_objects")?.intValue)
        #expect(actual.tokens == counts.value(forKey: "num_tokens")?.intValue)
    }

    @Test func everyPerCaptionLineIsByteIdenticalToChairPy() throws {
        let url = try EvalFixtures.url("chair", "expected_per_caption_instructblip_greedy.jsonl")
        let expected = PythonString.textLines(try #require(String(data: try Data(contentsOf: url), encoding: .utf8)))
        let actual = try Self.report().perCaptionLines()
        #expect(actual.count == expected.count)
        let differing = zip(actual, expected).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        #expect(differing.isEmpty, "first differing lines: \(differing.prefix(5))")
    }

    @Test(arguments: ["instructblip_beam5", "instructblip_ours"])
    func otherOperaCaptionFilesReproduceChairPyNumbersAndLines(name: String) throws {
        let parser = CHAIRCaptionParser(english: try EvalFixtures.english())
        let truth = try CHAIRGroundTruth.objectList(at: try EvalFixtures.url("chair", "gt_objects_instructblip.json"))
        let report = try CHAIREvaluator(groundTruth: truth, parser: parser)
            .evaluate(captionsAt: try EvalFixtures.url("chair", "\(name).jsonl"))
        let expected = try JSONLines.readDocument(try EvalFixtures.url("chair", "expected_\(name).json"))
        let numbers = try #require(expected.value(forKey: "recomputed"))
        #expect(report.summary.chairS == numbers.value(forKey: "CHAIR_s")?.doubleValue)
        #expect(report.summary.chairI == numbers.value(forKey: "CHAIR_i")?.doubleValue)
        #expect(report.summary.recall == numbers.value(forKey: "Recall")?.doubleValue)
        #expect(report.summary.len == numbers.value(forKey: "Len")?.doubleValue)
        let url = try EvalFixtures.url("chair", "expected_per_caption_\(name).jsonl")
        let lines = PythonString.textLines(try #require(String(data: try Data(contentsOf: url), encoding: .utf8)))
        #expect(report.perCaptionLines() == lines)
    }

    @Test func textOutputIsOperasPrintout() throws {
        #expect(try Self.report().text == """
        CHAIRs    : 58.8
        CHAIRi    : 23.7
        Recall    : 69.4
        Len       : 109.3
        """)
    }

    @Test func jsonSummaryUsesTheCLIKeysAsFractions() throws {
        let data = try JSONEncoder().encode(try Self.report().summary)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["chair_s", "chair_i", "recall", "len", "captions"])
        #expect(object["chair_s"] as? Double == 0.588)
        #expect(object["captions"] as? Int == 500)
        let decoded = try JSONDecoder().decode(CHAIRSummary.self, from: data)
        #expect(decoded == (try Self.report().summary))
    }
}
