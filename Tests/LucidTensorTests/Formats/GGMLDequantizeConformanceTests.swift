import Foundation
import Testing
@testable import LucidTensor

/// Every block type Lucid decodes against the `gguf` package's numpy port of ggml's `dequantize_row_*`, bit
/// for bit, on seeded random blocks (scripts/make_ggml_dequant_fixtures.py): the 5-bit legacy types, the 2- and
/// 3-bit K-quants and the IQ4 table types, beside the types also checked by construction in
/// `GGMLDequantizeTests` and `GGMLKQuantTests`.
@Suite("ggml dequantisation against gguf-py")
struct GGMLDequantizeConformanceTests {
    struct Golden: Decodable {
        struct Case: Decodable {
            let type: String
            let count: Int
            let bytes: String
            let values: [String]
        }
        let cases: [Case]
    }

    static func hexBytes(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }

    @Test func everyTypeDecodesAsGGUFPyBitForBit() throws {
        guard let url = Bundle.module.url(forResource: "Fixtures/ggml_dequant_golden", withExtension: "json") else {
            Issue.record("the golden file is missing from the test bundle")
            return
        }
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
        #expect(Set(golden.cases.map(\.type)) == ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS",
                                                   "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M", "TQ1_0", "TQ2_0", "MXFP4"])
        for item in golden.cases {
            let type = try #require(GGMLType.allCases.first { $0.name == item.type })
            #expect(type.canDequantize)
            let bytes = Self.hexBytes(item.bytes)
            #expect(bytes.count == (try type.byteCount(elements: item.count)))
            let values = try bytes.withUnsafeBytes { try dequantize(type, $0, count: item.count) }
            let expected = item.values.map { Float(bitPattern: UInt32($0, radix: 16) ?? 0) }
            let mismatches = zip(values, expected).enumerated().filter { $0.element.0.bitPattern != $0.element.1.bitPattern }
            #expect(mismatches.isEmpty, "\(item.type): \(mismatches.count) of \(item.count) differ, first at \(mismatches.first.map { "\($0.offset): \($0.element.0) vs \($0.element.1)" } ?? "")")
        }
    }
}
