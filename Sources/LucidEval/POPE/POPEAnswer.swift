import Foundation

/// A model's answer to a POPE question: a line with `question_id` (optional) and the answer in
/// `text` (LLaVA, VCD) or `answer` (POPE's example file).
public struct POPEAnswer: Sendable, Equatable {
    public var questionID: Int?
    public var text: String

    public init(questionID: Int?, text: String) {
        self.questionID = questionID
        self.text = text
    }

    /// Reads an answer file (JSON Lines). Errors: malformed lines, neither `text` nor `answer`
    /// as a string, a non-integer `question_id`, no answers.
    public static func load(from url: URL) throws(EvalError) -> [POPEAnswer] {
        let (records, _) = try JSONLines.read(url)
        var answers: [POPEAnswer] = []
        for record in records {
            guard let value = record.value.value(forKey: "text") ?? record.value.value(forKey: "answer") else {
                throw .missingField(path: url.path, line: record.line, field: "text")
            }
            let text = try record.string(value, key: "text", path: url.path)
            var id: Int?
            if let idValue = record.value.value(forKey: "question_id"), !idValue.isNull {
                id = try record.int(idValue, key: "question_id", path: url.path)
            }
            answers.append(POPEAnswer(questionID: id, text: text))
        }
        guard !answers.isEmpty else { throw .emptyInput(path: url.path) }
        return answers
    }
}
