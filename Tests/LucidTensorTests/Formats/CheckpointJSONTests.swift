import Testing
@testable import LucidTensor

@Suite struct CheckpointJSONTests {
    func parse(_ text: String) throws -> CheckpointJSON {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBytes { try CheckpointJSON.parse($0) }
    }

    @Test func parsesValuesInOrderKeepingDuplicates() throws {
        let value = try parse(#" {"b": [1, -2, 3.5, 18446744073709551615, true, false, null], "a": "x", "b": {}} "#)
        guard case .object(let members) = value else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["b", "a", "b"])
        #expect(members[0].value == .array([.unsigned(1), .signed(-2), .number(3.5), .unsigned(.max),
                                             .bool(true), .bool(false), .null]))
    }

    @Test func decodesEscapes() throws {
        #expect(try parse(#""a\"b\\c\/\n\t\u00e9\ud83d\ude00""#) == .string("a\"b\\c/\n\té😀"))
        let text = "quote \" backslash \\ newline \n control \u{01} unicode ✓"
        #expect(try parse(CheckpointJSON.quoted(text)) == .string(text))
    }

    @Test func rejectsInvalidDocuments() {
        for bad in ["", "{", "{\"a\" 1}", "[1,]", "{\"a\":1,}", "01", "-", "1.", "1e", "tru", "\"abc",
                    "\"\\x\"", "\"\\ud800\"", "{} {}", "\"\u{01}\"", "nul"] {
            #expect(throws: CheckpointJSON.ParseError.self, "\(bad)") { try parse(bad) }
        }
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: CheckpointJSON.ParseError.self) { try parse(deep) }
    }

    @Test func bigIntegersFallBackToDouble() throws {
        #expect(try parse("18446744073709551616") == .number(18446744073709551616))
        #expect(try parse("-9223372036854775808") == .signed(.min))
        #expect(try parse("-0") == .unsigned(0))
    }
}
