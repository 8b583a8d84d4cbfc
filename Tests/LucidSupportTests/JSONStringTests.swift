import Testing
import LucidSupport

@Suite("JSON strings and Python-style JSON")
struct JSONStringTests {
    @Test func minimalEscapingKeepsNonASCIIAndEscapesControls() {
        #expect(JSONString.quoted("a\"b\\c\n\r\t\u{08}\u{0C}\u{01}\u{1F}é😀\u{7F}") == "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001fé😀\u{7F}\"")
    }

    @Test func asciiEscapingMatchesPythonEnsureASCII() {
        // json.dumps("é\"\\\n\x7f😀\x08") in Python 3.
        #expect(JSONString.quoted("é\"\\\n\u{7F}😀\u{08}", escaping: .ascii) == #""\u00e9\"\\\n\u007f\ud83d\ude00\b""#)
    }

    @Test func pythonJSONMatchesJsonDumpsDefaults() {
        let value = PythonJSON.object([("k", .string("é\"\\\n\u{7F}😀")), ("n", .array([.int(-1), .double(0.5), .null, .bool(true)])),
                                       ("f", .array([.double(224), .double(1e-5), .double(.nan), .double(-.infinity)]))])
        #expect(value.text == #"{"k": "\u00e9\"\\\n\u007f\ud83d\ude00", "n": [-1, 0.5, null, true], "f": [224.0, 1e-05, NaN, -Infinity]}"#)
        #expect(value == value && value != PythonJSON.object([]))
    }
}
