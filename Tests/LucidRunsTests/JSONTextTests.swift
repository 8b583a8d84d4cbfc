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

    @Test func sha256MatchesTheFIPSVectors() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func sha256OfChunkedInputEqualsOneShot() throws {
        let text = String(repeating: "lucid runs ", count: 1000)
        var hasher = SHA256()
        for chunk in Array(text.utf8).chunked(into: 37) { hasher.update(chunk) }
        #expect(hasher.finalizeHex() == SHA256.hex(text))
        let directory = try TemporaryDirectory()
        #expect(try SHA256.hex(fileAt: directory.write("f.txt", text)) == SHA256.hex(text))
    }
}

extension Array {
    func chunked(into size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
