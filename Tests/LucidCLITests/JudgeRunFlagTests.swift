import Foundation
import LucidEval
import LucidPipeline
import LucidRuns
import Testing
@testable import LucidVision

/// `lucid eval opera-gpt4v --run` and `lucid eval strongreject --run` are `RunJudging.run` with the
/// command's overrides (--out, --image-root, --judge-cache), and `lucid run --help` points to the manifest's judges.
@Suite("judge commands over a run")
struct JudgeRunFlagTests {
    @Test func operaGPT4VOverARunUsesTheOverridesAndSaysCachedForCachedAnswers() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-judge-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("images"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(#"{"image": "a.png"}"#.utf8).write(to: folder.appendingPathComponent("data.jsonl"))
        let png = try ImageEncoder.png(try RGBImage(width: 4, height: 4, pixels: [UInt8](repeating: 90, count: 48)))
        try Data(png).write(to: folder.appendingPathComponent("images/a.png"))
        try Data("""
            name: captions
            models: [smollm2]
            dataset: {path: data.jsonl, kind: captions}
            methods: [greedy, beam]
            output: run
            """.utf8).write(to: folder.appendingPathComponent("m.yaml"))
        let session = try RunSession.open(manifest: folder.appendingPathComponent("m.yaml"))
        _ = try await session.run { .object(["text": .string("A circle (\($0.method.name)).")]) }
        // Nothing listens at the endpoint: the one answer comes from the cache the command is given.
        let endpoint = try #require(URL(string: "http://127.0.0.1:1/v1"))
        let judge = JudgeSpec(metric: .operaGPT4V, endpoint: endpoint, model: "m", maxTokens: OPERAGPT4VJudge.referenceMaxTokens)
        let image = try JudgeImageInput(root: folder.appendingPathComponent("images").path).read("a.png", item: "a", source: "test")
        let key = try RunJudging.client(judge, cache: nil)
            .cacheKey(OPERAGPT4VJudge.messages(image: image, assistant1: "A circle (greedy).", assistant2: "A circle (beam)."))
        let cache = try JudgeAnswerCache(path: folder.appendingPathComponent("answers.jsonl").path)
        try cache.record("Accuracy: 6 8\nDetailedness: 7 9", for: key)
        let records = folder.appendingPathComponent("mine.jsonl").path
        let result = try LucidProcess.run(["eval", "opera-gpt4v", "--run", session.directory.url.path, "--method-1", "greedy", "--method-2", "beam",
                                           "--out", records, "--judge-cache", cache.path, "--image-root", folder.appendingPathComponent("images").path,
                                           "--endpoint", endpoint.absoluteString, "--judge-model", "m"])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.err.contains("opera-gpt4v.greedy.beam 1/1: cached\n"), "\(result.err)")
        #expect(result.out.contains(#""greedy":{"accuracy":6.0,"detailedness":7.0},"beam":{"accuracy":8.0,"detailedness":9.0}"#), "\(result.out)")
        #expect(try JudgeRecordLog<OPERAGPT4VRecord>(path: records).records.map(\.accuracy) == [[6, 8]])
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("mine.summary.json").path))
        #expect(!FileManager.default.fileExists(atPath: session.directory.url.appendingPathComponent("judges").path))
    }

    @Test func strongREJECTOverARunTakesOutAndJudgeCacheAsOPERAGPT4VDoes() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-judge-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("{\"prompt\": \"p1\"}\n{\"prompt\": \"p2\"}\n".utf8).write(to: folder.appendingPathComponent("data.jsonl"))
        try Data("""
            name: prompts
            models: [smollm2]
            dataset: {path: data.jsonl, kind: prompts}
            methods: [greedy]
            output: run
            """.utf8).write(to: folder.appendingPathComponent("m.yaml"))
        let session = try RunSession.open(manifest: folder.appendingPathComponent("m.yaml"))
        _ = try await session.run { _ in .object(["text": "Sure."]) }
        // Nothing listens at the endpoint: both answers come from the cache the command is given.
        let endpoint = try #require(URL(string: "http://127.0.0.1:1/v1"))
        let client = RunJudging.client(JudgeSpec(metric: .strongREJECT, endpoint: endpoint, model: "m"), cache: nil)
        let cache = try JudgeAnswerCache(path: folder.appendingPathComponent("answers.jsonl").path)
        for prompt in ["p1", "p2"] {
            try cache.record("#scores\n1.b 0\n2.b 5\n3.b 3", for: client.cacheKey(StrongREJECTJudge.messages(prompt: prompt, response: "Sure.")))
        }
        let records = folder.appendingPathComponent("mine.jsonl").path
        let result = try LucidProcess.run(["eval", "strongreject", "--run", session.directory.url.path, "--out", records,
                                           "--judge-cache", cache.path, "--endpoint", endpoint.absoluteString, "--judge-model", "m"])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains(#""responses":2,"scored":2,"unparsable":0,"mean_score":0.75"#), "\(result.out)")
        #expect(try JudgeRecordLog<StrongREJECTRecord>(path: records).records.count == 2)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("mine.summary.json").path))
        #expect(!FileManager.default.fileExists(atPath: session.directory.url.appendingPathComponent("judges").path))
    }

    @Test func reasoningSplitIsForResponseFilesNotRuns() throws {
        let result = try LucidProcess.run(["eval", "strongreject", "--run", "/nonexistent", "--reasoning", "split",
                                           "--endpoint", "http://127.0.0.1:1/v1", "--judge-model", "m"])
        #expect(result.status != 0 && result.err.contains("--reasoning split is for --responses"), "\(result.err)")
    }

    @Test func runHelpPointsToTheJudgesKey() throws {
        let help = try LucidProcess.run(["run", "--help"])
        #expect(help.status == 0)
        #expect(help.out.contains("`judges:` key") && help.out.contains("docs/runs.md, Judges"), "\(help.out)")
        let start = try LucidProcess.run(["run", "start", "--help"])
        let words = start.out.split(whereSeparator: \.isWhitespace).joined(separator: " ")  // as wrapped for any width
        #expect(words.contains("judges: [{metric: strongreject|opera-gpt4v"), "\(start.out)")
    }
}
