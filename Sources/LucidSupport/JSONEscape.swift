/// Decoding of the escapes inside JSON strings (`\n`, `\/`, `\uXXXX`, surrogate pairs), the one copy Lucid's
/// JSON readers share (`OrderedJSON` in LucidEval, `CheckpointJSON` in LucidTensor). They differ only in what
/// an unpaired surrogate becomes: see ``LoneSurrogates``.
public enum JSONEscape {
    /// What a `\uD800`…`\uDFFF` escape without its partner becomes.
    public enum LoneSurrogates: Sendable {
        /// U+FFFD: Python's `json` reads it into a `str` that a Swift `String` cannot hold.
        case replace
        /// An error, as strict readers (serde_json, which writes safetensors headers) treat it.
        case reject
    }

    /// Why an escape did not decode; `description` is the reader's message.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case unterminated, unknown, truncatedUnicode, invalidHexDigit, unpairedSurrogate, invalidScalar

        public var description: String {
            switch self {
            case .unterminated: return "unterminated escape"
            case .unknown: return "invalid escape"
            case .truncatedUnicode: return "truncated \\u escape"
            case .invalidHexDigit: return "invalid hex digit in \\u escape"
            case .unpairedSurrogate: return "unpaired surrogate"
            case .invalidScalar: return "invalid \\u escape"
            }
        }
    }

    /// Decodes the escape that starts at `bytes[index]` (just after its backslash): appends its UTF-8 to
    /// `buffer` and moves `index` past it.
    public static func decode<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, at index: inout Int, into buffer: inout [UInt8],
                                                                   loneSurrogates: LoneSurrogates) throws(Failure) where Bytes.Index == Int {
        guard index < bytes.endIndex else { throw .unterminated }
        let escape = bytes[index]
        index += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(escape)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            var code = try hex4(bytes, at: &index)
            let followedByEscapedU = bytes.endIndex - index >= 2 && bytes[index] == UInt8(ascii: "\\") && bytes[index + 1] == UInt8(ascii: "u")
            switch loneSurrogates {
            case .replace:
                // A high surrogate pairs with a following low one; anything else stays for the next escape.
                if (0xD800 ..< 0xDC00).contains(code), followedByEscapedU, bytes.endIndex - index >= 6 {
                    let save = index
                    index += 2
                    let low = try hex4(bytes, at: &index)
                    if (0xDC00 ..< 0xE000).contains(low) { code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00) } else { index = save }
                }
                buffer.append(contentsOf: String(Unicode.Scalar(code) ?? "\u{FFFD}").utf8)
            case .reject:
                if (0xD800 ..< 0xDC00).contains(code) {
                    guard followedByEscapedU else { throw .unpairedSurrogate }
                    index += 2
                    let low = try hex4(bytes, at: &index)
                    guard (0xDC00 ..< 0xE000).contains(low) else { throw .unpairedSurrogate }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00 ..< 0xE000).contains(code) {
                    throw .unpairedSurrogate
                }
                guard let scalar = Unicode.Scalar(code) else { throw .invalidScalar }
                buffer.append(contentsOf: String(scalar).utf8)
            }
        default:
            throw .unknown
        }
    }

    /// The four hex digits at `bytes[index]`, `index` moved past them.
    static func hex4<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, at index: inout Int) throws(Failure) -> UInt32 where Bytes.Index == Int {
        guard bytes.endIndex - index >= 4 else { throw .truncatedUnicode }
        var value: UInt32 = 0
        for _ in 0 ..< 4 {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): value = value << 4 | UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a") ... UInt8(ascii: "f"): value = value << 4 | UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A") ... UInt8(ascii: "F"): value = value << 4 | UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw .invalidHexDigit
            }
            index += 1
        }
        return value
    }
}
