import Testing
import LucidSupport

@Suite("JSON string escapes")
struct JSONEscapeTests {
    /// Decodes every escape of `text` (the inside of a JSON string, escapes only) with `policy`.
    static func decode(_ text: String, _ policy: JSONEscape.LoneSurrogates) throws(JSONEscape.Failure) -> String {
        let bytes = Array(text.utf8)
        var buffer: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "\\") else { buffer.append(bytes[index]); index += 1; continue }
            index += 1
            try JSONEscape.decode(bytes, at: &index, into: &buffer, loneSurrogates: policy)
        }
        return String(decoding: buffer, as: UTF8.self)
    }

    @Test func shortEscapesAndUnicodeEscapesDecodeAlikeUnderBothPolicies() throws {
        for policy in [JSONEscape.LoneSurrogates.replace, .reject] {
            #expect(try Self.decode(#"a\"b\\c\/d\b\f\n\r\t"#, policy) == "a\"b\\c/d\u{08}\u{0C}\n\r\t")
            #expect(try Self.decode(#"\u00e9\u00E9 \ud83d\ude00"#, policy) == "éé 😀")
        }
    }

    @Test func loneSurrogatesBecomeReplacementCharactersOrErrors() throws {
        #expect(try Self.decode(#"\ud83dx"#, .replace) == "\u{FFFD}x")
        #expect(try Self.decode(#"\ude00"#, .replace) == "\u{FFFD}")
        // A high surrogate followed by an escape that is not a low one leaves that escape to decode on its own.
        #expect(try Self.decode(#"\ud83d\u00e9"#, .replace) == "\u{FFFD}é")
        #expect(throws: JSONEscape.Failure.unpairedSurrogate) { try Self.decode(#"\ud83dx"#, .reject) }
        #expect(throws: JSONEscape.Failure.unpairedSurrogate) { try Self.decode(#"\ude00"#, .reject) }
        #expect(throws: JSONEscape.Failure.unpairedSurrogate) { try Self.decode(#"\ud83d\u00e9"#, .reject) }
    }

    @Test func malformedEscapesAreNamedErrors() {
        for policy in [JSONEscape.LoneSurrogates.replace, .reject] {
            #expect(throws: JSONEscape.Failure.unterminated) { try Self.decode("a\\", policy) }
            #expect(throws: JSONEscape.Failure.unknown) { try Self.decode(#"\x"#, policy) }
            #expect(throws: JSONEscape.Failure.truncatedUnicode) { try Self.decode(#"\u12"#, policy) }
            #expect(throws: JSONEscape.Failure.invalidHexDigit) { try Self.decode(#"\u12g4"#, policy) }
        }
        #expect(JSONEscape.Failure.invalidHexDigit.description == "invalid hex digit in \\u escape")
    }
}
