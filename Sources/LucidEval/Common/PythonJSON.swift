import Foundation

/// JSON text formatted byte-for-byte as Python's `json.dumps(obj)` with default arguments.
///
/// Separators `", "` and `": "`, keys in the given order, `ensure_ascii=True` (every character
/// outside U+0020…U+007E written as a lower-case `\uXXXX` escape, surrogate pairs above U+FFFF).
/// Used for the JSON Lines files that must equal the reference implementations' output.
enum PythonJSON {
    /// A value to encode; objects keep their key order.
    indirect enum Value {
        case null
        case bool(Bool)
        case int(Int)
        case double(Double)
        case string(String)
        case array([Value])
        case object([(String, Value)])
    }

    static func encode(_ value: Value) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    static func strings(_ items: [String]) -> Value { .array(items.map { .string($0) }) }

    private static func write(_ value: Value, into out: inout String) {
        switch value {
        case .null: out += "null"
        case let .bool(flag): out += flag ? "true" : "false"
        case let .int(number): out += String(number)
        case let .double(number): out += repr(number)
        case let .string(text): writeString(text, into: &out)
        case let .array(items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                write(item, into: &out)
            }
            out += "]"
        case let .object(members):
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += ", " }
                writeString(member.0, into: &out)
                out += ": "
                write(member.1, into: &out)
            }
            out += "}"
        }
    }

    /// Python's `float.__repr__` for finite values (shortest round-trip digits); `NaN`/`Infinity`
    /// as Python's encoder writes them.
    static func repr(_ number: Double) -> String {
        if number.isNaN { return "NaN" }
        if number.isInfinite { return number > 0 ? "Infinity" : "-Infinity" }
        return number.description
    }

    private static func writeString(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value >= 0x20 && scalar.value <= 0x7E {
                    out.unicodeScalars.append(scalar)
                } else if scalar.value > 0xFFFF {
                    let v = scalar.value - 0x10000
                    out += escape(0xD800 + (v >> 10)) + escape(0xDC00 + (v & 0x3FF))
                } else {
                    out += escape(scalar.value)
                }
            }
        }
        out += "\""
    }

    private static func escape(_ unit: UInt32) -> String {
        let hex = String(unit, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
