import Foundation
import Testing
import LucidDefense
import LucidModels
@testable import LucidOrganisms
import LucidTensor
import LucidWorld

/// The answer cache of `lucid defend qmllm eval`: keyed by everything that decides an answer, read back
/// on the next evaluation, resumable after a kill.
@Suite("Image answer cache")
struct ImageAnswerCacheTests {
    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("lucid-\(name)-\(UUID().uuidString)").path
    }

    static func image(_ value: Float) -> Tensor { Tensor([Float](repeating: value, count: 12), shape: [1, 3, 2, 2]) }

    @Test func theKeyChangesWithEveryPartOfTheQuestionAndOnlyThen() throws {
        let path = Self.temporary("answers") + "/a.jsonl"
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let cache = try ImageAnswerCache(path: path, model: "m1", numerics: "f32")
        let key = cache.key(promptIDs: [1, 2, 3], stopIDs: [7], maxNewTokens: 48, pixels: Self.image(0.5))
        #expect(key == cache.key(promptIDs: [1, 2, 3], stopIDs: [7], maxNewTokens: 48, pixels: Self.image(0.5)))
        let others = [
            cache.key(promptIDs: [1, 2, 4], stopIDs: [7], maxNewTokens: 48, pixels: Self.image(0.5)),
            cache.key(promptIDs: [1, 2, 3], stopIDs: [8], maxNewTokens: 48, pixels: Self.image(0.5)),
            cache.key(promptIDs: [1, 2, 3], stopIDs: [7], maxNewTokens: 47, pixels: Self.image(0.5)),
            cache.key(promptIDs: [1, 2, 3], stopIDs: [7], maxNewTokens: 48, pixels: Self.image(0.25)),
            cache.key(promptIDs: [1, 2, 3], stopIDs: [7], maxNewTokens: 48, pixels: Tensor([Float](repeating: 0.5, count: 12), shape: [1, 3, 4, 1])),
            try ImageAnswerCache(path: path + ".2", model: "m2", numerics: "f32").key(promptIDs: [1, 2, 3], stopIDs: [7], maxNewTokens: 48, pixels: Self.image(0.5)),
            try ImageAnswerCache(path: path + ".3", model: "m1", numerics: "bf16").key(promptIDs: [1, 2, 3], stopIDs: [7], maxNewTokens: 48, pixels: Self.image(0.5)),
            try ImageAnswerCache(path: path + ".4", model: "m1", numerics: "bf16+fused").key(promptIDs: [1, 2, 3], stopIDs: [7], maxNewTokens: 48, pixels: Self.image(0.5)),
        ]
        #expect(Set(others + [key]).count == others.count + 1)
    }

    @Test func answersAreGeneratedOnceAndReadBackAfterReopeningOrAKill() throws {
        let folder = Self.temporary("answers")
        let path = folder + "/sub/a.jsonl"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var calls = 0
        func generate() -> String { calls += 1; return "answer \(calls)" }
        let keys: [String], answers: [String]
        do {  // closed at the end of the scope, as at the end of an evaluation
            let first = try ImageAnswerCache(path: path, model: "m", numerics: "f32")
            keys = (0..<3).map { first.key(promptIDs: [1], stopIDs: [2], maxNewTokens: 8, pixels: Self.image(Float($0))) }
            answers = try keys.map { try first.answer(key: $0, generate: generate) }
            #expect(answers == ["answer 1", "answer 2", "answer 3"] && first.misses == 3 && first.hits == 0)
        }
        // A kill in the middle of the next line: the cut-off line is dropped, the three answers are kept.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"key\":\"abc\",\"ans".utf8))
        try handle.close()
        let second = try ImageAnswerCache(path: path, model: "m", numerics: "f32")
        #expect(try keys.map { try second.answer(key: $0, generate: generate) } == answers)
        #expect(second.hits == 3 && second.misses == 0 && calls == 3)
        let fresh = second.key(promptIDs: [1], stopIDs: [2], maxNewTokens: 9, pixels: Self.image(0))
        #expect(try second.answer(key: fresh, generate: generate) == "answer 4" && second.misses == 1)
    }

    @Test func oneCacheAtATimeHoldsTheFileAndClosingItReleasesIt() throws {
        let folder = Self.temporary("answers")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/a.jsonl"
        var first: ImageAnswerCache? = try ImageAnswerCache(path: path, model: "m", numerics: "f32")
        #expect(first != nil)
        #expect(throws: ImageAnswerCacheInUse.self) { _ = try ImageAnswerCache(path: path, model: "m", numerics: "f32") }
        first = nil
        let second = try ImageAnswerCache(path: path, model: "m", numerics: "f32")
        #expect(second.store.count == 0)
    }

    @Test func theFingerprintFollowsTheModelsFilesButNotItsPlots() throws {
        let folder = Self.temporary("fingerprint")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/adapter", withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: folder + "/config.json"))
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: folder + "/adapter/weights.safetensors"))
        let before = try ModelFingerprint.of(folder)
        try Data("<svg/>".utf8).write(to: URL(fileURLWithPath: folder + "/loss.svg"))
        #expect(try ModelFingerprint.of(folder) == before)
        try Data([1, 2, 4]).write(to: URL(fileURLWithPath: folder + "/adapter/weights.safetensors"))
        #expect(try ModelFingerprint.of(folder) != before)
        #expect(throws: ModelFingerprintError.self) { try ModelFingerprint.of(folder + "/missing") }
    }

    /// `QMLLMEvaluator.evaluate` on shapes-tiny with a gate: the second evaluation generates no
    /// undefended answer and finds the same ASR; a changed token limit misses every answer.
    @Test func aSecondEvaluationReadsTheUndefendedAnswersFromTheCache() throws {
        let tiny = try TinyDefendedOrganism()
        let (directory, defended) = (tiny.directory, tiny.defended)
        let pool = try ScenePool(world: ShapesWorldConfig(seed: 12, count: 6, hazardProbability: 0.5), imageSize: defended.config.visionConfig.imageSize)
        let labels = pool.scenes.map(QMLLMCalibration.label)
        let harmful = labels.filter { $0 != 0 }.count
        #expect(harmful > 0, "seed 12 gives no hazard scene: the test could not fail")
        let folder = Self.temporary("qmllm-answers")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let evaluator = tiny.evaluator()
        func evaluate(tokens: Int) throws -> (report: QMLLMReport, hits: Int, misses: Int) {
            let cache = try ImageAnswerCache(path: folder + "/a.jsonl", model: try ModelFingerprint.of(directory), numerics: "f32")
            let report = try evaluator.evaluate(pixels: pool.pixels(Array(0..<pool.count)), labels: labels, latencyImages: 1,
                                                answerTokens: tokens, answers: cache)
            return (report, cache.hits, cache.misses)
        }
        let first = try evaluate(tokens: 6)
        #expect(first.misses == harmful && first.hits == 0)
        let second = try evaluate(tokens: 6)
        #expect(second.hits == harmful && second.misses == 0)
        #expect(second.report.asrUndefended == first.report.asrUndefended)
        let changed = try evaluate(tokens: 5)
        #expect(changed.misses == harmful && changed.hits == 0)
    }
}
