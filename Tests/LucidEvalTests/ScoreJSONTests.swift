import Foundation
import Testing
import LucidEval

/// The JSON `lucid eval chair --json` and `lucid eval pope score --json` print: every key, undefined ratios as
/// null (sorted keys, as `printJSON` writes them).
@Suite("score JSON")
struct ScoreJSONTests {
    static func text<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test func chairSummaryWritesUndefinedRatiosAsNull() throws {
        let undefined = CHAIRSummary(chairS: 0.5, chairI: nil, recall: nil, len: 1.5, captions: 2)
        #expect(try Self.text(undefined) == #"{"captions":2,"chair_i":null,"chair_s":0.5,"len":1.5,"recall":null}"#)
        let defined = CHAIRSummary(chairS: 0.5, chairI: 0.25, recall: 0.75, len: 1.5, captions: 2)
        #expect(try Self.text(defined) == #"{"captions":2,"chair_i":0.25,"chair_s":0.5,"len":1.5,"recall":0.75}"#)
    }

    @Test func chairSummaryReadsMissingOrNullRatiosAsUndefined() throws {
        let expected = CHAIRSummary(chairS: 0.5, chairI: nil, recall: nil, len: 1.5, captions: 2)
        #expect(try JSONDecoder().decode(CHAIRSummary.self, from: Data(#"{"chair_s":0.5,"len":1.5,"captions":2}"#.utf8)) == expected)
        #expect(try JSONDecoder().decode(CHAIRSummary.self, from: Data(try Self.text(expected).utf8)) == expected)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(CHAIRSummary.self, from: Data(#"{"chair_i":0.5,"len":1.5,"captions":2}"#.utf8)) }
    }

    @Test func popeResultWritesUndefinedRatiosAsNull() throws {
        let undefined = POPEResult(parser: .pope, truePositives: 0, falsePositives: 0, trueNegatives: 1, falseNegatives: 0)
        #expect(try Self.text(undefined) == #"{"accuracy":1,"f1":null,"fn":0,"fp":0,"parser":"pope","precision":null,"#
                + #""questions":1,"recall":null,"tn":1,"tp":0,"unknown_labels":0,"yes_ratio":0}"#)
        let defined = POPEResult(parser: .vcd, truePositives: 1, falsePositives: 1, trueNegatives: 1, falseNegatives: 1, unknownLabels: 4)
        #expect(try Self.text(defined) == #"{"accuracy":0.25,"f1":0.5,"fn":1,"fp":1,"parser":"vcd","precision":0.5,"#
                + #""questions":8,"recall":0.5,"tn":1,"tp":1,"unknown_labels":4,"yes_ratio":0.25}"#)
    }

    @Test func popeResultReadsMissingRatiosAsUndefined() throws {
        let json = #"{"parser":"pope","questions":1,"tp":0,"fp":0,"tn":1,"fn":0,"unknown_labels":0,"accuracy":1,"yes_ratio":0}"#
        let expected = POPEResult(parser: .pope, truePositives: 0, falsePositives: 0, trueNegatives: 1, falseNegatives: 0)
        #expect(try JSONDecoder().decode(POPEResult.self, from: Data(json.utf8)) == expected)
    }
}
