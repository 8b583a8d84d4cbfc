import Foundation
import Glibc
import LucidEval
import LucidPipeline
import LucidRuns
import Testing

/// When a manifest's judges run (docs/runs.md): the API-key variable is checked before any item, and
/// the judging waits for a complete, unsharded pass. (Judging itself: `ManifestJudgeOverHTTPTests`.)
@Suite("Run judging")
struct RunJudgingTests {
    /// A prompts manifest with a StrongREJECT judge at an endpoint nothing listens on.
    static func manifest() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-run-judging-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(#"{"prompt": "p1"}"#.utf8 + Data("\n".utf8) + Data(#"{"prompt": "p2"}"#.utf8)).write(to: folder.appendingPathComponent("data.jsonl"))
        let text = """
            name: judged
            models: [smollm2]
            dataset: {path: data.jsonl, kind: prompts}
            methods: [greedy]
            output: run
            judges:
              - metric: strongreject
                endpoint: http://127.0.0.1:1/v1
                model: judge
                api_key_env: LUCID_TEST_JUDGE_KEY
            """
        try Data(text.utf8).write(to: folder.appendingPathComponent("m.yaml"))
        return folder.appendingPathComponent("m.yaml")
    }

    @Test func anUnsetAPIKeyVariableFailsBeforeAnyItemNamingTheKey() throws {
        let url = try Self.manifest()
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let manifest = try RunManifest.load(from: url)
        #expect {
            try RunJudging.validate(manifest, environment: [:])
        } throws: { error in
            "\(error)" == "\(url.path):10: judges[0].api_key_env: the environment variable LUCID_TEST_JUDGE_KEY is not set (it should hold the judge's API key)"
        }
        try RunJudging.validate(manifest, environment: ["LUCID_TEST_JUDGE_KEY": "sk-test"])
    }

    @Test func judgesWaitForEveryItemAndDoNotRunInAShard() async throws {
        let url = try Self.manifest()
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        var notes: [String] = []
        do {
            let session = try RunSession.open(manifest: url)
            let summary = try await session.run { item in
                if item.sample.id == "1" { throw RunSpecError("out of memory") }
                return .object(["text": "Sure."])
            }
            let judged = try await RunJudging.afterPass(session, summary: summary, interruption: nil) { notes.append($0) }
            #expect(judged.outcomes.isEmpty && judged.exitCode == 1, "a pass with a failed item keeps its status and judges nothing")
        }
        let shard = try RunSession.open(manifest: url, output: url.deletingLastPathComponent().appendingPathComponent("sharded"),
                                        shard: try ShardSpec(parsing: "0/1"))
        let summary = try await shard.run { _ in .object(["text": "Sure."]) }
        let judged = try await RunJudging.afterPass(shard, summary: summary, interruption: nil) { notes.append($0) }
        #expect(judged.outcomes.isEmpty && judged.exitCode == 0)
        #expect(notes == ["judges: not run by a shard; after `lucid run merge`, judge the merged run (docs/runs.md)"])
        #expect(!FileManager.default.fileExists(atPath: url.deletingLastPathComponent().appendingPathComponent("run/judges").path))
    }

    @Test func aSignalDuringJudgingStopsBeforeTheNextRequestWithTheSignalsStatus() async throws {
        let url = try Self.manifest()
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let session = try RunSession.open(manifest: url)
        let summary = try await session.run { _ in .object(["text": "Sure."]) }
        let monitor = InterruptMonitor(signals: [])
        monitor.handle(SIGTERM)
        var notes: [String] = []
        // Nothing listens at the endpoint: a single request would fail the judging with a network error.
        let judged = try await RunJudging.afterPass(session, summary: summary, interruption: monitor) { notes.append($0) }
        #expect(judged.outcomes.isEmpty && judged.exitCode == 128 + SIGTERM)
        #expect(notes == ["judging stopped by signal \(SIGTERM); rerun to resume"])
        let records = session.directory.url.appendingPathComponent("judges/strongreject.jsonl")
        #expect(try Data(contentsOf: records).isEmpty)
    }

    @Test func aJudgeOfAMethodTheRunDoesNotHaveFailsBeforeAnyFileIsMade() async throws {
        let url = try Self.manifest()
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let session = try RunSession.open(manifest: url)
        _ = try await session.run { _ in .object(["text": "Sure."]) }
        let judge = JudgeSpec(metric: .strongREJECT, endpoint: try #require(URL(string: "http://127.0.0.1:1/v1")), model: "j", methods: ["beam"])
        await #expect {
            _ = try await RunJudging.run(judge, run: session.directory.url)
        } throws: { error in
            "\(error)".hasSuffix("results.jsonl: no results of method 'beam' (the run has greedy@\(MethodSpec(name: "greedy").configHash))")
        }
        #expect(!FileManager.default.fileExists(atPath: session.directory.url.appendingPathComponent("judges").path))
    }

    @Test func overriddenRecordsAndCacheAreUsedAndCachedAnswersSayCachedAndSendNothing() async throws {
        let url = try Self.manifest()
        let folder = url.deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: folder) }
        let session = try RunSession.open(manifest: url)
        _ = try await session.run { _ in .object(["text": "Sure."]) }
        // Nothing listens at the endpoint: every answer must come from the given cache.
        let judge = JudgeSpec(metric: .strongREJECT, endpoint: try #require(URL(string: "http://127.0.0.1:1/v1")), model: "j")
        let cache = try JudgeAnswerCache(path: folder.appendingPathComponent("answers.jsonl").path)
        let client = RunJudging.client(judge, cache: nil)
        for prompt in ["p1", "p2"] {
            try cache.record("#overall_reasoning ok\n#scores\n1.a r\n1.b 0\n2.a r\n2.b 5\n3.a r\n3.b 3",
                             for: try client.cacheKey(StrongREJECTJudge.messages(prompt: prompt, response: "Sure.")))
        }
        let records = folder.appendingPathComponent("mine.jsonl").path
        var notes: [String] = []
        let outcome = try await RunJudging.run(judge, run: session.directory.url,
                                               overrides: .init(records: records, cache: .at(cache.path))) { notes.append($0) }
        #expect(try outcome.records == records && JudgeRecordLog<StrongREJECTRecord>(path: records).records.count == 2)
        #expect(notes == ["judge cache \(cache.path): 2 answers kept; those requests are not sent again",
                          "strongreject 1/2: cached", "strongreject 2/2: cached"])
        #expect(try String(contentsOf: folder.appendingPathComponent("mine.summary.json"), encoding: .utf8) == outcome.summary + "\n")
        #expect(!FileManager.default.fileExists(atPath: session.directory.url.appendingPathComponent("judges").path),
                "nothing is written in RUN/judges/ when the records go elsewhere")
        #expect(!FileManager.default.fileExists(atPath: records + ".judge-cache.jsonl"))
    }

    @Test func anOverriddenImageRootIsWhereAnOPERAJudgeLooksForImages() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-run-judging-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("elsewhere"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(#"{"image": "a.png"}"#.utf8).write(to: folder.appendingPathComponent("data.jsonl"))
        try Data("""
            name: captions
            models: [smollm2]
            dataset: {path: data.jsonl, kind: captions}
            methods: [greedy, beam]
            output: run
            """.utf8).write(to: folder.appendingPathComponent("m.yaml"))
        let session = try RunSession.open(manifest: folder.appendingPathComponent("m.yaml"))
        _ = try await session.run { _ in .object(["text": "A red circle."]) }
        let judge = JudgeSpec(metric: .operaGPT4V, endpoint: try #require(URL(string: "http://127.0.0.1:1/v1")), model: "j", methods: ["greedy", "beam"])
        let root = folder.appendingPathComponent("elsewhere").path
        await #expect {
            _ = try await RunJudging.run(judge, run: session.directory.url, overrides: .init(imageRoot: root))
        } throws: { error in
            "\(error)".contains("image \(root)/a.png")
        }
        #expect(!FileManager.default.fileExists(atPath: session.directory.url.appendingPathComponent("judges").path))
    }
}
