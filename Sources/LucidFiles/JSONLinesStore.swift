import Foundation

/// An append-only JSON Lines file of records that a killed run resumes from: one record a line,
/// each appended and flushed to disk before `append` returns, read back (and indexed by key) when
/// the file is opened again.
///
/// A kill can cut the last write short. On open, a last line without its newline that does not
/// decode is cut off the file; one that decodes (only its newline was lost) is kept, and the next
/// record starts on a line of its own. Every other line follows the store's `LinePolicy`: skipped
/// when it does not decode (a cache whose lost lines are only recomputed), or the file is refused
/// with an error naming it and the line (a log a foreign file must never be appended to).
///
/// The store is safe to use from several tasks: appends and lookups take a lock.
public final class JSONLinesStore<Key: Hashable, Record: Codable>: @unchecked Sendable {
    /// How a store reads and writes its records.
    public struct Format: Sendable {
        /// The key a record is found by (a later record of a key replaces the earlier one, unless `policy` refuses repeats).
        public var key: @Sendable (Record) -> Key
        /// What opening does with a complete line that is not a record, or that repeats a key.
        public var policy: LinePolicy
        /// One record from one line's bytes (nil: a plain `JSONDecoder`).
        public var decode: (@Sendable (Data) throws -> Record)?
        /// One record as one line of JSON, without its newline (nil: a `JSONEncoder` with sorted keys).
        public var encode: (@Sendable (Record) throws -> Data)?
        /// What errors call the file ("the judge cache").
        public var noun: String

        /// A format whose records are found by `key`; `decode` / `encode` replace the plain JSON coders where given.
        public init(key: @escaping @Sendable (Record) -> Key, policy: LinePolicy, noun: String = "the file",
                    decode: (@Sendable (Data) throws -> Record)? = nil, encode: (@Sendable (Record) throws -> Data)? = nil) {
            self.key = key
            self.policy = policy
            self.noun = noun
            self.decode = decode
            self.encode = encode
        }

        func decoded(_ line: Data) throws -> Record {
            if let decode { return try decode(line) }
            return try JSONDecoder().decode(Record.self, from: line)
        }

        func encoded(_ record: Record) throws -> Data {
            if let encode { return try encode(record) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return try encoder.encode(record)
        }
    }

    /// What a complete line may be besides a record of a new key.
    public enum LinePolicy: Sendable {
        /// Lines that do not decode are skipped; a repeated key replaces the earlier record.
        case skipUndecodable
        /// Lines that do not decode (and, unless `repeatedKeys`, a repeated key) refuse the file; `problem`
        /// says what is wrong with the line (1-based), for an error that also names the file.
        case refuse(repeatedKeys: Bool, problem: @Sendable (_ line: Int, _ problem: LineProblem) -> String)
    }

    /// Why a complete line is refused.
    public enum LineProblem {
        /// The line does not decode as a record (the decoder's error).
        case undecodable(any Error)
        /// The line's record has the key of an earlier line.
        case repeatedKey(Key)
    }

    public let path: String
    private let format: Format
    private let lock = NSLock()
    private var stored: [Record]
    private var index: [Key: Int]
    private let handle: FileHandle

    /// Opens (or creates) the store at `path`; refuses a special file, or a line the format's policy refuses.
    public init(path: String, format: Format) throws(FileAccessError) {
        self.path = path
        self.format = format
        var cut: UInt64?
        var needsNewline = false
        var records: [Record] = []
        var index: [Key: Int] = [:]
        if FileManager.default.fileExists(atPath: path) {
            let bytes = try SafeFile.read(path)
            let read = try Self.parse(bytes, path: path, format: format)
            (records, index) = (read.records, read.index)
            if read.validLength < bytes.count { cut = UInt64(read.validLength) }
            needsNewline = read.validLength > 0 && bytes[read.validLength - 1] != UInt8(ascii: "\n")
        } else {
            try SafeFile.checkOutput(path)
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw FileAccessError(path: path, problem: "cannot create \(format.noun)")
            }
        }
        try SafeFile.checkOutput(path)
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw FileAccessError(path: path, problem: "cannot open \(format.noun) for writing")
        }
        do {
            if let cut { try handle.truncate(atOffset: cut) }
            try handle.seekToEnd()
            if needsNewline { try handle.write(contentsOf: Data("\n".utf8)) }
        } catch {
            throw FileAccessError(path: path, problem: "cannot write: \(error.localizedDescription)")
        }
        self.stored = records
        self.index = index
        self.handle = handle
    }

    deinit { try? handle.close() }

    /// The records of the store at `path`, in file order, read without changing the file (a torn last line is left out).
    public static func read(path: String, format: Format) throws(FileAccessError) -> [Record] {
        try parse(try SafeFile.read(path), path: path, format: format).records
    }

    /// The records read on open and appended since, in file order (a record per line, repeated keys included).
    public var records: [Record] { lock.withLock { stored } }

    /// How many keys have a record.
    public var count: Int { lock.withLock { index.count } }

    /// The latest record of `key`, if any.
    public subscript(key: Key) -> Record? {
        lock.withLock { index[key].map { stored[$0] } }
    }

    /// Appends `record` as one line, on disk before it returns.
    public func append(_ record: Record) throws(FileAccessError) {
        let line: Data
        do { line = try format.encoded(record) + Data("\n".utf8) } catch {
            throw FileAccessError(path: path, problem: "cannot encode a record: \(error)")
        }
        do {
            try lock.withLock {
                try handle.write(contentsOf: line)
                try handle.synchronize()
                index[format.key(record)] = stored.count
                stored.append(record)
            }
        } catch {
            throw FileAccessError(path: path, problem: "cannot append to \(format.noun): \(error.localizedDescription)")
        }
    }

    /// The records of `bytes` with their index, and how many leading bytes to keep: all but a torn
    /// last line (one without a newline that does not decode).
    static func parse(_ bytes: [UInt8], path: String, format: Format) throws(FileAccessError)
        -> (records: [Record], index: [Key: Int], validLength: Int) {
        let newline = UInt8(ascii: "\n")
        let lines = bytes.split(separator: newline, omittingEmptySubsequences: false)
        var records: [Record] = []
        var index: [Key: Int] = [:]
        var validLength = bytes.count
        for (offset, line) in lines.enumerated() {
            guard line.contains(where: { ![0x20, 0x09, 0x0D].contains($0) }) else { continue }
            let isLast = offset == lines.count - 1  // no newline after it
            let record: Record
            do { record = try format.decoded(Data(line)) } catch {
                if isLast {  // cut short by a kill: cut off
                    validLength = line.startIndex
                    break
                }
                guard case .refuse(_, let problem) = format.policy else { continue }
                throw FileAccessError(path: path, problem: problem(offset + 1, .undecodable(error)))
            }
            let key = format.key(record)
            if index[key] != nil, case .refuse(false, let problem) = format.policy {
                throw FileAccessError(path: path, problem: problem(offset + 1, .repeatedKey(key)))
            }
            index[key] = records.count
            records.append(record)
        }
        return (records, index, validLength)
    }
}
