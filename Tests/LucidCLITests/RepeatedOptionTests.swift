import Foundation
import Testing
@testable import LucidCLI

/// A single-value option given twice is refused with its name, where swift-argument-parser alone would
/// keep the last value without a word; options that take several values still repeat.
@Suite("repeated options")
struct RepeatedOptionTests {
    @Test func theSingleValueOptionsOfACommandAreKnownUnderEveryName() {
        let names = RepeatedOptions.singleValueOptionNames(GenerateCommand.self)
        #expect(names["--model"] == "--model" && names["--prompt"] == "--prompt" && names["--max-new-tokens"] == "--max-new-tokens")
        #expect(names["--image"] == nil && names["--stop"] == nil)  // repeating options
        #expect(names["--greedy"] == nil && names["--json"] == nil)  // flags
    }

    @Test(arguments: [["--text", "a", "--text", "b"], ["--text=a", "--text", "b"], ["--text", "a", "--json", "--text=b"]])
    func aSingleValueOptionGivenTwiceIsRefused(_ arguments: [String]) throws {
        let result = try LucidProcess.run(["tokenize"] + arguments)
        #expect(result.status != 0 && result.err.contains("--text was given 2 times; it takes one value"), "\(result.err)")
        #expect(result.out.isEmpty)
    }

    @Test func onlyTheOptionsWrittenBeforeTheTerminatorCount() throws {
        let command = try LucidCommand.parseAsRoot(["tokenize", "--text", "a"])
        try RepeatedOptions.check(command, arguments: ["--text", "a", "--", "--text"])
        try RepeatedOptions.check(command, arguments: ["--text=--text"])
        #expect(throws: (any Error).self) { try RepeatedOptions.check(command, arguments: ["--text", "a", "--text", "b"]) }
    }
}
