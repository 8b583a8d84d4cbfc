import ArgumentParser
import Foundation
import Testing
@testable import LucidCLI

/// A single-value option given twice, or a flag with its inversion, is refused with its name, where
/// swift-argument-parser alone would keep the last without a word; options that take several values
/// and a flag given twice still run.
@Suite("repeated options")
struct RepeatedOptionTests {
    @Test func theSingleValueOptionsOfACommandAreKnownUnderEveryName() throws {
        let description = try #require(RepeatedOptions.describe(GenerateCommand.self))
        let names = RepeatedOptions.singleValueOptionNames(description)
        #expect(names["--model"] == "--model" && names["--prompt"] == "--prompt" && names["--max-new-tokens"] == "--max-new-tokens")
        #expect(names["--image"] == nil && names["--stop"] == nil)  // repeating options
        #expect(names["--greedy"] == nil && names["--json"] == nil)  // flags
        #expect(RepeatedOptions.invertedFlags(description) == ["--fused-attention"])
    }

    /// The check reads every command's description; one it could not read would be unchecked.
    @Test func everyCommandsOptionsCanBeRead() {
        func leaves(_ command: any ParsableCommand.Type) -> [any ParsableCommand.Type] {
            let subcommands = command.configuration.subcommands
            return subcommands.isEmpty ? [command] : subcommands.flatMap(leaves)
        }
        let commands = leaves(LucidCommand.self)
        #expect(commands.count > 30)
        for command in commands {
            #expect(RepeatedOptions.describe(command) != nil, "\(command._commandName)")
        }
    }

    @Test func aFlagGivenWithItsInversionIsRefused() throws {
        let result = try LucidProcess.run(["tokenize", "--text", "a"])  // tokenize has no inverted flag: runs
        #expect(result.status == 0, "\(result.err)")
        let both = try LucidProcess.run(["generate", "--model", "/nonexistent", "--prompt", "hi", "--no-fused-attention", "--fused-attention"])
        #expect(both.status != 0 && both.err.contains("--fused-attention and --no-fused-attention contradict each other"), "\(both.err)")
        let twice = try LucidProcess.run(["generate", "--model", "/nonexistent", "--prompt", "hi", "--fused-attention", "--fused-attention"])
        #expect(twice.status != 0 && twice.err.contains("/nonexistent") && !twice.err.contains("contradict"), "\(twice.err)")
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
