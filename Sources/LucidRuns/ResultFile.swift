import LucidFiles

/// The parsed lines of a results file: which keys are done, which failed, what is repeated.
///
/// The one reader of `results.jsonl` (and of shard files): the run's writer and merge read through
/// `init(path:bytes:)`, judges and reports through `RunResults`, which reads with `read(path:)`.
///
/// A file is a sequence of newline-terminated JSON lines. Bytes after the last newline are a
/// torn line — a write cut short by a crash — and are not part of the file's content
/// (`tornLength` tells how many; the writer truncates them, readers ignore them). Every complete,
/// non-blank line must be a valid record: anything else is an error naming the file and line,
/// because silently skipping it could lose or repeat a result.
public struct ResultFile: Sendable {
    /// A record and its 1-based line number in the file.
    public struct Entry: Sendable {
        public let line: Int
        public let record: ResultRecord
    }

    /// The file's path, as errors and warnings name it.
    public let path: String
    /// Every record, in file order.
    public let entries: [Entry]
    /// Bytes up to and including the last newline.
    let validLength: Int
    /// Bytes after the last newline (a torn final line), 0 if none.
    let tornLength: Int
    /// The first successful record of each key.
    let completed: [String: Entry]
    /// The last failure of each key that has no success.
    let failures: [String: Entry]
    /// Later successes of an already completed key: (key, line, first line). The first one is kept.
    let duplicates: [(key: String, line: Int, firstLine: Int)]

    /// Every record, in file order (successes, failures and repeats alike).
    public var records: [ResultRecord] { entries.map(\.record) }

    /// Reads the finished results file at `path`. A last line without its newline is read as a line
    /// (such a file was written by hand or by another tool, not cut short: a finished run's writer ends every line).
    /// Throws `RunError.io` when the file cannot be read and `.malformedLine` naming the first bad line.
    public static func read(path: String) throws(RunError) -> ResultFile {
        var bytes: [UInt8]
        do { bytes = try SafeFile.read(path) } catch { throw RunError.io(path: path, operation: "read", reason: error.problem) }
        if let last = bytes.last, last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
        return try ResultFile(path: path, bytes: bytes)
    }

    init(path: String, bytes: [UInt8]) throws(RunError) {
        self.path = path
        let lastNewline = bytes.lastIndex(of: UInt8(ascii: "\n"))
        validLength = lastNewline.map { $0 + 1 } ?? 0
        tornLength = bytes.count - validLength
        var entries: [Entry] = []
        var completed: [String: Entry] = [:]
        var failures: [String: Entry] = [:]
        var duplicates: [(key: String, line: Int, firstLine: Int)] = []
        var lineNumber = 0
        for line in bytes[0..<validLength].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast() {
            lineNumber += 1
            guard line.contains(where: { ![0x20, 0x09, 0x0D].contains($0) }) else { continue }
            let record: ResultRecord
            do { record = try ResultRecord.parse(line: line) } catch {
                throw RunError.malformedLine(path: path, line: lineNumber, reason: error.reason)
            }
            let entry = Entry(line: lineNumber, record: record)
            entries.append(entry)
            switch record.outcome {
            case .success:
                if let first = completed[record.key] {
                    duplicates.append((record.key, lineNumber, first.line))
                } else {
                    completed[record.key] = entry
                    failures[record.key] = nil
                }
            case .failure:
                if completed[record.key] == nil { failures[record.key] = entry }
            }
        }
        self.entries = entries
        self.completed = completed
        self.failures = failures
        self.duplicates = duplicates
    }

    /// Warnings for a person: duplicates kept-first, a torn last line.
    var warnings: [String] {
        var warnings = duplicates.map { "\(path):\($0.line): duplicate result for `\($0.key)` (first on line \($0.firstLine)); keeping the first" }
        if tornLength > 0 { warnings.append("\(path): ignored a torn last line (\(tornLength) bytes, an interrupted write)") }
        return warnings
    }

    /// Checks that every record belongs to this run (and to `shard`, when given) and was made from the same inputs.
    func verify(against planned: [String: PlannedItem], shard: ShardSpec?) throws(RunError) {
        for entry in entries {
            let record = entry.record
            guard let item = planned[record.key] else {
                throw RunError.foreignResult(path: path, line: entry.line, key: record.key, reason: "is not a work item of this run")
            }
            if let shard, !shard.contains(position: item.index) {
                let owner = item.index % shard.count
                throw RunError.foreignResult(path: path, line: entry.line, key: record.key,
                                             reason: "belongs to shard \(owner)/\(shard.count), not \(shard)")
            }
            guard record.inputHash == item.inputHash else {
                throw RunError.foreignResult(path: path, line: entry.line, key: record.key,
                                             reason: "was computed from other inputs (input hash \(record.inputHash), expected \(item.inputHash))")
            }
        }
    }
}
