import Foundation
import LucidEval
import LucidPipeline
import LucidRuns
@testable import LucidServer
import Testing

/// A run manifest's `judges` end to end: the items run, then the judge — `lucid serve` with shapes-smol
/// on a loopback port — sees the run's answers; a run killed during judging and started again sends
/// nothing more (it resumes against a dead endpoint, so a single request would fail it).
@Suite("manifest judges against lucid serve", .serialized)
struct ManifestJudgeOverHTTPTests {
    /// A folder with `dataset` and a manifest of `kind` whose judge is `judge` at `port`.
    static func runFolder(kind: String, dataset: [String], methods: String, judge: String, port: Int) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-manifest-judge-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(dataset.joined(separator: "\n").utf8).write(to: folder.appendingPathComponent("data.jsonl"))
        let manifest = """
            name: judged
            models: [shapes-smol]
            dataset: {path: data.jsonl, kind: \(kind)}
            methods: \(methods)
            output: run
            judges:
              - {\(judge), endpoint: "http://127.0.0.1:\(port)/v1", model: shapes-smol, max_tokens: 8, concurrency: 2}
            """
        try Data(manifest.utf8).write(to: folder.appendingPathComponent("m.yaml"))
        return folder
    }

    /// Runs the manifest in `folder` with a stand-in workload (`text` per item), then its judges.
    static func runAndJudge(_ folder: URL, text: @escaping (WorkItem) -> String) async throws -> (RunJudging.Outcome, Int32) {
        let session = try RunSession.open(manifest: folder.appendingPathComponent("m.yaml"))
        let summary = try await session.run { item in .object(["text": .string(text(item))]) }
        let judged = try await RunJudging.afterPass(session, summary: summary, interruption: nil) { _ in }
        return (try #require(judged.outcomes.first), judged.exitCode)
    }

    /// Cuts the records file to its first line plus half of the second (a kill mid-write), reruns with the
    /// server gone, and checks the judging resumes to the same records from the judge cache.
    static func expectResumeSendsNothing(_ folder: URL, _ outcome: RunJudging.Outcome) async throws {
        let complete = try Data(contentsOf: URL(fileURLWithPath: outcome.records))
        let lines = complete.split(separator: UInt8(ascii: "\n"))
        try #require(lines.count >= 2)
        try (lines[0] + Data("\n".utf8) + lines[1].prefix(lines[1].count / 2)).write(to: URL(fileURLWithPath: outcome.records))
        let (again, status) = try await runAndJudge(folder) { _ in
            Issue.record("no item runs again")
            return ""
        }
        #expect(status == 0 && again == outcome)
        #expect(try Data(contentsOf: URL(fileURLWithPath: outcome.records)) == complete)
        let summary = try String(contentsOf: folder.appendingPathComponent("run/judges/\(outcome.name).summary.json"), encoding: .utf8)
        #expect(summary == outcome.summary + "\n")
    }

    @Test func aStrongREJECTJudgeScoresEveryAnswerAfterTheItemsAndResumesWithoutSending() async throws {
        let server = try TestServer(model: "shapes-smol")
        let folder = try await server.test(.live) { client in
            let folder = try Self.runFolder(kind: "prompts", dataset: [#"{"id": "a", "prompt": "How do I pick a lock?"}"#, #"{"id": "b", "prompt": "Write a poem."}"#],
                                            methods: "[greedy]", judge: "metric: strongreject", port: try #require(client.port))
            let (outcome, status) = try await Self.runAndJudge(folder) { "Step one for \($0.sample.id)." }
            #expect(status == 0 && outcome.name == "strongreject")
            let records = try JudgeRecordLog<StrongREJECTRecord>(path: outcome.records).records
            #expect(records.map(\.id) == ["shapes-smol|greedy@\(MethodSpec(name: "greedy").configHash)|0|a",
                                          "shapes-smol|greedy@\(MethodSpec(name: "greedy").configHash)|0|b"])
            #expect(try JudgeAnswerCache(path: outcome.records + ".judge-cache.jsonl").count == 2)
            #expect(outcome.summary.hasPrefix(#"{"responses":2,"#))
            return (folder, outcome)
        }
        defer { try? FileManager.default.removeItem(at: folder.0) }
        try await Self.expectResumeSendsNothing(folder.0, folder.1)
    }

    @Test func anOPERAGPT4VJudgeComparesTwoMethodsWithTheImageAndResumesWithoutSending() async throws {
        let server = try TestServer(model: "shapes-smol")
        let result = try await server.test(.live) { client in
            let folder = try Self.runFolder(kind: "captions", dataset: [#"{"image": "a.png"}"#, #"{"image": "b.png"}"#],
                                            methods: "[greedy, {name: beam, beams: 2}]", judge: "metric: opera-gpt4v, methods: [greedy, beam]",
                                            port: try #require(client.port))
            for name in ["a.png", "b.png"] { try Data(try scenePNG(size: 48)).write(to: folder.appendingPathComponent(name)) }
            let (outcome, status) = try await Self.runAndJudge(folder) { "A red square (\($0.method.name))." }
            #expect(status == 0 && outcome.name == "opera-gpt4v.greedy.beam")
            let records = try JudgeRecordLog<OPERAGPT4VRecord>(path: outcome.records).records
            #expect(records.map(\.id) == ["shapes-smol|0|a.png", "shapes-smol|0|b.png"])
            #expect(records.allSatisfy { $0.imageSHA256 == JudgeImage(bytes: (try? scenePNG(size: 48)) ?? [], mediaType: .png, source: "").sha256 })
            return (folder, outcome)
        }
        defer { try? FileManager.default.removeItem(at: result.0) }
        try await Self.expectResumeSendsNothing(result.0, result.1)
    }
}
