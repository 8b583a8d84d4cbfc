import Foundation
import LucidFiles
import LucidSupport

/// Judge answers kept in a JSONL file, so that a judging run that is rerun after a failure or a
/// kill pays only for the requests it has no answer for.
///
/// Each line is `{"key": SHA-256 of the request body, "answer": text}`, appended and flushed to disk
/// as soon as the judge answers. The key covers the model name, the messages, the temperature and
/// the answer limit — not the endpoint, so the same model behind another URL reuses the answers. A
/// last line cut short by a kill is cut off when the cache opens; any other line that is not a cache
/// entry is an error naming the file and line, so a wrong file is never appended to (`JSONLinesStore`).
public final class JudgeAnswerCache: Sendable {
    public let path: String
    private let store: JSONLinesStore<String, Entry>

    /// One line of the file.
    struct Entry: Codable, Sendable {
        var key: String
        var answer: String
    }

    static let format = JSONLinesStore<String, Entry>.Format(
        key: { $0.key },
        policy: .refuse(repeatedKeys: true) { line, _ in "line \(line) is not a judge cache entry {\"key\", \"answer\"}" },
        noun: "the judge cache",
        // ASCII only (`\uXXXX` escapes): a write cut short by a kill cannot leave invalid UTF-8 behind.
        encode: { Data("{\"key\":\(JSONString.quoted($0.key, escaping: .ascii)),\"answer\":\(JSONString.quoted($0.answer, escaping: .ascii))}".utf8) })

    /// Opens (or creates) the cache at `path`; refuses a special file or a file that is not a cache.
    public init(path: String) throws(FileAccessError) {
        self.path = path
        store = try JSONLinesStore(path: path, format: Self.format)
    }

    /// How many answers the file holds.
    public var count: Int { store.count }

    /// The key of a request body.
    public static func key(body: Data) -> String {
        var hash = SHA256()
        hash.update(Array(body))
        return hash.finalizeHex()
    }

    /// The answer kept for `key`, if any.
    public func answer(for key: String) -> String? { store[key]?.answer }

    /// Keeps `answer` under `key`, on disk before it returns.
    public func record(_ answer: String, for key: String) throws(FileAccessError) {
        try store.append(Entry(key: key, answer: answer))
    }
}
