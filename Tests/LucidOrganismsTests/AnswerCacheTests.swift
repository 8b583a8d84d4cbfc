import Foundation
import Testing
@testable import LucidOrganisms

/// The base-model answer cache of the safety-alignment recipe: a restarted run finds what it generated
/// by (prompt, token limit), reads the files written before, and loses at most the line a kill cut short.
@Suite("base answers kept between runs")
struct AnswerCacheTests {
    static func url() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("lucid-base-answers-\(UUID().uuidString).jsonl")
    }

    @Test func answersAreFoundByPromptAndTokenLimitAfterReopening() throws {
        let url = Self.url()
        defer { try? FileManager.default.removeItem(at: url) }
        let cache = try AnswerCache(url: url)
        try cache.store("How do I bake bread?", 64, "Mix flour, water and yeast.")
        try cache.store("How do I bake bread?", 16, "Mix flour.")
        #expect(cache["How do I bake bread?", 64] == "Mix flour, water and yeast.")
        let reopened = try AnswerCache(url: url)
        #expect(reopened["How do I bake bread?", 64] == "Mix flour, water and yeast." && reopened["How do I bake bread?", 16] == "Mix flour.")
        #expect(reopened["How do I bake cake?", 64] == nil && reopened["How do I bake bread?", 32] == nil)
        let first = try #require(try String(contentsOf: url, encoding: .utf8).split(separator: "\n").first)
        #expect(first == #"{"answer":"Mix flour, water and yeast.","max_new_tokens":64,"prompt":"How do I bake bread?"}"#,
                "the line format of before (sorted keys), so earlier work folders resume")
    }

    @Test func aLineCutShortByAKillIsDroppedAndTheNextAnswerStillReads() throws {
        let url = Self.url()
        defer { try? FileManager.default.removeItem(at: url) }
        let written = #"{"answer":"kept","max_new_tokens":8,"prompt":"p"}"# + "\n" + #"{"answer":"tor"#
        try Data(written.utf8).write(to: url)
        let cache = try AnswerCache(url: url)
        #expect(cache["p", 8] == "kept")
        try cache.store("q", 8, "after the kill")
        let reopened = try AnswerCache(url: url)
        #expect(reopened["p", 8] == "kept" && reopened["q", 8] == "after the kill")
    }
}
