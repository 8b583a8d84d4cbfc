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
/// entry is an error naming the file and line, so a wrong file is never appended to.
public final class JudgeAnswerCache: @unchecked Sendable {
    public let path: String
    private let lock = NSLock()
    private var answers: [String: String]
    private let handle: FileHandle

    /// Opens (or creates) the cache at `path`; refuses a special file or a file that is not a cache.
    public init(path: String) throws(FileAccessError) {
        self.path = path
        var answers: [String: String] = [:]
        var keptBytes: UInt64?
        var needsNewline = false
        if FileManager.default.fileExists(atPath: path) {
            try SafeFile.checkInput(path)
            let text = try SafeFile.readText(path)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            for (index, line) in lines.enumerated() where !line.isEmpty {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let key = object["key"] as? String, let answer = object["answer"] as? String else {
                    if index == lines.count - 1 {  // cut short by a kill (no newline after it): cut off
                        keptBytes = UInt64(text.utf8.count - line.utf8.count)
                        continue
                    }
                    throw FileAccessError(path: path, problem: "line \(index + 1) is not a judge cache entry {\"key\", \"answer\"}")
                }
                answers[key] = answer
            }
            // A whole entry whose newline the kill cut off: the next one starts on a line of its own.
            needsNewline = keptBytes == nil && !text.isEmpty && !text.hasSuffix("\n")
        } else {
            try SafeFile.checkOutput(path)
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw FileAccessError(path: path, problem: "cannot create the judge cache")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw FileAccessError(path: path, problem: "cannot open the judge cache for writing")
        }
        do {
            if let keptBytes { try handle.truncate(atOffset: keptBytes) }
            try handle.seekToEnd()
            if needsNewline { try handle.write(contentsOf: Data("\n".utf8)) }
        } catch {
            throw FileAccessError(path: path, problem: "cannot write: \(error.localizedDescription)")
        }
        self.answers = answers
        self.handle = handle
    }

    deinit { try? handle.close() }

    /// How many answers the file holds.
    public var count: Int { lock.withLock { answers.count } }

    /// The key of a request body.
    public static func key(body: Data) -> String {
        var hash = SHA256()
        hash.update(Array(body))
        return hash.finalizeHex()
    }

    /// The answer kept for `key`, if any.
    public func answer(for key: String) -> String? { lock.withLock { answers[key] } }

    /// Keeps `answer` under `key`, on disk before it returns.
    public func record(_ answer: String, for key: String) throws(FileAccessError) {
        // ASCII only (`\uXXXX` escapes): a write cut short by a kill cannot leave invalid UTF-8 behind.
        let line = "{\"key\":\(JSONString.quoted(key, escaping: .ascii)),\"answer\":\(JSONString.quoted(answer, escaping: .ascii))}\n"
        do {
            try lock.withLock {
                try handle.write(contentsOf: Data(line.utf8))
                try handle.synchronize()
                answers[key] = answer
            }
        } catch {
            throw FileAccessError(path: path, problem: "cannot append to the judge cache: \(error.localizedDescription)")
        }
    }
}
