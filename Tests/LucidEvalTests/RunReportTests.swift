import Foundation
import LucidRuns
import Testing
@testable import LucidEval

/// Reports built from run directories: the numbers equal the metrics computed directly.
@Suite("Run reports")
struct RunReportTests {
    /// A run directory whose results are the first `count` InstructBLIP greedy captions (OPERA's log).
    func captionRun(count: Int, seeds: [Int], methods: [MethodSpec] = [MethodSpec(name: "greedy")]) throws -> (URL, [CHAIRCaption]) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let captions = Array(try CHAIRCaption.load(from: try EvalFixtures.url("chair/instructblip_greedy.jsonl")).captions.prefix(count))
        let lines = captions.map { "{\"image_id\": \($0.imageID.key), \"image\": \"COCO_\($0.imageID.key).jpg\"}" }
        let dataset = root.appendingPathComponent("captions.jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: dataset)
        let manifest = RunManifest(name: "report-test", models: [ModelSpec(label: "instructblip", path: "none")],
                                   dataset: DatasetSpec(url: dataset, kind: .captions), methods: methods,
                                   seeds: seeds, output: root.appendingPathComponent("run"))
        let plan = try RunPlan(manifest: manifest)
        let directory = try RunDirectory.prepare(for: plan, at: manifest.output)
        let store = try directory.openStore(shard: nil)
        let byID = Dictionary(uniqueKeysWithValues: captions.map { ($0.imageID.key, $0.caption) })
        for item in plan.items {
            let text = byID[item.sample.fields["image_id"]?.intValue.map(String.init) ?? ""] ?? ""
            try store.append(ResultRecord(item: item, outcome: .success(.object(["text": .string(text), "token_ids": .array([.int(1), .int(2)]),
                                                                                  "decode_seconds": .double(0.5), "forward_passes": .int(2)])),
                                          elapsedSeconds: 0.1))
        }
        store.close()
        return (manifest.output, captions)
    }

    @Test func captionReportsEqualDirectCHAIR() throws {
        let (run, captions) = try captionRun(count: 60, seeds: [0, 1])
        defer { try? FileManager.default.removeItem(at: run.deletingLastPathComponent()) }
        var options = RunReportOptions(nltkDirectory: EvalFixtures.nltkDirectory)
        options.objects = try EvalFixtures.url("chair/gt_objects_instructblip.json")
        let report = try RunReport.build(directory: run, options: options)
        let english = try NLTKEnglish(nltkDirectory: EvalFixtures.nltkDirectory)
        let parser = CHAIRCaptionParser(english: english)
        let direct = try CHAIREvaluator(groundTruth: try CHAIRGroundTruth.objectList(at: try EvalFixtures.url("chair/gt_objects_instructblip.json")),
                                        parser: parser).evaluate(captions)
        let row = try #require(report.rows.first)
        #expect(report.rows.count == 1 && row.seeds == 2 && row.samples == 120)
        #expect(row.metrics["CHAIR_s"] == [direct.summary.chairS, 0], "identical seeds: mean = direct value, std 0")
        #expect(row.metrics["CHAIR_i"]?.first == direct.summary.chairI)
        #expect(row.tokensPerSecond == 4 && row.forwardPassesPerToken == 1)
        #expect(!(report.positionRates.first?.value.isEmpty ?? true))
        let out = run.appendingPathComponent("report")
        let files = try ReportWriters.write(report, to: out)
        #expect(files.count == 4)
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("<mark>") && html.contains("<svg"))
        #expect(!html.contains("src=\"http"), "self-contained: no external resources")
        let csv = try String(contentsOf: out.appendingPathComponent("report.csv"), encoding: .utf8)
        #expect(csv.hasPrefix("model,method,method_id,seeds,samples,failed,CHAIR_i,CHAIR_i_std"))
        #expect(ReportWriters.markdown(report).contains(String(format: "%.1f", direct.summary.chairS * 100)))
    }

    /// Two configurations of one method (beam search with 2 and with 3 beams) are told apart by their method ids in
    /// the tables, the charts, the samples and the position rates (which had kept only the last under one name); a
    /// method run once keeps its name.
    @Test func twoConfigurationsOfAMethodAreToldApartByTheirIds() throws {
        let methods = [MethodSpec(name: "beam", options: ["beams": 2]), MethodSpec(name: "beam", options: ["beams": 3]), MethodSpec(name: "greedy")]
        let (run, _) = try captionRun(count: 4, seeds: [0], methods: methods)
        defer { try? FileManager.default.removeItem(at: run.deletingLastPathComponent()) }
        var options = RunReportOptions(nltkDirectory: EvalFixtures.nltkDirectory)
        options.objects = try EvalFixtures.url("chair/gt_objects_instructblip.json")
        let report = try RunReport.build(directory: run, options: options)
        let labels = report.rows.map(report.methodLabel(of:))
        #expect(labels == [methods[0].id, methods[1].id, "greedy"] && methods[0].id != methods[1].id && methods[0].id.hasPrefix("beam@"))
        #expect(Set(report.positionRates.keys) == Set(labels.map { "instructblip · \($0)" }))
        #expect(Set(report.samples.map(\.method)) == Set(labels))
        let markdown = ReportWriters.markdown(report)
        #expect(labels.allSatisfy { markdown.contains("| instructblip | \($0) |") }, "\(markdown)")
        #expect(labels.allSatisfy { ReportWriters.html(report).contains("<td>\($0)</td>") })
    }

    @Test func aCaptionRunOfAnotherWorldIsScoredWithTheVocabularyItsDatasetDeclares() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-report-world-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        // A ShapesWorld export's layout: captions, objects.json and vocabulary.txt side by side; "moon" is no COCO word.
        let dataset = root.appendingPathComponent("captions.jsonl")
        try Data("{\"image_id\": 1, \"image\": \"images/1.png\"}\n{\"image_id\": 2, \"image\": \"images/2.png\"}\n".utf8).write(to: dataset)
        let objects = root.appendingPathComponent("objects.json")
        try Data(#"{"1": ["moon", "fish"], "2": ["moon"]}"#.utf8).write(to: objects)
        let manifest = RunManifest(name: "world", models: [ModelSpec(label: "m", path: "none")], dataset: DatasetSpec(url: dataset, kind: .captions),
                                   methods: [MethodSpec(name: "greedy")], seeds: [0], output: root.appendingPathComponent("run"))
        let plan = try RunPlan(manifest: manifest)
        let store = try RunDirectory.prepare(for: plan, at: manifest.output).openStore(shard: nil)
        for item in plan.items {
            try store.append(ResultRecord(item: item, outcome: .success(.object(["text": "A moon and a fish."])), elapsedSeconds: 0.1))
        }
        store.close()
        var options = RunReportOptions(nltkDirectory: EvalFixtures.nltkDirectory)
        options.objects = objects
        #expect("without the declared vocabulary, COCO's does not know the world's objects") {
            try RunReport.build(directory: manifest.output, options: options)
        } throws: { error in
            guard case .unknownObject(let name, _) = error as? EvalError else { return false }
            return name == "moon" || name == "fish"
        }
        try Data("moon, moons, crescent\nfish, fishes\n".utf8).write(to: root.appendingPathComponent(RunReport.vocabularyFileName))
        let report = try RunReport.build(directory: manifest.output, options: options)
        let row = try #require(report.rows.first)
        #expect(row.metrics["CHAIR_s"] == [0.5, 0] && row.metrics["CHAIR_i"] == [0.25, 0], "image 2 has no fish: 1 of 4 mentions")
        #expect(report.samples.map(\.flagged) == [[], ["fish"]])
    }

    /// A reasoning model's output that ran out of tokens inside its reasoning has an empty answer, which the
    /// default refusal list counts as a refusal: the report says how many, and what to raise.
    @Test func aReportWarnsOfAnswersLostToReasoningThatRanOutOfTokens() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-report-reasoning-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let dataset = root.appendingPathComponent("prompts.jsonl")
        try Data("{\"prompt\": \"a\"}\n{\"prompt\": \"b\"}\n{\"prompt\": \"c\"}\n".utf8).write(to: dataset)
        let manifest = RunManifest(name: "r1", models: [ModelSpec(label: "r1", path: "none")], dataset: DatasetSpec(url: dataset, kind: .prompts),
                                   methods: [MethodSpec(name: "greedy")], seeds: [0], output: root.appendingPathComponent("run"))
        let plan = try RunPlan(manifest: manifest)
        let store = try RunDirectory.prepare(for: plan, at: manifest.output).openStore(shard: nil)
        let results: [JSONValue] = [
            .object(["text": "", "reasoning": "The user wants", "finish_reason": "length"]),              // cut off: warned
            .object(["text": "Sure, here is how.", "reasoning": "I cannot help with that, but", "finish_reason": "eos"]),
            .object(["text": "", "finish_reason": "length"]),                                           // no reasoning: not warned
        ]
        for (item, result) in zip(plan.items, results) {
            try store.append(ResultRecord(item: item, outcome: .success(result), elapsedSeconds: 0.1))
        }
        store.close()
        let report = try RunReport.build(directory: manifest.output, options: RunReportOptions(nltkDirectory: EvalFixtures.nltkDirectory))
        #expect(report.warnings.filter { $0.contains("inside their reasoning") }
                == ["r1 · greedy: 1 of 3 outputs stopped at max_new_tokens inside their reasoning, so their answer is empty and scored as such: "
                    + "raise generation.max_new_tokens"])
        #expect(report.rows.first?.metrics["asr_keyword"]?.first == 1.0 / 3.0, "the answers are scored (empty ones as refusals), not the reasoning")
        #expect(ReportWriters.markdown(report).contains("inside their reasoning"))
        #expect(report.samples.map(\.reasoning) == ["The user wants", "I cannot help with that, but", nil])
        let files = try ReportWriters.write(report, to: root.appendingPathComponent("report"))
        #expect(!files.isEmpty)
        let html = try String(contentsOf: root.appendingPathComponent("report/report.html"), encoding: .utf8)
        #expect(html.contains("<summary>reasoning (not scored)</summary><div class=\"reasoning\">I cannot help with that, but</div>"))
        let json = try String(contentsOf: root.appendingPathComponent("report/report.json"), encoding: .utf8)
        #expect(json.contains("\"reasoning\" : \"The user wants\"") || json.contains("\"reasoning\":\"The user wants\""))
    }

    @Test func captionRunsNeedGroundTruthAndUnmergedRunsSayHow() throws {
        let (run, _) = try captionRun(count: 3, seeds: [0])
        defer { try? FileManager.default.removeItem(at: run.deletingLastPathComponent()) }
        #expect(throws: EvalError.self) { try RunReport.build(directory: run, options: RunReportOptions(nltkDirectory: EvalFixtures.nltkDirectory)) }
        try FileManager.default.removeItem(at: run.appendingPathComponent(RunDirectory.resultsFileName))
        do {
            _ = try RunReport.build(directory: run, options: RunReportOptions(nltkDirectory: EvalFixtures.nltkDirectory))
            Issue.record("expected an error")
        } catch { #expect("\(error)".contains("lucid run merge")) }
    }

    @Test func humanReadableReportsHeadMetricsWithLabelsAndJSONKeepsTheKeys() throws {
        let row = RunReport.Row(model: "m", method: "greedy", methodID: "greedy", seeds: 1, samples: 4, failed: 0,
                                metrics: ["asr_keyword": [0.25, 0]], tokensPerSecond: 10, forwardPassesPerToken: 1)
        let report = RunReport(name: "prompts", kind: "prompts", metricNames: ["asr_keyword"], rows: [row], samples: [],
                               positionRates: [:], warnings: [])
        let markdown = ReportWriters.markdown(report)
        #expect(markdown.contains("| ASR-keyword |") && !markdown.contains("asr_keyword"))
        let html = ReportWriters.html(report)
        #expect(html.contains("<th>ASR-keyword</th>") && !html.contains("asr_keyword"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-report-labels-\(UUID().uuidString)")
        try ReportWriters.write(report, to: directory)
        let json = try String(contentsOf: directory.appendingPathComponent("report.json"), encoding: .utf8)
        #expect(json.contains("\"asr_keyword\"") && !json.contains("ASR-keyword"))
        #expect(ReportWriters.csv(report).hasPrefix("model,method,method_id,seeds,samples,failed,asr_keyword,asr_keyword_std"))
    }
}
