import Foundation
import Testing
@testable import LucidEval

@Suite("POPE answer parsing and scoring")
struct POPEScoringTests {
    @Test func popeParserReadsOnlyTheFirstSentenceCaseSensitively() {
        let parser = POPEAnswerParser.pope
        #expect(parser.predict(answer: "No, there is no cat.", label: "no") == .no)
        #expect(parser.predict(answer: "not sure", label: "no") == .no)
        #expect(parser.predict(answer: "Yes. No.", label: "no") == .yes)
        #expect(parser.predict(answer: "NO", label: "no") == .yes)
        #expect(parser.predict(answer: "Not really", label: "no") == .yes)
        #expect(parser.predict(answer: "There isn't a cat", label: "no") == .yes)
        #expect(parser.predict(answer: "no\nthere is none", label: "no") == .yes)
        #expect(parser.predict(answer: "", label: "no") == .yes)
    }

    @Test func operaParserAddsUpperCaseNoAndNegatedContractions() {
        let parser = POPEAnswerParser.opera
        #expect(parser.predict(answer: "NO", label: "no") == .no)
        #expect(parser.predict(answer: "There isn't a cat.", label: "no") == .no)
        #expect(parser.predict(answer: "I don't know", label: "yes") == .no)
        #expect(parser.predict(answer: "Yes. No.", label: "yes") == .no)
        #expect(parser.predict(answer: "Not really.", label: "no") == .yes)
        #expect(parser.predict(answer: "no\nthere is none", label: "no") == .yes)
        #expect(parser.predict(answer: "Yes, there is.", label: "yes") == .yes)
    }

    @Test func vcdParserUsesLabelDependentSubstrings() {
        let parser = POPEAnswerParser.vcd
        #expect(parser.predict(answer: "  Yes, there is.", label: "YES ") == .yes)
        #expect(parser.predict(answer: "The cat's eyes are green", label: "yes") == .yes)
        #expect(parser.predict(answer: "No", label: "yes") == .no)
        #expect(parser.predict(answer: "Yes, in the snow.", label: "no") == .no)
        #expect(parser.predict(answer: "I do not know", label: "no") == .no)
        #expect(parser.predict(answer: "Yes.", label: "no") == .yes)
        #expect(parser.predict(answer: "Yes.", label: "maybe") == .unknownLabel)
    }

    static let questions = ["yes", "no", "yes", "no", "yes", "no"].enumerated().map {
        POPEQuestion(questionID: $0.offset + 1, image: "i.jpg", text: "Is there a dog in the image?", label: $0.element)
    }
    static let answers = ["Yes, there is a dog.", "No, there is no cat.", "There isn't a bird.", "Yes, in the snow.", "NO", "Not really."]
        .enumerated().map { POPEAnswer(questionID: $0.offset + 1, text: $0.element) }

    /// TP, FP, TN, FN.
    static func cells(_ result: POPEResult) -> [Int] {
        [result.truePositives, result.falsePositives, result.trueNegatives, result.falseNegatives]
    }

    @Test func popeParserConfusionAndScores() throws {
        let result = try POPEScorer.score(questions: Self.questions, answers: Self.answers, parser: .pope)
        #expect(Self.cells(result) == [3, 2, 1, 0])
        #expect(result.accuracy == 4.0 / 6)
        let precision: Double = 3.0 / 5
        let f1: Double = 2 * precision * 1 / (precision + 1)
        #expect(result.precision == precision)
        #expect(result.recall == 1.0)
        #expect(result.f1 == f1)
        #expect(result.yesRatio == 5.0 / 6)
    }

    @Test func operaParserConfusionAndScores() throws {
        let result = try POPEScorer.score(questions: Self.questions, answers: Self.answers, parser: .opera)
        #expect(Self.cells(result) == [1, 2, 1, 2])
        #expect(result.accuracy == 2.0 / 6 && result.yesRatio == 3.0 / 6)
        #expect(result.precision == 1.0 / 3 && result.recall == 1.0 / 3)
    }

    @Test func vcdParserConfusionAndScores() throws {
        let result = try POPEScorer.score(questions: Self.questions, answers: Self.answers, parser: .vcd)
        #expect(Self.cells(result) == [1, 0, 3, 2])
        #expect(result.accuracy == 4.0 / 6 && result.yesRatio == 1.0 / 6)
        let recall: Double = 1.0 / 3
        let f1: Double = 2 * 1 * recall / (1 + recall)
        #expect(result.precision == 1.0)
        #expect(result.recall == recall)
        #expect(result.f1 == f1)
    }

    @Test func unknownLabelsStayInTheVCDDenominatorButNotInPOPEs() throws {
        let questions = [POPEQuestion(questionID: 1, image: "i", text: "q", label: "yes"), POPEQuestion(questionID: 2, image: "i", text: "q", label: "unsure")]
        let answers = [POPEAnswer(questionID: nil, text: "yes"), POPEAnswer(questionID: nil, text: "yes")]
        let vcd = try POPEScorer.score(questions: questions, answers: answers, parser: .vcd)
        #expect(vcd.unknownLabels == 1 && vcd.questions == 2 && vcd.accuracy == 0.5)
        #expect(vcd.text.hasSuffix("Unknown labels: 1"))
        let pope = try POPEScorer.score(questions: questions, answers: answers, parser: .pope)
        #expect(pope.unknownLabels == 0 && pope.truePositives == 2)
    }

    @Test func answersPairByQuestionIDInAnyOrderOrByPosition() throws {
        let shuffled = Array(Self.answers.reversed())
        #expect(try POPEScorer.score(questions: Self.questions, answers: shuffled, parser: .pope)
            == (try POPEScorer.score(questions: Self.questions, answers: Self.answers, parser: .pope)))
        let positional = Self.answers.map { POPEAnswer(questionID: nil, text: $0.text) }
        #expect(try POPEScorer.score(questions: Self.questions, answers: positional, parser: .opera).trueNegatives == 1)
    }

    @Test func unpairableAnswersAreTypedErrors() {
        #expect(throws: EvalError.mismatch("question_id 6 has no answer")) {
            try POPEScorer.score(questions: Self.questions, answers: Array(Self.answers.dropLast()), parser: .pope)
        }
        #expect(throws: EvalError.mismatch("answer to question_id 99, which is not among the questions")) {
            try POPEScorer.score(questions: Self.questions, answers: Self.answers + [POPEAnswer(questionID: 99, text: "yes")], parser: .pope)
        }
        #expect(throws: EvalError.duplicateKey(path: "answers", line: nil, key: "question_id 1")) {
            try POPEScorer.score(questions: Self.questions, answers: Self.answers + [POPEAnswer(questionID: 1, text: "yes")], parser: .pope)
        }
        #expect(throws: EvalError.mismatch("5 answers without question ids for 6 questions; pairing by position needs equal counts")) {
            try POPEScorer.score(questions: Self.questions, answers: Self.answers.dropLast().map { POPEAnswer(questionID: nil, text: $0.text) }, parser: .pope)
        }
    }

    @Test func undefinedRatiosAreNullNotCrashes() throws {
        let questions = [POPEQuestion(questionID: 1, image: "i", text: "q", label: "no")]
        let result = try POPEScorer.score(questions: questions, answers: [POPEAnswer(questionID: 1, text: "no")], parser: .pope)
        #expect(result.precision == nil && result.recall == nil && result.f1 == nil && result.accuracy == 1)
        let json = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
        #expect(json.contains(#""precision":null"#) && json.contains(#""yes_ratio":0"#))
        #expect(try JSONDecoder().decode(POPEResult.self, from: Data(json.utf8)) == result)
    }

    @Test func answerFilesAcceptTextOrAnswerKeys() throws {
        let url = try EvalFixtures.temporaryFile("""
        {"question_id": 2, "text": "No."}
        {"question": "is there a bird in the image?", "answer": "yes"}
        """)
        #expect(try POPEAnswer.load(from: url) == [POPEAnswer(questionID: 2, text: "No."), POPEAnswer(questionID: nil, text: "yes")])
        let bad = try EvalFixtures.temporaryFile(#"{"question_id": 1, "response": "No."}"#)
        #expect(throws: EvalError.missingField(path: bad.path, line: 1, field: "text")) { try POPEAnswer.load(from: bad) }
    }

    @Test func textRenderingShowsConfusionAndPercentages() throws {
        let result = POPEResult(parser: .pope, truePositives: 1334, falsePositives: 157, trueNegatives: 1343, falseNegatives: 166)
        #expect(result.text == """
        TP\tFP\tTN\tFN
        1334\t157\t1343\t166
        Accuracy: 89.2
        Precision: 89.5
        Recall: 88.9
        F1 score: 89.2
        Yes ratio: 49.7
        """)
    }
}
