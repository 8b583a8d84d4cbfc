/// A validated, memory-mapped `.safetensors` file.
///
/// Opening checks the whole header: length bounds (at most 100 MB and inside
/// the file), JSON syntax, known dtypes, shapes that agree with byte ranges,
/// ranges inside the data section, no overlaps and unique names. Tensor data is
/// never copied: ``data(for:)`` returns views into the mapping, valid for as
/// long as this object is alive.
public final class SafetensorsFile: Sendable {
    /// The path the file was opened with.
    public var path: String { file.path }
    /// The free-form `__metadata__` string map (empty if absent).
    public let metadata: [String: String]
    /// All tensors, in the order they appear in the JSON header.
    public let entries: [SafetensorsEntry]
    /// Byte offset of the data section within the file (8 + header length).
    public let dataStart: Int

    let file: MappedFile
    private let indexByName: [String: Int]

    /// Maps and validates the file at `path`; throws ``CheckpointError`` on any defect.
    public init(path: String) throws {
        let file = try MappedFile(path: path)
        let bytes = file.bytes
        var reader = CheckpointByteReader(bytes, path: path)
        let headerLength = try reader.u64("header length")
        guard headerLength <= SafetensorsHeader.maximumLength else {
            throw CheckpointError.headerTooLarge(path: path, claimed: headerLength, fileSize: file.size)
        }
        guard headerLength <= UInt64(reader.remaining) else {
            throw CheckpointError.truncated(path: path, what: "JSON header", needed: headerLength,
                                            available: reader.remaining)
        }
        let json = try reader.slice(Int(headerLength), "JSON header")
        let dataStart = reader.offset
        let parsed = try SafetensorsHeader.parse(json, path: path, dataSize: file.size - dataStart)

        self.file = file
        self.dataStart = dataStart
        self.metadata = parsed.metadata
        self.entries = parsed.entries
        var index: [String: Int] = [:]
        index.reserveCapacity(parsed.entries.count)
        for (position, entry) in parsed.entries.enumerated() {
            index[entry.name] = position
        }
        self.indexByName = index
    }

    /// Tensor names in header order.
    public var names: [String] { entries.map(\.name) }

    /// The entry called `name`, or nil.
    public func entry(named name: String) -> SafetensorsEntry? {
        indexByName[name].map { entries[$0] }
    }

    /// The raw little-endian bytes of `entry`, as a view into the mapping (no copy).
    ///
    /// `entry` must come from this file. The view is valid while this object is alive.
    public func data(for entry: SafetensorsEntry) -> UnsafeRawBufferPointer {
        let bytes = file.bytes
        let start = dataStart + entry.dataOffsets.lowerBound
        let end = dataStart + entry.dataOffsets.upperBound
        precondition(start >= dataStart && end <= bytes.count, "entry does not belong to \(path)")
        return UnsafeRawBufferPointer(rebasing: bytes[start ..< end])
    }

    /// The raw bytes of the tensor called `name`; throws `.tensorNotFound` if absent.
    public func data(named name: String) throws -> UnsafeRawBufferPointer {
        guard let entry = entry(named: name) else {
            throw CheckpointError.tensorNotFound(path: path, name: name)
        }
        return data(for: entry)
    }

    /// Calls `body` with the bytes of `entry` while keeping this file alive.
    public func withData<R>(for entry: SafetensorsEntry,
                            _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(data(for: entry)) }
    }
}
