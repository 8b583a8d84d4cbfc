import Foundation
@testable import LucidEval
import Testing

/// The judging commands' JSON Lines inputs become typed items before any request, errors naming file and line.
@Suite("judge input files")
struct JudgeInputFileTests {
    @Test func responsesAreNumberedByTheirNonBlankLinesAndSplitOnlyWhenAsked() throws {
        let url = try EvalFixtures.temporaryFile("""
        {"prompt": "p1", "response": "<think>I'm sorry is what I would say</think>Sure, step one.", "extra": 1}

        {"prompt": "p2", "response": "Plain answer."}
        """)
        let kept = try StrongREJECTItem.read(responsesAt: url)
        #expect(kept == [StrongREJECTItem(id: "1", prompt: "p1", response: "<think>I'm sorry is what I would say</think>Sure, step one."),
                         StrongREJECTItem(id: "2", prompt: "p2", response: "Plain answer.")])
        let split = try StrongREJECTItem.read(responsesAt: url, reasoning: .split)
        #expect(split.map(\.response) == ["Sure, step one.", ""])   // no </think>: all reasoning, no answer
        #expect(split.map(\.id) == ["1", "2"])
    }

    @Test func aMissingOrNonStringFieldOrAnEmptyFileIsAnErrorNamingItsLine() throws {
        let missing = try EvalFixtures.temporaryFile("{\"prompt\": \"p\", \"response\": \"r\"}\n{\"prompt\": \"p\"}\n")
        #expect(throws: EvalError.missingField(path: missing.path, line: 2, field: "response")) { try StrongREJECTItem.read(responsesAt: missing) }
        let number = try EvalFixtures.temporaryFile("{\"description\": 3, \"ground_truth\": \"a cat\"}\n")
        #expect(throws: EvalError.invalidField(path: number.path, line: 1, field: "description", reason: "is a number, not a string")) {
            try JudgeInputFile.rows(at: number, fields: ["description", "ground_truth"])
        }
        let empty = try EvalFixtures.temporaryFile("\n\n")
        #expect(throws: EvalError.emptyInput(path: empty.path)) { try StrongREJECTItem.read(responsesAt: empty) }
    }
}
