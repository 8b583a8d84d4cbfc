/// One tensor described by a safetensors header.
public struct SafetensorsEntry: Sendable, Equatable {
    /// The tensor name (the header key).
    public let name: String
    /// The element type.
    public let dtype: SafetensorsDType
    /// Row-major shape; empty for a scalar.
    public let shape: [Int]
    /// Byte range relative to the start of the data section (the byte after the header).
    public let dataOffsets: Range<Int>

    /// Number of elements (product of `shape`; 1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }
    /// Number of data bytes.
    public var byteCount: Int { dataOffsets.count }
}

/// Validation of a parsed safetensors JSON header.
enum SafetensorsHeader {
    /// Largest header accepted, in bytes (the reference implementation's limit).
    static let maximumLength: UInt64 = 100_000_000

    /// Parses and validates the header bytes for a data section of `dataSize` bytes.
    /// Entries are returned in header order.
    static func parse(_ json: UnsafeRawBufferPointer, path: String,
                      dataSize: Int) throws -> (metadata: [String: String], entries: [SafetensorsEntry]) {
        let document: CheckpointJSON
        do {
            document = try CheckpointJSON.parse(json)
        } catch {
            throw CheckpointError.malformedHeader(
                path: path, reason: "invalid JSON at header byte \(error.offset): \(error.message)")
        }
        guard case .object(let members) = document else {
            throw CheckpointError.malformedHeader(
                path: path, reason: "header is a JSON \(document.kindName), expected an object")
        }

        var metadata: [String: String] = [:]
        var entries: [SafetensorsEntry] = []
        var seen = Set<String>()
        entries.reserveCapacity(members.count)
        for member in members {
            guard seen.insert(member.key).inserted else {
                throw CheckpointError.duplicateTensor(path: path, name: member.key)
            }
            if member.key == "__metadata__" {
                metadata = try parseMetadata(member.value, path: path)
            } else {
                entries.append(try parseEntry(member.key, member.value, path: path, dataSize: dataSize))
            }
        }
        try checkOverlaps(entries, path: path)
        return (metadata, entries)
    }

    private static func parseMetadata(_ value: CheckpointJSON, path: String) throws -> [String: String] {
        guard case .object(let members) = value else {
            throw CheckpointError.malformedHeader(
                path: path, reason: "__metadata__ is a JSON \(value.kindName), expected an object")
        }
        var result: [String: String] = [:]
        for member in members {
            guard case .string(let text) = member.value else {
                throw CheckpointError.malformedHeader(
                    path: path, reason: "__metadata__ value for '\(member.key)' is a JSON \(member.value.kindName), expected a string")
            }
            guard result.updateValue(text, forKey: member.key) == nil else {
                throw CheckpointError.duplicateKey(path: path, key: member.key)
            }
        }
        return result
    }

    private static func field(_ key: String, in members: [CheckpointJSON.Member]) -> CheckpointJSON? {
        members.first { $0.key == key }?.value
    }

    private static func parseEntry(_ name: String, _ value: CheckpointJSON, path: String,
                                   dataSize: Int) throws -> SafetensorsEntry {
        guard case .object(let members) = value else {
            throw CheckpointError.malformedHeader(
                path: path, reason: "entry '\(name)' is a JSON \(value.kindName), expected an object")
        }
        guard case .string(let dtypeName)? = field("dtype", in: members) else {
            throw CheckpointError.malformedHeader(path: path, reason: "entry '\(name)' has no string 'dtype'")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw CheckpointError.unknownDType(path: path, tensor: name, dtype: dtypeName)
        }
        guard case .array(let dims)? = field("shape", in: members) else {
            throw CheckpointError.malformedHeader(path: path, reason: "entry '\(name)' has no array 'shape'")
        }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        var elements = 1
        for dim in dims {
            guard case .unsigned(let raw) = dim, let size = Int(exactly: raw) else {
                throw CheckpointError.invalidShape(
                    path: path, tensor: name, reason: "dimension \(dim.briefText) is not a non-negative integer")
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: size)
            guard !overflow else {
                throw CheckpointError.invalidShape(path: path, tensor: name, reason: "element count overflows")
            }
            elements = product
            shape.append(size)
        }
        let (expectedBytes, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else {
            throw CheckpointError.invalidShape(path: path, tensor: name, reason: "byte count overflows")
        }

        guard case .array(let offsets)? = field("data_offsets", in: members), offsets.count == 2,
              case .unsigned(let begin) = offsets[0], case .unsigned(let end) = offsets[1] else {
            throw CheckpointError.malformedHeader(
                path: path, reason: "entry '\(name)' needs 'data_offsets' as two non-negative integers")
        }
        guard begin <= end, end <= UInt64(dataSize) else {
            throw CheckpointError.offsetsOutOfRange(path: path, tensor: name, begin: begin, end: end,
                                                    dataSize: dataSize)
        }
        guard end - begin == UInt64(expectedBytes) else {
            throw CheckpointError.shapeByteMismatch(path: path, tensor: name, expected: expectedBytes,
                                                    actual: end - begin)
        }
        return SafetensorsEntry(name: name, dtype: dtype, shape: shape, dataOffsets: Int(begin) ..< Int(end))
    }

    /// Rejects any two non-empty entries whose byte ranges intersect.
    private static func checkOverlaps(_ entries: [SafetensorsEntry], path: String) throws {
        let sorted = entries.filter { !$0.dataOffsets.isEmpty }.sorted {
            ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound)
        }
        var furthest: SafetensorsEntry?
        for entry in sorted {
            if let previous = furthest, entry.dataOffsets.lowerBound < previous.dataOffsets.upperBound {
                throw CheckpointError.overlappingTensors(path: path, first: previous.name, second: entry.name)
            }
            if furthest.map({ entry.dataOffsets.upperBound > $0.dataOffsets.upperBound }) ?? true {
                furthest = entry
            }
        }
    }
}
