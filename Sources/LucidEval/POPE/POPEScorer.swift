import Foundation

/// Scores POPE answers against their questions with one of the three parsers.
public enum POPEScorer {
    /// Pairs answers with questions and counts the confusion matrix.
    ///
    /// Pairing: by `question_id` when every answer has one (every question must then be answered
    /// exactly once, and no answer may name an unknown question); otherwise by position, which
    /// needs as many answers as questions. Violations throw `EvalError.mismatch`/`duplicateKey`.
    public static func score(questions: [POPEQuestion], answers: [POPEAnswer], parser: POPEAnswerParser) throws(EvalError) -> POPEResult {
        let paired = try pair(questions, answers)
        var tp = 0, fp = 0, tn = 0, fn = 0, unknown = 0
        for (question, answer) in paired {
            let prediction = parser.predict(answer: answer.text, label: question.label)
            switch (parser.isPositive(label: question.label), prediction) {
            case (true?, .yes): tp += 1
            case (true?, _): fn += 1
            case (false?, .yes): fp += 1
            case (false?, _): tn += 1
            case (nil, _): unknown += 1
            }
        }
        return POPEResult(parser: parser, truePositives: tp, falsePositives: fp, trueNegatives: tn, falseNegatives: fn, unknownLabels: unknown)
    }

    /// Reads a question file and an answer file and scores them.
    public static func score(questionsAt questionsURL: URL, answersAt answersURL: URL, parser: POPEAnswerParser) throws(EvalError) -> POPEResult {
        try score(questions: try POPEQuestion.load(from: questionsURL), answers: try POPEAnswer.load(from: answersURL), parser: parser)
    }

    private static func pair(_ questions: [POPEQuestion], _ answers: [POPEAnswer]) throws(EvalError) -> [(POPEQuestion, POPEAnswer)] {
        guard !questions.isEmpty else { throw .mismatch("no questions to score") }
        guard answers.allSatisfy({ $0.questionID != nil }) else {
            guard answers.count == questions.count else {
                throw .mismatch("\(answers.count) answers without question ids for \(questions.count) questions; pairing by position needs equal counts")
            }
            return Array(zip(questions, answers))
        }
        var byID: [Int: POPEAnswer] = [:]
        for answer in answers {
            guard let id = answer.questionID else { continue }
            guard byID.updateValue(answer, forKey: id) == nil else { throw .duplicateKey(path: "answers", line: nil, key: "question_id \(id)") }
        }
        let known = Set(questions.map(\.questionID))
        if let stray = byID.keys.sorted().first(where: { !known.contains($0) }) {
            throw .mismatch("answer to question_id \(stray), which is not among the questions")
        }
        var paired: [(POPEQuestion, POPEAnswer)] = []
        for question in questions {
            guard let answer = byID[question.questionID] else { throw .mismatch("question_id \(question.questionID) has no answer") }
            paired.append((question, answer))
        }
        return paired
    }
}
