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
/// the judge has answered.
///
/// On open, every complete line must be a record (else an error naming the file and line, and
/// nothing is written); bytes after the last newline — a write cut short by a kill — are cut off.
/// A resumed run skips the items that have a record, after checking that the record was made for
/// the same request (`record(for:request:)`).
public final class JudgeRecordLog<Record: JudgeLogRecord> {
    public let path: String
    /// The records read on open and appended since, in file order.
    public private(set) var records: [Record] = []
    private var byID: [String: Int] = [:]
    private let handle: FileHandle

    /// Opens (or creates) the log at `path`; refuses a special file or a line that is not a record.
    public init(path: String) throws(FileAccessError) {
        self.path = path
        var keptBytes: UInt64?
        if FileManager.default.fileExists(atPath: path) {
            let bytes = try SafeFile.read(path)
            let validLength: Int
            (records, validLength) = try Self.parse(bytes, path: path)
            if validLength < bytes.count { keptBytes = UInt64(validLength) }
            for (index, record) in records.enumerated() { byID[record.id] = index }
        } else {
            try SafeFile.checkOutput(path)
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw FileAccessError(path: path, problem: "cannot create the output file")
            }
        }
        try SafeFile.checkOutput(path)
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw FileAccessError(path: path, problem: "cannot open the output file for writing")
        }
        do {
            if let keptBytes { try handle.truncate(atOffset: keptBytes) }
            try handle.seekToEnd()
        } catch {
            throw FileAccessError(path: path, problem: "cannot write: \(error.localizedDescription)")
        }
        self.handle = handle
    }

    deinit { try? handle.close() }

    /// The records of the log at `path`, read without changing the file (a torn last line is left out).
    public static func read(path: String) throws(FileAccessError) -> [Record] {
        try parse(try SafeFile.read(path), path: path).records
    }

    /// The records of the complete lines of `bytes`, and the length of those lines (what a torn last line does not cover).
    static func parse(_ bytes: [UInt8], path: String) throws(FileAccessError) -> (records: [Record], validLength: Int) {
        let validLength = bytes.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        var records: [Record] = []
        var seen = Set<String>()
        var number = 0
        for line in bytes[0..<validLength].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast() {
            number += 1
            guard line.contains(where: { ![0x20, 0x09, 0x0D].contains($0) }) else { continue }
            let record: Record
            do { record = try JSONDecoder().decode(Record.self, from: Data(line)) } catch {
                throw FileAccessError(path: path, problem: "line \(number) is not a record of this command (\(Self.reason(error))); use another output file")
            }
            guard seen.insert(record.id).inserted else {
                throw FileAccessError(path: path, problem: "line \(number) repeats item '\(record.id)'")
            }
            records.append(record)
        }
        return (records, validLength)
    }

    /// The record of item `id`, if it was judged; an error if it was judged with another request
    /// (the input item, the image or the judge settings changed since that run).
    public func record(for id: String, request: String) throws(FileAccessError) -> Record? {
        guard let index = byID[id] else { return nil }
        let record = records[index]
        guard record.request == request else {
            throw FileAccessError(path: path, problem: "item '\(id)' was judged with another request (its input, image, judge model or settings changed); write to another output file, or move this one away to judge again")
        }
        return record
    }

    /// Appends `record` as one line, on disk before it returns.
    public func append(_ record: Record) throws(FileAccessError) {
        let line: Data
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            line = try encoder.encode(record) + Data("\n".utf8)
        } catch { throw FileAccessError(path: path, problem: "cannot encode a record: \(error)") }
        do {
            try handle.write(contentsOf: line)
            try handle.synchronize()
        } catch {
            throw FileAccessError(path: path, problem: "cannot append: \(error.localizedDescription)")
        }
        byID[record.id] = records.count
        records.append(record)
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
