import Foundation
import LucidRuns

/// One comparison for `lucid eval opera-gpt4v`: an image and two methods' descriptions of it.
public struct OPERAGPT4VItem: Sendable, Equatable {
    /// Unique in the input: the `id` field (string or integer), else the 1-based line number.
    public var id: String
    /// The image file, as given (relative paths are resolved by the caller).
    public var image: String
    /// The instruction the methods answered (recorded; OPERA's judge prompt does not contain it).
    public var question: String?
    /// The description of method 1 (OPERA: beam search, 5 beams) and of method 2 (OPERA decoding).
    public var assistant1: String
    public var assistant2: String

    public init(id: String, image: String, question: String? = nil, assistant1: String, assistant2: String) {
        self.id = id
        self.image = image
        self.question = question
        self.assistant1 = assistant1
        self.assistant2 = assistant2
    }

    /// The fields of an input line.
    public static let fields = ["id", "image", "question", "assistant_1", "assistant_2"]

    /// The items of a JSONL text (blank lines skipped): `{"id"?, "image", "question"?,
    /// "assistant_1", "assistant_2"}` — OPERA's `answers.json` names the two answers so. Other keys
    /// are errors (a misspelt field is never silently dropped). Every problem names `source` and the line.
    public static func parseJSONL(_ text: String, source: String) throws(EvalError) -> [OPERAGPT4VItem] {
        var items: [OPERAGPT4VItem] = []
        var seen: [String: Int] = [:]
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            if line.allSatisfy({ $0.isWhitespace }) { continue }
            func fail(_ problem: String) -> EvalError { .invalidLine(path: source, line: number, reason: problem) }
            let value: JSONValue
            do { value = try JSONValue.parse(String(line)) } catch { throw fail("not JSON (column \(error.column): \(error.reason))") }
            guard let object = value.objectValue else { throw fail("expected a JSON object, found \(value.typeDescription)") }
            if let unknown = object.keys.sorted().first(where: { !fields.contains($0) }) {
                throw fail("unknown field '\(unknown)' (fields: \(fields.joined(separator: ", ")))")
            }
            func string(_ key: String, required: Bool) throws(EvalError) -> String? {
                guard let field = object[key], field != .null else {
                    if required { throw fail("missing field '\(key)'") }
                    return nil
                }
                guard let text = field.stringValue else { throw fail("'\(key)' must be a string, found \(field.typeDescription)") }
                return text
            }
            let id: String
            switch object["id"] {
            case nil, .null?: id = String(number)
            case .string(let text)?: id = text
            case .int(let integer)?: id = String(integer)
            case let other?: throw fail("'id' must be a string or an integer, found \(other.typeDescription)")
            }
            guard !id.isEmpty else { throw fail("'id' is empty") }
            if let first = seen[id] { throw fail("id '\(id)' repeats line \(first)") }
            seen[id] = number
            guard let image = try string("image", required: true), !image.isEmpty else { throw fail("'image' is empty") }
            items.append(OPERAGPT4VItem(id: id, image: image, question: try string("question", required: false),
                                        assistant1: try string("assistant_1", required: true) ?? "",
                                        assistant2: try string("assistant_2", required: true) ?? ""))
        }
        return items
    }
}
