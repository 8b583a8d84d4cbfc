// The example of docs/architecture.md ("Calling Lucid from Swift"), between the markers, as the page shows it.
// example begins
import LucidGeneration
import LucidPipeline
import LucidText

/// SmolLM2's answer by beam search, with each of its tokens' log-probabilities.
func capitalOfFrance() throws -> (answer: String, logprobs: [TokenLogprobs]) {
    let opened = try ModelRegistry.standard.open("smollm2")
    let tokenizer = try ModelRegistry.standard.tokenizer(for: "smollm2")
    let template = opened.chatTemplate(for: tokenizer) ?? .chatml
    let ids = try tokenizer.encode(chat: [.user("What is the capital of France?")], template: template)
    let limits = GenerationLimits(maxNewTokens: 16, eosTokenIDs: opened.stopTokenIDs(tokenizer: tokenizer))
    let result = try Decoding.generate(opened.model, ids: ids, method: .beam(BeamSearchParameters(beams: 3)), limits: limits,
                                       logprobs: LogprobsRequest(top: 2))
    return (try tokenizer.decode(result.tokens, skipSpecialTokens: true), result.logprobs ?? [])
}
// example ends

import Foundation
import Testing

/// docs/architecture.md's library example runs, and the page shows this file's copy of it.
@Suite("library example")
struct LibraryExampleTests {
    @Test func theArchitecturePagesExampleAnswersWithItsLogprobs() throws {
        let (answer, logprobs) = try capitalOfFrance()
        #expect(answer.contains("Paris"), "\(answer)")
        #expect(!logprobs.isEmpty && logprobs.allSatisfy { $0.top.count == 2 && $0.chosen.logprob <= 0 })
    }

    @Test func theArchitecturePageShowsTheExampleAsItRuns() throws {
        let here = URL(fileURLWithPath: #filePath)
        let source = try String(contentsOf: here, encoding: .utf8)
        let example = try #require(source.components(separatedBy: "// example begins\n").dropFirst().first?
            .components(separatedBy: "// example ends").first)
        let page = try String(contentsOf: here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        let section = try #require(page.components(separatedBy: "## Calling Lucid from Swift").dropFirst().first)
        let block = try #require(section.components(separatedBy: "```swift\n").dropFirst().first?.components(separatedBy: "```").first)
        #expect(block == example, "docs/architecture.md's example differs from LibraryExampleTests.swift's")
    }
}
