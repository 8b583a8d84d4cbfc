import Foundation
import Testing
@testable import LucidEval

@Suite("CHAIR evaluation of hand-made inputs")
struct CHAIREvaluatorTests {
    static func evaluator(_ objects: [String: Set<String>]) throws -> CHAIREvaluator {
        CHAIREvaluator(groundTruth: CHAIRGroundTruth(objects: objects), parser: CHAIRCaptionParser(english: try EvalFixtures.english()))
    }

    @Test func cocoGroundTruthScoresGeneratedCaptions() throws {
        let parser = CHAIRCaptionParser(english: try EvalFixtures.english())
        let truth = try CHAIRGroundTruth.coco(
            instances: [try EvalFixtures.url("coco", "instances_mini.json")],
            captions: [try EvalFixtures.url("coco", "captions_mini.json")], parser: parser)
        let report = try CHAIREvaluator(groundTruth: truth, parser: parser)
            .evaluate(captionsAt: try EvalFixtures.url("coco", "captions_mini_generated.jsonl"))
        var counts = CHAIRCounts()
        counts.captions = 3
        counts.hallucinatedCaptions = 2
        counts.mentions = 7
        counts.hallucinatedMentions = 2
        counts.groundTruthObjects = 5
        counts.recalledObjects = 5
        counts.tokens = 13 + 7 + 6
        #expect(report.counts == counts)
        #expect(report.summary == CHAIRSummary(chairS: 2.0 / 3, chairI: 2.0 / 7, recall: 1, len: 0.01 * 26 / 3, captions: 3))
        #expect(report.captions.map(\.hallucinated) == [["cat"], ["chair"], []])
        #expect(report.captions.map(\.file) == ["captions_mini_generated", "captions_mini_generated", "captions_mini_generated"])
        #expect(report.captions[0].jsonLine(includeGroundTruth: true) == #"{"file": "captions_mini_generated", "line": 0, "image_id": 1, "object_words": ["man", "dog", "couch", "cat"], "mentions": ["person", "dog", "couch", "cat"], "hallucinated": ["cat"], "chair_s": 1, "num_tokens": 13, "gt_objects": ["couch", "dog", "person"]}"#)
    }

    @Test func unknownImageIsAnErrorByDefault() throws {
        let url = try EvalFixtures.temporaryFile("""
        {"image_id": 1, "caption": "A dog."}
        {"image_id": 7, "caption": "A cat."}
        """)
        #expect(throws: EvalError.unknownImage(path: url.path, line: 2, imageID: "7")) {
            try Self.evaluator(["1": ["dog"]]).evaluate(captionsAt: url)
        }
    }

    @Test func unknownImageCanBeScoredAsEmptyLikeOperaOrSkipped() throws {
        let url = try EvalFixtures.temporaryFile("""
        {"image_id": 1, "caption": "A dog."}
        {"image_id": 7, "caption": "A cat."}
        """)
        let evaluator = try Self.evaluator(["1": ["dog"]])
        let empty = try evaluator.evaluate(captionsAt: url, unknownImages: .treatAsEmpty)
        #expect(empty.counts.captions == 2 && empty.counts.hallucinatedMentions == 1)
        #expect(empty.warnings.unknownImages == 1)
        #expect(empty.summary.chairS == 0.5)
        let skipped = try evaluator.evaluate(captionsAt: url, unknownImages: .skip)
        #expect(skipped.counts.captions == 1 && skipped.summary.chairS == 0)
        #expect(skipped.warnings.unknownImages == 1)
        #expect(skipped.text.hasSuffix("warning: 1 caption(s) of images without ground truth"))
    }

    @Test func emptyCaptionsAndBlankLinesAreCountedNotFatal() throws {
        let url = try EvalFixtures.temporaryFile("{\"image_id\": \"1\", \"caption\": \"\"}\n\n   \n{\"image_id\": 1, \"caption\": \"A dog.\"}\n")
        let report = try Self.evaluator(["1": ["dog"]]).evaluate(captionsAt: url)
        #expect(report.warnings.emptyCaptions == 1)
        #expect(report.warnings.blankLines == 2)
        #expect(report.counts.captions == 2 && report.counts.tokens == 3)
        #expect(report.captions.map(\.line) == [0, 1])
        #expect(report.captions[0].jsonLine().contains(#""image_id": "1""#))
    }

    @Test func noMentionAnywhereLeavesChairIUndefinedInsteadOfDividingByZero() throws {
        let url = try EvalFixtures.temporaryFile(#"{"image_id": 1, "caption": "Nothing to see."}"#)
        let report = try Self.evaluator(["1": []]).evaluate(captionsAt: url)
        #expect(report.summary.chairI == nil)
        #expect(report.summary.recall == nil)
        #expect(report.summary.text == "CHAIRs    : 0.0\nCHAIRi    : n/a\nRecall    : n/a\nLen       : 4.0")
        let json = String(decoding: try JSONEncoder().encode(report.summary), as: UTF8.self)
        #expect(json.contains(#""chair_i":null"#) && json.contains(#""recall":null"#))
    }

    @Test func malformedAndIncompleteLinesAreTypedErrorsWithLineNumbers() throws {
        let evaluator = try Self.evaluator(["1": ["dog"]])
        let malformed = try EvalFixtures.temporaryFile("{\"image_id\": 1, \"caption\": \"A dog.\"}\n{\"image_id\": 1, \"caption\": \n")
        #expect {
            try evaluator.evaluate(captionsAt: malformed)
        } throws: { error in
            guard case let .malformedJSON(_, line, _) = error as? EvalError else { return false }
            return line == 2
        }
        let missing = try EvalFixtures.temporaryFile(#"{"image_id": 1, "text": "A dog."}"#)
        #expect(throws: EvalError.missingField(path: missing.path, line: 1, field: "caption")) {
            try evaluator.evaluate(captionsAt: missing)
        }
        let wrongType = try EvalFixtures.temporaryFile(#"{"image_id": [1], "caption": "A dog."}"#)
        #expect(throws: EvalError.invalidField(path: wrongType.path, line: 1, field: "image_id", reason: "is an array, not an integer or a string")) {
            try evaluator.evaluate(captionsAt: wrongType)
        }
        let nothing = try EvalFixtures.temporaryFile("\n\n")
        #expect(throws: EvalError.emptyInput(path: nothing.path)) { try evaluator.evaluate(captionsAt: nothing) }
    }

    @Test func jsonArrayCaptionFilesAreAcceptedLikeOperasLoader() throws {
        let url = try EvalFixtures.temporaryFile(#"[{"image_id": 1, "caption": "A dog and a cat."}]"#, name: "captions.json")
        let report = try Self.evaluator(["1": ["dog"]]).evaluate(captionsAt: url)
        #expect(report.captions.first?.hallucinated == ["cat"])
        #expect(report.captions.first?.file == "captions")
    }

    @Test func perCaptionFileIsWrittenAsJSONLines() throws {
        let url = try EvalFixtures.temporaryFile(#"{"image_id": 1, "caption": "A dog."}"#)
        let report = try Self.evaluator(["1": ["dog"]]).evaluate(captionsAt: url)
        let out = url.deletingLastPathComponent().appendingPathComponent("per_caption.jsonl")
        try report.writePerCaption(to: out)
        #expect(try String(contentsOf: out, encoding: .utf8) == #"{"file": "input", "line": 0, "image_id": 1, "object_words": ["dog"], "mentions": ["dog"], "hallucinated": [], "chair_s": 0, "num_tokens": 3}"# + "\n")
    }
}
