import ArgumentParser
import Foundation
import Testing
@testable import LucidCLI

/// The `lucid …` lines of README.md's command block, as argument lists.
///
/// A line is cut at its `#` comment and at `;`; shell quotes are honoured; `[` and `]` around optional
/// parts are dropped; `a | b | c rest` is the alternatives `a`, `b` and `c rest` after the common prefix
/// (`lucid defend qmllm train | calibrate | eval --json`). Lines that start with something other than
/// `lucid` (scripts, environment assignments before a script) are skipped.
enum ReadmeCommands {
    static var readme: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
    }

    /// The first ```sh block after the heading `## The command line`.
    static func commandBlock(of text: String) -> [String] {
        var lines: [String] = []
        var inSection = false, inBlock = false
        for line in text.components(separatedBy: "\n") {
            if line.hasPrefix("## ") { inSection = line == "## The command line"; continue }
            guard inSection else { continue }
            if line.hasPrefix("```") {
                if inBlock { return lines }
                inBlock = true
                continue
            }
            if inBlock { lines.append(line) }
        }
        return lines
    }

    /// Shell-like words of `line` up to an unquoted `#` comment; `;` and `|` come back as words of their own.
    static func words(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        var started = false
        for character in line {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
                continue
            }
            switch character {
            case "\"", "'":
                quote = character
                started = true
            case "#" where !started:
                return words
            case " ", "\t":
                if started { words.append(current) }
                current = ""
                started = false
            case ";", "|":
                if started { words.append(current) }
                words.append(String(character))
                current = ""
                started = false
            default:
                current.append(character)
                started = true
            }
        }
        if started { words.append(current) }
        return words
    }

    /// The argument lists (without the leading `lucid`) one README line stands for.
    static func invocations(_ line: String) -> [[String]] {
        let all = words(line).map { $0.replacingOccurrences(of: "[", with: "").replacingOccurrences(of: "]", with: "") }
            .filter { !$0.isEmpty }
        var result: [[String]] = []
        for statement in all.split(separator: ";", omittingEmptySubsequences: true) {
            guard statement.first == "lucid" else { continue }
            let groups = statement.dropFirst().split(separator: "|", omittingEmptySubsequences: false).map(Array.init)
            guard let first = groups.first else { continue }
            result.append(first)
            let prefix = Array(first.dropLast())
            for alternative in groups.dropFirst() { result.append(prefix + alternative) }
        }
        return result
    }

    /// nil when `arguments` parse into a `lucid` command (options, flags, subcommands and value types), else the parser's message.
    static func parseFailure(_ arguments: [String]) -> String? {
        do {
            _ = try LucidCommand.parseAsRoot(arguments)
            return nil
        } catch {
            return LucidCommand.message(for: error)
        }
    }
}

@Suite("README command block")
struct ReadmeCommandTests {
    @Test func everyLucidLineInTheReadmeParses() throws {
        let text = try String(contentsOf: ReadmeCommands.readme, encoding: .utf8)
        let lines = ReadmeCommands.commandBlock(of: text)
        let invocations = lines.flatMap(ReadmeCommands.invocations)
        #expect(invocations.count >= 25, "found \(invocations.count) lucid commands in README's command block")
        for arguments in invocations {
            if let failure = ReadmeCommands.parseFailure(arguments) {
                Issue.record("README: `lucid \(arguments.joined(separator: " "))` does not parse: \(failure)")
            }
        }
    }

    @Test func theCheckCatchesUnknownFlagsSubcommandsAndBadValues() {
        #expect(ReadmeCommands.parseFailure(["generate", "--prompt", "x", "--beam-width", "5"]) != nil)
        #expect(ReadmeCommands.parseFailure(["attack", "sinkhole", "--model", "m"]) != nil)
        #expect(ReadmeCommands.parseFailure(["generate", "--prompt", "x", "--beams", "five"]) != nil)
        #expect(ReadmeCommands.parseFailure(["generate", "--prompt", "x", "--beams", "5"]) == nil)
    }

    @Test func readmeLinesSplitIntoAlternativesStatementsAndOptionalParts() {
        #expect(ReadmeCommands.invocations(#"lucid run m.yaml [--shard 3/8]; lucid run merge runs/NAME # a | b"#)
                == [["run", "m.yaml", "--shard", "3/8"], ["run", "merge", "runs/NAME"]])
        #expect(ReadmeCommands.invocations("lucid defend qmllm train | calibrate | eval --json")
                == [["defend", "qmllm", "train"], ["defend", "qmllm", "calibrate"], ["defend", "qmllm", "eval", "--json"]])
        #expect(ReadmeCommands.invocations(#"lucid generate --prompt "What is it?" --json"#) == [["generate", "--prompt", "What is it?", "--json"]])
        #expect(ReadmeCommands.invocations("SURROGATE=x scripts/mirage_grid.sh 10 out").isEmpty)
    }
}
