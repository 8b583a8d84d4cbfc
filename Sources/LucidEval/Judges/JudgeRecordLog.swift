import Foundation
import LucidFiles

/// A judged item's line in a `JudgeRecordLog`: it names its item, and the request it was judged with.
public protocol JudgeLogRecord: Codable, Sendable {
    /// The item's id (unique in the input).
    var id: String { get }
    /// The `JudgeAnswerCache` key of the request the item was judged with: inputs or judge settings
    /// that changed since are another request.
    var request: String { get }
}

/// The per-item output of a judging command, written as it goes so that a killed or failed run
/// resumes where it stopped: one JSON line per judged item, appended and flushed to disk the moment
/// the judge has answered (a `JSONLinesStore` keyed by item id).
///
/// On open, every complete line must be a record of a new item (else an error naming the file and
/// line, and nothing is written); a last line cut short by a kill is cut off. A resumed run skips the
/// items that have a record, after checking that the record was made for the same request
/// (`record(for:request:)`).
public final class JudgeRecordLog<Record: JudgeLogRecord> {
    public let path: String
    private let store: JSONLinesStore<String, Record>

    static var format: JSONLinesStore<String, Record>.Format {
        .init(key: { $0.id }, policy: .refuse(repeatedKeys: false) { line, problem in
            switch problem {
            case .undecodable(let error): return "line \(line) is not a record of this command (\(Self.reason(error))); use another output file"
            case .repeatedKey(let id): return "line \(line) repeats item '\(id)'"
            }
        }, noun: "the output file")
    }

    /// Opens (or creates) the log at `path`; refuses a special file or a line that is not a record.
    public init(path: String) throws(FileAccessError) {
        self.path = path
        store = try JSONLinesStore(path: path, format: Self.format)
    }

    /// The records read on open and appended since, in file order.
    public var records: [Record] { store.records }

    /// The records of the log at `path`, read without changing the file (a torn last line is left out).
    public static func read(path: String) throws(FileAccessError) -> [Record] {
        try JSONLinesStore.read(path: path, format: format)
    }

    /// The record of item `id`, if it was judged; an error if it was judged with another request
    /// (the input item, the image or the judge settings changed since that run).
    public func record(for id: String, request: String) throws(FileAccessError) -> Record? {
        guard let record = store[id] else { return nil }
        guard record.request == request else {
            throw FileAccessError(path: path, problem: "item '\(id)' was judged with another request (its input, image, judge model or settings changed); write to another output file, or move this one away to judge again")
        }
        return record
    }

    /// Appends `record` as one line, on disk before it returns.
    public func append(_ record: Record) throws(FileAccessError) {
        try store.append(record)
    }

    static func reason(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        switch decoding {
        case .keyNotFound(let key, _): return "no '\(key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "'\(path)': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
