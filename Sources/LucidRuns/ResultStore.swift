import Foundation

/// An append-only JSONL results file, exclusively locked by this process while open.
///
/// Opening reads what is already there: a torn last line (a write cut short by SIGKILL or a
/// crash) is truncated away, repeated successes of one key are reported and the first is kept,
/// and a malformed complete line is an error naming the file and line. Each `append` writes one
/// whole line with a single `O_APPEND` write and `fsync`s before returning, so a result that was
/// reported done is on disk, and a process killed at any point loses at most the item it was on.
/// A second process opening the same file gets `RunError.locked`.
public final class ResultStore: @unchecked Sendable {
    /// The results file.
    public let url: URL
    private let file: LockedFile
    private let mutex = NSLock()
    private var completedRecords: [String: ResultRecord]
    private var failedRecords: [String: ResultRecord]
    /// What opening found worth telling a person: a repaired torn line, duplicates kept-first.
    public let warnings: [String]
    /// Bytes of a torn last line cut away on open (0 if the file was intact).
    public let repairedBytes: Int
    let contents: ResultFile

    /// Opens (creating) and locks `url`, repairing a torn last line.
    public init(url: URL) throws(RunError) {
        self.url = url
        file = try LockedFile(path: url.path, access: .appending, lock: .exclusive)
        contents = try ResultFile(path: url.path, bytes: file.readAll())
        if contents.tornLength > 0 {
            try file.truncate(to: contents.validLength)
        }
        LockedFile.syncDirectory(url.deletingLastPathComponent().path)
        repairedBytes = contents.tornLength
        var warnings = contents.duplicates.map {
            "\(url.path):\($0.line): duplicate result for `\($0.key)` (first on line \($0.firstLine)); keeping the first"
        }
        if contents.tornLength > 0 {
            warnings.append("\(url.path): removed a torn last line (\(contents.tornLength) bytes, an interrupted write); that item runs again")
        }
        self.warnings = warnings
        completedRecords = contents.completed.mapValues(\.record)
        failedRecords = contents.failures.mapValues(\.record)
    }

    /// Checks that every stored record belongs to this run (and shard) and came from the same inputs.
    public func verify(against planned: [PlannedItem], shard: ShardSpec?) throws(RunError) {
        var lookup: [String: PlannedItem] = [:]
        for item in planned { lookup[item.key] = item }
        try contents.verify(against: lookup, shard: shard)
    }

    /// Successful records by key (the first one of each key).
    public var completed: [String: ResultRecord] {
        mutex.withLock { completedRecords }
    }

    /// The latest error of each key that failed and has not succeeded since.
    public var failed: [String: String] {
        mutex.withLock { failedRecords.compactMapValues(\.error) }
    }

    /// Whether `key` has a successful result.
    public func isCompleted(_ key: String) -> Bool {
        mutex.withLock { completedRecords[key] != nil }
    }

    /// The items of `items` without a successful result (failed ones included), in order.
    public func pending(_ items: [WorkItem]) -> [WorkItem] {
        mutex.withLock { items.filter { completedRecords[$0.key] == nil } }
    }

    /// Appends one record as one line and `fsync`s it.
    public func append(_ record: ResultRecord) throws(RunError) {
        let line: String
        do { line = try record.line() } catch {
            throw RunError.io(path: url.path, operation: "encode the result of `\(record.key)`", reason: error.description)
        }
        mutex.lock()
        defer { mutex.unlock() }
        try file.append(Array(line.utf8))
        switch record.outcome {
        case .success:
            if completedRecords[record.key] == nil { completedRecords[record.key] = record }
            failedRecords[record.key] = nil
        case .failure:
            if completedRecords[record.key] == nil { failedRecords[record.key] = record }
        }
    }

    /// Releases the lock; later appends fail.
    public func close() {
        mutex.withLock { file.close() }
    }
}
