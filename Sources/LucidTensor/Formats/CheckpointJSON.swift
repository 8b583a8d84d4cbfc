import LucidSupport
/// A parsed JSON value that keeps object members in document order and
/// keeps duplicate keys (so callers can reject them), with exact integers.
///
/// Used for safetensors headers and index files. Foundation's
/// `JSONSerialization` silently merges duplicate keys and loses member order,
/// both of which matter for validating checkpoints.
enum CheckpointJSON: Equatable, Sendable {
    case object([Member])
    case array([CheckpointJSON])
    case string(String)
    /// A number written without fraction or exponent that fits in `UInt64`.
    case unsigned(UInt64)
    /// A negative number written without fraction or exponent that fits in `Int64`.
    case signed(Int64)
    /// Any other number.
    case number(Double)
    case bool(Bool)
    case null

    struct Member: Equatable, Sendable {
        let key: String
        let value: CheckpointJSON
    }

    /// A failure to parse, with the byte offset where it was noticed.
    struct ParseError: Error, Equatable {
        let offset: Int
        let message: String
    }

    /// Short name of the value's kind, for error messages.
    var kindName: String {
        switch self {
        case .object: return "object"
        case .array: return "array"
        case .string: return "string"
        case .unsigned, .signed, .number: return "number"
        case .bool: return "boolean"
        case .null: return "null"
        }
    }

    /// A short rendering for error messages (containers are elided).
    var briefText: String {
        switch self {
        case .object: return "{...}"
        case .array: return "[...]"
        case .string(let text): return CheckpointJSON.quoted(text)
        case .unsigned(let value): return String(value)
        case .signed(let value): return String(value)
        case .number(let value): return String(value)
        case .bool(let value): return String(value)
        case .null: return "null"
        }
    }

    /// Parses one JSON document; surrounding whitespace is allowed, anything else is not.
    static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64) throws(ParseError) -> CheckpointJSON {
        var parser = Parser(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else {
            throw ParseError(offset: parser.index, message: "unexpected data after the JSON value")
        }
        return value
    }

    /// `text` as a JSON string literal, quotes included.
    static func quoted(_ text: String) -> String { JSONString.quoted(text) }
}

private struct Parser {
    let bytes: UnsafeRawBufferPointer
    let maxDepth: Int
    var index = 0

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    typealias ParseError = CheckpointJSON.ParseError

    func fail(_ message: String) -> ParseError { ParseError(offset: index, message: message) }

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            index += 1
        }
    }

    mutating func expectLiteral(_ literal: StaticString, _ value: CheckpointJSON) throws(ParseError) -> CheckpointJSON {
        let count = literal.utf8CodeUnitCount
        guard count <= bytes.count - index else { throw fail("unexpected end of input") }
        let matches = literal.withUTF8Buffer { expected in
            (0 ..< count).allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard matches else { throw fail("invalid literal") }
        index += count
        return value
    }

    mutating func parseValue(depth: Int) throws(ParseError) -> CheckpointJSON {
        guard let byte = current else { throw fail("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expectLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try expectLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try expectLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"): return try parseNumber()
        default: throw fail("unexpected character")
        }
    }

    mutating func parseObject(depth: Int) throws(ParseError) -> CheckpointJSON {
        guard depth <= maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
        index += 1
        var members: [CheckpointJSON.Member] = []
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw fail("expected ':'") }
            index += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            members.append(.init(key: key, value: value))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return .object(members)
            default: throw fail("expected ',' or '}'")
            }
        }
    }

    mutating func parseArray(depth: Int) throws(ParseError) -> CheckpointJSON {
        guard depth <= maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
        index += 1
        var elements: [CheckpointJSON] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return .array(elements)
            default: throw fail("expected ',' or ']'")
            }
        }
    }

    mutating func parseString() throws(ParseError) -> String {
        index += 1  // opening quote
        let start = index
        // Fast path: no escapes.
        while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"), byte >= 0x20 {
            index += 1
        }
        if current == UInt8(ascii: "\"") {
            let raw = UnsafeRawBufferPointer(rebasing: bytes[start ..< index])
            index += 1
            guard let text = String(validating: raw, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
            return text
        }
        var buffer = Array(UnsafeRawBufferPointer(rebasing: bytes[start ..< index]))
        while true {
            guard let byte = current else { throw fail("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let text = String(validating: buffer, as: UTF8.self) else {
                    throw fail("string is not valid UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                index += 1
                try parseEscape(into: &buffer)
            case 0 ..< 0x20:
                throw fail("control character in string")
            default:
                buffer.append(byte)
                index += 1
            }
        }
    }

    mutating func parseEscape(into buffer: inout [UInt8]) throws(ParseError) {
        do { try JSONEscape.decode(bytes, at: &index, into: &buffer, loneSurrogates: .reject) } catch { throw fail(error.description) }
    }

    mutating func parseNumber() throws(ParseError) -> CheckpointJSON {
        let start = index
        let negative = current == UInt8(ascii: "-")
        if negative { index += 1 }
        guard let first = current, (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(first) else {
            throw fail("invalid number")
        }
        var magnitude: UInt64 = 0
        var overflow = false
        if first == UInt8(ascii: "0") {
            index += 1
        } else {
            while let byte = current, (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(byte) {
                let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
                overflow = overflow || o1 || o2
                magnitude = sum
                index += 1
            }
        }
        var isInteger = true
        if current == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            try consumeDigits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            try consumeDigits()
        }
        if isInteger && !overflow {
            if !negative { return .unsigned(magnitude) }
            if magnitude == 0 { return .unsigned(0) }
            if magnitude <= UInt64(Int64.max) + 1 { return .signed(Int64(truncatingIfNeeded: 0 &- magnitude)) }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start ..< index]), as: UTF8.self)
        guard let value = Double(text) else { throw fail("invalid number") }
        return .number(value)
    }

    mutating func consumeDigits() throws(ParseError) {
        let start = index
        while let byte = current, (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(byte) { index += 1 }
        guard index > start else { throw fail("expected digits") }
    }
}
