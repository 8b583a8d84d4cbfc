import Foundation
import LucidSupport

/// One POPE question: a line `{"question_id", "image", "text", "label"}` of POPE's question files.
public struct POPEQuestion: Codable, Sendable, Equatable {
    public var questionID: Int
    public var image: String
    public var text: String
    /// `"yes"` or `"no"` in POPE's files (scorers accept other strings, see `POPEAnswerParser`).
    public var label: String

    public init(questionID: Int, image: String, text: String, label: String) {
        self.questionID = questionID
        self.image = image
        self.text = text
        self.label = label
    }

    enum CodingKeys: String, CodingKey {
        case questionID = "question_id", image, text, label
    }

    /// The JSON line as POPE writes it (`json.dumps` of the dict, keys in this order).
    public var jsonLine: String {
        PythonJSON.object([("question_id", .int(questionID)), ("image", .string(image)),
                           ("text", .string(text)), ("label", .string(label))]).text
    }

    /// Reads a POPE question file (JSON Lines). Errors: malformed lines, missing or mistyped
    /// fields, repeated `question_id`, no questions.
    public static func load(from url: URL) throws(EvalError) -> [POPEQuestion] {
        let (records, _) = try JSONLines.read(url)
        var questions: [POPEQuestion] = []
        var seen = Set<Int>()
        for record in records {
            let id = try record.int(try record.field("question_id", path: url.path), key: "question_id", path: url.path)
            guard seen.insert(id).inserted else { throw .duplicateKey(path: url.path, line: record.line, key: "question_id \(id)") }
            questions.append(POPEQuestion(questionID: id, image: try record.string("image", path: url.path), text: try record.string("text", path: url.path),
                                          label: try record.string("label", path: url.path)))
        }
        guard !questions.isEmpty else { throw .emptyInput(path: url.path) }
        return questions
    }

    /// Writes questions as POPE's JSON Lines.
    public static func write(_ questions: [POPEQuestion], to url: URL) throws(EvalError) {
        try JSONLines.write(questions.map(\.jsonLine), to: url)
    }
}
