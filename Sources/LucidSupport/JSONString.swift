/// JSON string literals: the one escaper every JSON writer in Lucid uses.
///
/// Two styles, each byte-for-byte what a reference writes:
/// - ``Escaping/minimal``: `"` and `\` escaped, `\n \r \t \b \f` by name, other control characters
///   (< U+0020) as lower-case `\u00xx`, everything else as it is (UTF-8) — the canonical run-manifest text.
/// - ``Escaping/ascii``: Python's `json.dumps` default (`ensure_ascii=True`): the same named escapes, printable
///   ASCII (U+0020…U+007E) as it is, every other scalar as lower-case `\uXXXX` (surrogate pairs above U+FFFF).
public enum JSONString {
    /// Which characters are escaped (see ``JSONString``).
    public enum Escaping: Sendable {
        /// Only what JSON requires: quote, backslash and control characters.
        case minimal
        /// Python's `ensure_ascii=True`: everything outside printable ASCII.
        case ascii
    }

    /// Appends `text` as a JSON string literal, quotes included.
    public static func append(_ text: String, to out: inout String, escaping: Escaping = .minimal) {
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
                let value = scalar.value
                if value < 0x20 || (escaping == .ascii && value > 0x7E) {
                    if value > 0xFFFF {
                        let offset = value - 0x10000
                        appendEscape(0xD800 + (offset >> 10), to: &out)
                        appendEscape(0xDC00 + (offset & 0x3FF), to: &out)
                    } else {
                        appendEscape(value, to: &out)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// `text` as a JSON string literal, quotes included.
    public static func quoted(_ text: String, escaping: Escaping = .minimal) -> String {
        var out = ""
        append(text, to: &out, escaping: escaping)
        return out
    }

    /// `\uXXXX` for one UTF-16 code unit, lower-case hex.
    private static func appendEscape(_ unit: UInt32, to out: inout String) {
        let hex = String(unit, radix: 16)
        out += "\\u" + String(repeating: "0", count: Swift.max(0, 4 - hex.count)) + hex
    }
}
