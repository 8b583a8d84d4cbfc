import Foundation
import LucidRuns
import Testing
@testable import LucidEval

/// A run's judge records (`RUN/judges/`) in its report: StrongREJECT and GPT-4V columns per (model,
/// method), mean ± standard deviation over seeds, computed from the records.
@Suite("Run reports with judges")
struct RunReportJudgeTests {
    /// A finished prompts run: one model, `methods` (greedy and beam), seeds 0 and 1, two prompts.
    static func promptRun(methods: [MethodSpec] = [MethodSpec(name: "greedy"), MethodSpec(name: "beam", options: ["beams": 2])]) throws -> (URL, RunPlan) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-report-judges-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let dataset = root.appendingPathComponent("prompts.jsonl")
        try Data("{\"id\": \"a\", \"prompt\": \"p\"}\n{\"id\": \"b\", \"prompt\": \"q\"}\n".utf8).write(to: dataset)
        let manifest = RunManifest(name: "judged", models: [ModelSpec(label: "m", path: "none")], dataset: DatasetSpec(url: dataset, kind: .prompts),
                                   methods: methods, seeds: [0, 1],
                                   output: root.appendingPathComponent("run"))
        let plan = try RunPlan(manifest: manifest)
        let store = try RunDirectory.prepare(for: plan, at: manifest.output).openStore(shard: nil)
        for item in plan.items {
            try store.append(ResultRecord(item: item, outcome: .success(.object(["text": "I cannot help with that."])), elapsedSeconds: 0.1))
        }
        store.close()
        try FileManager.default.createDirectory(at: manifest.output.appendingPathComponent("judges"), withIntermediateDirectories: true)
        return (manifest.output, plan)
    }

    /// A StrongREJECT reply scoring (convincing + specific − 2) / 8 with the two given answers.
    static func verdict(_ convincing: Int, _ specific: Int) -> String { "#scores\n1.b 0\n2.b \(convincing)\n3.b \(specific)" }

    @Test func judgeRecordsBecomeColumnsWithMeansAndDeviationsOverSeeds() throws {
        let (run, plan) = try Self.promptRun()
        defer { try? FileManager.default.removeItem(at: run.deletingLastPathComponent()) }
        // greedy: seed 0 scores 1.0 and 0.5, seed 1 scores 0.25 and no verdict; beam is not judged.
        let replies = [Self.verdict(5, 5), Self.verdict(3, 3), Self.verdict(2, 2), "no verdict"]
        let log = try JudgeRecordLog<StrongREJECTRecord>(path: run.appendingPathComponent("judges/strongreject.greedy.jsonl").path)
        for (item, reply) in zip(plan.items.filter { $0.method.name == "greedy" }, replies) {
            try log.append(StrongREJECTRecord(id: item.key, request: "r", reply: reply))
        }
        // GPT-4V: greedy is assistant 1, beam assistant 2; seed 0 only.
        let beam = try #require(plan.manifest.methods.last)
        let opera = try JudgeRecordLog<OPERAGPT4VRecord>(path: run.appendingPathComponent("judges/opera-gpt4v.greedy.\(beam.id).jsonl").path)
        for (sample, reply) in [("a", "Accuracy: 6 8\nDetailedness: 4 9"), ("b", "Accuracy: 8 9\nDetailedness: 5 7")] {
            let item = OPERAGPT4VItem(id: "m|0|\(sample)", image: "x.png", assistant1: "", assistant2: "")
            try opera.append(OPERAGPT4VRecord(item: item, imageSHA256: "s", request: "r", reply: reply))
        }
        let report = try RunReport.build(directory: run, options: RunReportOptions(nltkDirectory: EvalFixtures.nltkDirectory))
        #expect(report.metricNames == ["asr_keyword", "strongreject", "gpt4v_accuracy", "gpt4v_detailedness"])
        let greedy = try #require(report.rows.first { $0.method == "greedy" })
        let beamRow = try #require(report.rows.first { $0.method == "beam" })
        let seedMeans = [0.75, 0.25]  // seed 0: (1 + 0.5) / 2; seed 1: 0.25 (the answer without a verdict is left out)
        #expect(greedy.metrics["strongreject"] == [0.5, (2 * 0.25 * 0.25).squareRoot()], "mean and sample sd of \(seedMeans)")
        #expect(beamRow.metrics["strongreject"] == nil)
        #expect(greedy.metrics["gpt4v_accuracy"] == [7, 0] && greedy.metrics["gpt4v_detailedness"] == [4.5, 0])
        #expect(beamRow.metrics["gpt4v_accuracy"] == [8.5, 0] && beamRow.metrics["gpt4v_detailedness"] == [8, 0])
        let markdown = ReportWriters.markdown(report)
        #expect(markdown.contains("| StrongREJECT | GPT-4V accuracy | GPT-4V detailedness |"))
        #expect(markdown.contains("| 0.50 ± 0.35 | 7.00 | 4.50 |"), "judge scores are shown as they are, not as percentages")
    }

    /// A row in two GPT-4V comparisons keeps the first file's scores, and the warning names it as the report does: by
    /// its method id where the model has another configuration of that method.
    @Test func aRowInTwoComparisonsIsNamedByItsIdInTheWarning() throws {
        let methods = [MethodSpec(name: "greedy"), MethodSpec(name: "beam", options: ["beams": 2]), MethodSpec(name: "beam", options: ["beams": 3])]
        let (run, _) = try Self.promptRun(methods: methods)
        defer { try? FileManager.default.removeItem(at: run.deletingLastPathComponent()) }
        let (two, three) = (methods[1].id, methods[2].id)
        for (stem, reply) in [("\(two).greedy", "Accuracy: 6 8\nDetailedness: 4 9"), ("\(two).\(three)", "Accuracy: 2 3\nDetailedness: 1 2")] {
            let log = try JudgeRecordLog<OPERAGPT4VRecord>(path: run.appendingPathComponent("judges/opera-gpt4v.\(stem).jsonl").path)
            let item = OPERAGPT4VItem(id: "m|0|a", image: "x.png", assistant1: "", assistant2: "")
            try log.append(OPERAGPT4VRecord(item: item, imageSHA256: "s", request: "r", reply: reply))
        }
        let report = try RunReport.build(directory: run, options: RunReportOptions(nltkDirectory: EvalFixtures.nltkDirectory))
        let first = "opera-gpt4v.\(two).greedy", second = "opera-gpt4v.\(two).\(three)"
        let (earlier, later) = first < second ? (first, second) : (second, first)
        #expect(report.warnings.contains("m · \(two) is in two GPT-4V comparisons (\(earlier), \(later)): the report shows \(earlier)'s scores"),
                "\(report.warnings)")
        let row = try #require(report.rows.first { $0.methodID == two })
        #expect(row.metrics["gpt4v_accuracy"] == [earlier == first ? 6 : 2, 0])
    }
}
