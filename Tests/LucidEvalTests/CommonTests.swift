import Foundation
import Testing
@testable import LucidEval

@Suite("JSON and Python-string helpers")
struct CommonTests {
    @Test func orderedJSONKeepsKeyOrderDuplicatesAndNumberText() throws {
        let value = try OrderedJSON.parse(#"{"b": 1, "a": [true, null, 0.1, -2e3], "b": "x\u00e9\ud83d\ude00\n"}"#)
        #expect(value.objectValue?.map(\.key) == ["b", "a", "b"])
        #expect(value.value(forKey: "b")?.stringValue == "xé😀\n")
        let items = try #require(value.value(forKey: "a")?.arrayValue)
        #expect(items[2].doubleValue == 0.1 && items[3].doubleValue == -2000 && items[3].intValue == nil)
        #expect(items[1].isNull)
    }

    @Test func orderedJSONRejectsMalformedDocumentsWithAnOffset() {
        for text in ["", "{", #"{"a" 1}"#, "[1,]", "01", "1 2", #""\x""#, "tru", "{\"a\": \"\u{01}\"}"] {
            #expect(throws: OrderedJSON.ParseError.self, "\(text)") { try OrderedJSON.parse(text) }
        }
        #expect(throws: OrderedJSON.ParseError.self) { try OrderedJSON.parse(String(repeating: "[", count: 600)) }
    }

    @Test func jsonLinesSplitsOnEveryNewlineConventionAndCountsBlankLines() throws {
        let (records, blank) = try JSONLines.parse(bytes: Array("{\"a\": 1}\r\n\r\n{\"a\": 2}\r{\"a\": 3}".utf8), path: "mem")
        #expect(records.map(\.line) == [1, 3, 4])
        #expect(records.compactMap { $0.value.value(forKey: "a")?.intValue } == [1, 2, 3])
        #expect(blank == 1)
    }

    @Test func pythonLowerHandlesFinalSigmaAndFullMappings() {
        #expect(PythonString.lower("ΟΔΟΣ ΟΔΟΣ.") == "οδος οδος.")
        #expect(PythonString.lower("Σ") == "σ")
        #expect(PythonString.lower("İ") == "i\u{307}")
        #expect(PythonString.upper("straße") == "STRASSE")
        #expect(PythonString.lower("MIXED Case") == "mixed case")
    }

    @Test func pythonWhitespaceAndCasePredicatesFollowCPython() {
        #expect(PythonString.isSpace("\u{1F}") && PythonString.isSpace("\u{85}") && !PythonString.isSpace("\u{200B}"))
        #expect(PythonString.strip("\u{1C} a b \u{3000}") == "a b")
        #expect(PythonString.splitWhitespace(" a\u{1D}b  c ") == ["a", "b", "c"])
        #expect(PythonString.isUpper("HELLO 123!") && !PythonString.isUpper("123") && !PythonString.isUpper("HELLo"))
        #expect(PythonString.isDigit("²3") && !PythonString.isDigit("") && !PythonString.isDigit("1.5"))
        #expect(PythonString.textLines("a\r\nb\rc\n") == ["a", "b", "c"])
        #expect(PythonString.replace("image a", "a", "an") == "imange an")
    }

    @Test func stringComparisonsUseCodePointsNotCanonicalEquivalence() {
        let decomposed = "cafe\u{301}"
        #expect(!PythonString.contains(decomposed, "café"))
        #expect(PythonString.contains("a café", "café"))
        #expect(PythonString.hasSuffix("abc.", ".") && !PythonString.hasSuffix("a", "ab"))
    }
}
