/// UTF-8 validation with the "maximal subpart" replacement policy.
///
/// This is the policy of Rust's `String::from_utf8_lossy` (what Hugging Face decoders
/// use) and of the Unicode standard's recommendation: each maximal prefix of a
/// would-be sequence that cannot be completed becomes one U+FFFD. The same scanner
/// drives both full decoding and the streaming decoder, so the two agree byte for byte.
enum UTF8Repair {
    /// What starts at a given offset of a byte buffer.
    enum Step: Equatable {
        /// A complete, valid scalar of this many bytes.
        case valid(Int)
        /// This many bytes can never become valid; they decode to one U+FFFD.
        case invalid(Int)
        /// A valid but unfinished sequence runs to the end of the buffer.
        case incomplete
    }

    /// Classifies the bytes starting at `start` (which must be < `bytes.count`).
    static func step(_ bytes: [UInt8], at start: Int) -> Step {
        let lead = bytes[start]
        if lead < 0x80 { return .valid(1) }
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return .invalid(1)
        }
        for offset in 1..<length {
            let index = start + offset
            if index >= bytes.count { return .incomplete }
            let byte = bytes[index]
            let (min, max) = offset == 1 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
            if byte < min || byte > max { return .invalid(offset) }
        }
        return .valid(length)
    }

    /// Decodes `bytes`, replacing every maximal invalid subpart with U+FFFD.
    static func lossyString(_ bytes: [UInt8]) -> String {
        var result = ""
        let consumed = append(bytes, from: 0, to: &result)
        if consumed < bytes.count { result.unicodeScalars.append("\u{FFFD}") }
        return result
    }

    /// Appends every decodable scalar of `bytes[from...]` to `output` and returns where
    /// it stopped: the start of a trailing incomplete sequence, or `bytes.count`.
    @discardableResult
    static func append(_ bytes: [UInt8], from: Int, to output: inout String) -> Int {
        var index = from
        var runStart = from
        while index < bytes.count {
            switch step(bytes, at: index) {
            case let .valid(length):
                index += length
            case let .invalid(length):
                flush(bytes, runStart..<index, into: &output)
                output.unicodeScalars.append("\u{FFFD}")
                index += length
                runStart = index
            case .incomplete:
                flush(bytes, runStart..<index, into: &output)
                return index
            }
        }
        flush(bytes, runStart..<index, into: &output)
        return index
    }

    /// Whether the whole buffer is valid UTF-8 (no replacement needed, nothing pending).
    static func isValid(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index < bytes.count {
            guard case let .valid(length) = step(bytes, at: index) else { return false }
            index += length
        }
        return true
    }

    private static func flush(_ bytes: [UInt8], _ range: Range<Int>, into output: inout String) {
        if !range.isEmpty { output += String(decoding: bytes[range], as: UTF8.self) }
    }
}
