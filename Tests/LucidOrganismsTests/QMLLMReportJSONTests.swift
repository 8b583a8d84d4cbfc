import Foundation
import Testing
@testable import LucidOrganisms

/// `defend qmllm eval --json` and the `report` of `qmllm-record.json`: every key, unmeasured numbers as null;
/// an attack row writes its ASR and null for the unbounded budget, and old rows without the later counters read.
@Suite("Q-MLLM report JSON")
struct QMLLMReportJSONTests {
    static func text<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static let gateOnly = QMLLMReport(dsr: 0.5, falseRefusal: 0.25, asrUndefended: 1, asrNaive: nil, asrBPDA: nil, latencyOverhead: 0.125,
                                      harmfulImages: 4, benignImages: 8, utilityUndefended: nil, utilityQuantised: nil, attacks: nil)

    @Test func unmeasuredNumbersAreWrittenAsNull() throws {
        #expect(try Self.text(Self.gateOnly) == #"{"asr_bpda":null,"asr_naive":null,"asr_undefended":1,"attacks":null,"#
                + #""benign_images":8,"dsr":0.5,"false_refusal":0.25,"harmful_images":4,"latency_overhead":0.125,"#
                + #""utility_quantised":null,"utility_undefended":null}"#)
    }

    @Test func attackRowsWriteTheirASRAndNullForTheUnboundedBudget() throws {
        var report = Self.gateOnly
        report.attacks = [QMLLMAttackEvaluation.Row(setting: "bpda", epsilon: nil, images: 4, successes: 1, passedGate: 2, secondsPerStep: 0.5),
                          QMLLMAttackEvaluation.Row(setting: "naive", epsilon: 0.25, images: 4, successes: 0, secondsPerStep: 0.125)]
        report.asrNaive = 0
        report.asrBPDA = 0.25
        #expect(try Self.text(report) == #"{"asr_bpda":0.25,"asr_naive":0,"asr_undefended":1,"attacks":["#
                + #"{"asr":0.25,"epsilon":null,"images":4,"passed_gate":2,"seconds_per_step":0.5,"setting":"bpda","successes":1,"targeted_successes":0},"#
                + #"{"asr":0,"epsilon":0.25,"images":4,"passed_gate":0,"seconds_per_step":0.125,"setting":"naive","successes":0,"targeted_successes":0}],"#
                + #""benign_images":8,"dsr":0.5,"false_refusal":0.25,"harmful_images":4,"latency_overhead":0.125,"#
                + #""utility_quantised":null,"utility_undefended":null}"#)
    }

    @Test func dsrPerHazardCategoryIsWrittenAndPrinted() throws {
        var report = Self.gateOnly
        report.dsrByCategory = ["skull": 1, "bomb": 0.5]
        #expect(try Self.text(report).contains(#""dsr_by_category":{"bomb":0.5,"skull":1}"#))
        #expect(report.lines.contains("DSR by hazard: bomb 50.0%, skull 100.0%"))
        #expect(!Self.gateOnly.lines.contains { $0.hasPrefix("DSR by hazard") })
    }

    @Test func theHarmfulTextRowIsWrittenAndPrinted() throws {
        var report = Self.gateOnly
        report.harmfulText = QMLLMHarmfulTextRow(prompts: 8, gateRefused: 1, asrDefended: 0.75, asrUndefended: 0.875)
        #expect(try Self.text(report).contains(#""harmful_text":{"asr_defended":0.75,"asr_undefended":0.875,"gate_refused":1,"prompts":8}"#))
        #expect(report.lines.contains("benign image + harmful text (8 held-out AdvBench requests): answered without refusing 75.0% defended (gate refused 1), 87.5% undefended"))
        #expect(try JSONDecoder().decode(QMLLMReport.self, from: Data(try Self.text(report).utf8)).harmfulText == report.harmfulText)
    }

    @Test func reportsAndRowsReadBackWithMissingOptionalKeys() throws {
        let json = #"{"dsr":0.5,"false_refusal":0.25,"asr_undefended":1,"latency_overhead":0.125,"harmful_images":4,"benign_images":8,"#
            + #""attacks":[{"setting":"naive","images":4,"successes":3,"seconds_per_step":0.5}]}"#
        let report = try JSONDecoder().decode(QMLLMReport.self, from: Data(json.utf8))
        #expect(report.asrNaive == nil && report.asrBPDA == nil && report.utilityUndefended == nil && report.utilityQuantised == nil)
        #expect(report.dsrByCategory == nil && report.harmfulText == nil)
        let row = try #require(report.attacks?.first)
        #expect(row.epsilon == nil && row.targetedSuccesses == 0 && row.passedGate == 0 && row.asr == 0.75)
        let again = try JSONDecoder().decode(QMLLMReport.self, from: Data(try Self.text(Self.gateOnly).utf8))
        #expect(try Self.text(again) == (try Self.text(Self.gateOnly)))
    }
}
