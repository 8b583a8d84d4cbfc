import LucidFiles
import Testing

/// Outside numbers are decimal only (issue 20): Swift's `Double(String)` would read `0x1p3` as 8.
@Suite("decimal numbers")
struct DecimalNumberTests {
    @Test func decimalNotationIsRead() {
        #expect(DecimalNumber.parse("12") == 12)
        #expect(DecimalNumber.parse("-0.5") == -0.5)
        #expect(DecimalNumber.parse(".5") == 0.5)
        #expect(DecimalNumber.parse("+3") == 3)
        #expect(DecimalNumber.parse("1e-3") == 0.001)
        #expect(DecimalNumber.parse("2.5E+4") == 25_000)
        #expect(DecimalNumber.parse("7.") == 7)
    }

    @Test func hexadecimalWordsSpacesAndOverflowAreRefused() {
        for text in ["0x1p3", "0x10", "-0X1.8P1", "nan", "inf", "-infinity", " 1", "1 ", "", ".", "e5", "1e", "1e+", "1.2.3", "١", "1e309", "--1"] {
            #expect(DecimalNumber.parse(text) == nil, "\(text)")
        }
    }

    @Test func hexadecimalNumbersAreToldApart() {
        #expect(DecimalNumber.isHexadecimal("0x1p3"))
        #expect(DecimalNumber.isHexadecimal("-0x10"))
        #expect(!DecimalNumber.isHexadecimal("0xzz"))
        #expect(!DecimalNumber.isHexadecimal("10"))
        #expect(DecimalNumber.problem("0x1p3").contains("hexadecimal"))
        #expect(DecimalNumber.problem("abc") == "'abc' is not a decimal number")
    }
}
