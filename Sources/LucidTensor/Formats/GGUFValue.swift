/// The type id of a GGUF metadata value.
public enum GGUFValueType: UInt32, CaseIterable, Sendable {
    case uint8 = 0
    case int8 = 1
    case uint16 = 2
    case int16 = 3
    case uint32 = 4
    case int32 = 5
    case float32 = 6
    case bool = 7
    case string = 8
    case array = 9
    case uint64 = 10
    case int64 = 11
    case float64 = 12

    /// The fewest bytes one value of this type can occupy in a file (used to
    /// bound counts before allocating: a string needs its 8-byte length, an
    /// array its 4-byte element type and 8-byte count).
    var minimumEncodedSize: Int {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64, .string: return 8
        case .array: return 12
        }
    }
}

/// A GGUF metadata value.
///
/// Arrays keep their declared element type so empty arrays round-trip.
/// Accessors return nil when the value is of another kind.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case float32(Float)
    case bool(Bool)
    case string(String)
    case array(GGUFValueType, [GGUFValue])
    case uint64(UInt64)
    case int64(Int64)
    case float64(Double)

    /// The type id this value is stored with.
    public var type: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .float32: return .float32
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        case .uint64: return .uint64
        case .int64: return .int64
        case .float64: return .float64
        }
    }

    /// The text of a string value.
    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// Any integer value as `Int`, or nil if it is not an integer or does not fit.
    public var int: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(v)
        default: return nil
        }
    }

    /// Any numeric value (integer or float) as `Double`.
    public var double: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        case .uint64(let v): return Double(v)
        case .int64(let v): return Double(v)
        default: return int.map(Double.init)
        }
    }

    /// The value of a boolean.
    public var bool: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// The elements of an array value.
    public var array: [GGUFValue]? {
        if case .array(_, let elements) = self { return elements }
        return nil
    }

    /// The elements of an array of strings (nil if any element is not a string).
    public var stringArray: [String]? {
        guard case .array(_, let elements) = self else { return nil }
        var result: [String] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard case .string(let text) = element else { return nil }
            result.append(text)
        }
        return result
    }
}

/// GGUF metadata: key/value pairs in file order, with lookup by key.
public struct GGUFMetadata: RandomAccessCollection, Sendable {
    /// One key/value pair.
    public typealias Element = (key: String, value: GGUFValue)

    /// The pairs in file order.
    public let entries: [Element]
    private let positions: [String: Int]

    /// Builds metadata from pairs; keys must be unique (later duplicates win lookup).
    public init(_ entries: [Element]) {
        self.entries = entries
        var positions: [String: Int] = [:]
        positions.reserveCapacity(entries.count)
        for (position, entry) in entries.enumerated() {
            positions[entry.key] = position
        }
        self.positions = positions
    }

    public var startIndex: Int { entries.startIndex }
    public var endIndex: Int { entries.endIndex }
    public subscript(position: Int) -> Element { entries[position] }

    /// The value stored under `key`, or nil.
    public subscript(key: String) -> GGUFValue? {
        positions[key].map { entries[$0].value }
    }

    /// The keys in file order.
    public var keys: [String] { entries.map(\.key) }
}
