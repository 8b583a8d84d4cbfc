/// Reading of GGUF metadata values with every count bounded before allocation.
extension CheckpointByteReader {
    /// Deepest nesting of arrays accepted (guards the stack against crafted files).
    static let maximumGGUFArrayDepth = 16

    /// Reads `count` key/value pairs; keys must be unique valid UTF-8.
    mutating func ggufMetadata(count: Int) throws -> GGUFMetadata {
        var entries: [GGUFMetadata.Element] = []
        entries.reserveCapacity(count)
        var seen = Set<String>(minimumCapacity: count)
        for index in 0 ..< count {
            let key = try ggufString("metadata key #\(index)", strict: true)
            guard seen.insert(key).inserted else {
                throw CheckpointError.duplicateKey(path: path, key: key)
            }
            let type = try ggufValueType(for: key)
            entries.append((key, try ggufValue(type, key: key, depth: 0)))
        }
        return GGUFMetadata(entries)
    }

    private mutating func ggufValueType(for key: String) throws -> GGUFValueType {
        let raw = try u32("value type of '\(key)'")
        guard let type = GGUFValueType(rawValue: raw) else {
            throw CheckpointError.unknownValueType(path: path, key: key, type: raw)
        }
        return type
    }

    /// Reads one value of `type` for metadata `key`.
    mutating func ggufValue(_ type: GGUFValueType, key: String, depth: Int) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try readInteger(UInt8.self, key))
        case .int8: return .int8(try readInteger(Int8.self, key))
        case .uint16: return .uint16(try readInteger(UInt16.self, key))
        case .int16: return .int16(try readInteger(Int16.self, key))
        case .uint32: return .uint32(try readInteger(UInt32.self, key))
        case .int32: return .int32(try readInteger(Int32.self, key))
        case .uint64: return .uint64(try readInteger(UInt64.self, key))
        case .int64: return .int64(try readInteger(Int64.self, key))
        case .float32: return .float32(try f32(key))
        case .float64: return .float64(try f64(key))
        case .bool:
            let raw = try u8(key)
            guard raw <= 1 else {
                throw CheckpointError.malformedHeader(path: path, reason: "boolean '\(key)' has byte value \(raw)")
            }
            return .bool(raw == 1)
        case .string:
            return .string(try ggufString("value of '\(key)'", strict: false))
        case .array:
            return try ggufArray(key: key, depth: depth + 1)
        }
    }

    private mutating func ggufArray(key: String, depth: Int) throws -> GGUFValue {
        guard depth <= CheckpointByteReader.maximumGGUFArrayDepth else {
            throw CheckpointError.malformedHeader(
                path: path, reason: "arrays in '\(key)' are nested deeper than \(CheckpointByteReader.maximumGGUFArrayDepth)")
        }
        let elementType = try ggufValueType(for: key)
        let count = try u64("element count of '\(key)'")
        guard count <= UInt64(remaining / elementType.minimumEncodedSize) else {
            throw CheckpointError.tooManyItems(path: path, what: "array '\(key)' element", count: count)
        }
        let elements = Int(count)
        var values: [GGUFValue] = []
        values.reserveCapacity(elements)
        for _ in 0 ..< elements {
            values.append(try ggufValue(elementType, key: key, depth: depth))
        }
        return .array(elementType, values)
    }
}
