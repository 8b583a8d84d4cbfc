import Foundation
import Testing
@testable import LucidRuns

@Suite("JSON text and hashing")
struct JSONTextTests {
    @Test func integersAndDoublesSurviveARoundTripUnchanged() throws {
        let value: JSONValue = ["i": 1, "d": 1.0, "small": 0.1, "big": 1e20, "neg": -3, "list": [true, nil, "x"]]
        let text = try value.canonicalText()
        #expect(text == #"{"big":1e+20,"d":1.0,"i":1,"list":[true,null,"x"],"neg":-3,"small":0.1}"#)
        #expect(try JSONValue.parse(text) == value)
        #expect(try JSONValue.parse("1") == .int(1))
        #expect(try JSONValue.parse("1.0") == .double(1))
        #expect(try JSONValue.parse("1e3") == .double(1000))
    }

    @Test func canonicalTextSortsKeysByBytesAndEscapesMinimally() throws {
        let value: JSONValue = ["b": "line\nbreak \"quoted\" \u{01} é/", "a": ["z": 1, "Z": 2]]
        #expect(try value.canonicalText() == #"{"a":{"Z":2,"z":1},"b":"line\nbreak \"quoted\" \u0001 é/"}"#)
        #expect(try JSONValue.parse(value.canonicalText()) == value)
        #expect(try JSONValue.parse(#""\ud83d\ude00 \u00e9""#) == "😀 é")
    }

    @Test func parseErrorsNameLineAndColumn() {
        #expect(throws: JSONParseError(line: 2, column: 9, reason: "expected `,` or `}` in an object")) {
            try JSONValue.parse("{\"a\": 1,\n \"b\": 2 \"c\": 3}")
        }
        #expect(throws: JSONParseError(line: 1, column: 10, reason: "duplicate key `a`")) { try JSONValue.parse(#"{"a": 1, "a": 2}"#) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse("[1, 2") }
        #expect(throws: JSONParseError.self) { try JSONValue.parse("01") }
        #expect(throws: JSONParseError.self) { try JSONValue.parse("{} x") }
        #expect(throws: JSONParseError.self) { try JSONValue.parse("\"tab\there\"") }
    }

    @Test func nonFiniteNumbersCannotBeWritten() {
        #expect(throws: JSONWriteError(path: "$.result[1]", value: .infinity)) {
            try JSONValue.object(["result": [1, .double(.infinity)]]).canonicalText()
        }
    }
}
