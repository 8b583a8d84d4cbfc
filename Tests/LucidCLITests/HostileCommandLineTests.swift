import Foundation
import Testing
@testable import LucidCLI

/// Flags and files from a hostile or unlucky user (issue 20), through the built `lucid`.
@Suite("hostile command lines", .serialized)
struct HostileCommandLineTests {
    @Test func negativeNumberAfterAnOptionIsItsValue() {
        #expect(NegativeNumberArguments.joined(["generate", "--beams", "-1", "--prompt", "x"]) == ["generate", "--beams=-1", "--prompt", "x"])
        #expect(NegativeNumberArguments.joined(["attack", "pgd", "--eps", "-8/255"]) == ["attack", "pgd", "--eps=-8/255"])
        #expect(NegativeNumberArguments.joined(["x", "--alpha", "-.5", "--beta", "-inf"]) == ["x", "--alpha=-.5", "--beta=-inf"])
        // Not numbers, already joined, short flags and everything after `--` stay as written.
        #expect(NegativeNumberArguments.joined(["x", "--out", "-v", "--a=-1", "-h", "--", "--b", "-2"]) == ["x", "--out", "-v", "--a=-1", "-h", "--", "--b", "-2"])
    }

    /// An error that quotes an outside value (a manifest's, a flag's, a file name) is one line with its control
    /// characters escaped, so a hostile value cannot drive the terminal; ArgumentParser's usage errors keep their lines.
    @Test func errorsQuotingOutsideValuesEscapeTheirControlCharacters() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-escape-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("{\"prompt\": \"Hi\"}\n".utf8).write(to: folder.appendingPathComponent("p.jsonl"))
        try Data("""
            name: t
            models: [shapes-tiny]
            dataset: {path: p.jsonl, kind: prompts}
            methods: [greedy]
            generation:
              reasoning: "\\u001b]0;pwned\\u0007\\nsplit"

            """.utf8).write(to: folder.appendingPathComponent("m.yaml"))
        let manifest = try LucidProcess.run(["run", folder.appendingPathComponent("m.yaml").path])
        let template = try LucidProcess.run(["generate", "--model", "shapes-tiny", "--prompt", "Hi", "--template", "\u{1B}[31mred"])
        for result in [manifest, template] {
            #expect(result.status != 0)
            #expect(!result.err.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(result.err.debugDescription)")
            #expect(result.err.contains("\\u{1B}"), "\(result.err)")
            #expect(result.err.trimmingCharacters(in: .newlines).split(separator: "\n").count == 1, "\(result.err)")
        }
        #expect(manifest.err.contains("generation.reasoning: expected split or keep, found '\\u{1B}]0;pwned\\u{7}\\u{A}split'"), "\(manifest.err)")
        let usage = try LucidProcess.run(["generate", "--beams"])
        #expect(usage.err.contains("Usage:") && usage.err.split(separator: "\n").count > 1, "\(usage.err)")
        // ArgumentParser quotes a value it cannot read (an enumeration's): escaped too, its usage lines kept.
        let parser = try LucidProcess.run(["serve", "--model", "shapes-tiny", "--reasoning", "\u{1B}[31mred"])
        #expect(parser.status != 0)
        #expect(parser.err.contains("\\u{1B}[31mred") && parser.err.contains("--reasoning"), "\(parser.err)")
        #expect(!parser.err.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(parser.err.debugDescription)")
    }

    @Test func negativeBeamsGetARangeErrorNotMissingValue() throws {
        let result = try LucidProcess.run(["generate", "--prompt", "hi", "--beams", "-1"])
        #expect(result.status != 0)
        #expect(result.err.contains("beams must be in 1…64 (got -1)"), "\(result.err)")
        #expect(!result.err.contains("Missing value"))
    }

    @Test func maxNewTokensNearIntMaxIsARangeError() throws {
        let result = try LucidProcess.run(["generate", "--prompt", "hi", "--max-new-tokens", "9223372036854775807"])
        #expect(result.status == 64 || result.status == 1)
        #expect(result.err.contains("--max-new-tokens must be in 1…"), "\(result.err)")
    }

    @Test(arguments: ["-1", "2", "9223372036854775807"])
    func anAttackBudgetOutOfRangeNamesTheFlag(_ eps: String) throws {
        let out = NSTemporaryDirectory() + "lucid-eps-\(UUID().uuidString).png"
        let image = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("LucidVisionTests/Fixtures/photos/rocket.jpg").path
        let result = try LucidProcess.run(["attack", "pgd", "--model", "shapes-tiny", "--image", image, "--target", "x",
                                           "--steps", "1", "--out", out, "--eps=\(eps)"])
        #expect(result.status != 0)
        #expect(result.err.contains("--eps must be in [0, 1]"), "\(result.err)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func aFIFOGivenAsAnImageFailsAtOnceNamingIt() throws {
        let fifo = NSTemporaryDirectory() + "lucid-fifo-\(UUID().uuidString).png"
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        let result = try LucidProcess.run(["generate", "--model", "shapes-tiny", "--prompt", "hi", "--image", fifo, "--max-new-tokens", "2"])
        #expect(result.status != 0)
        #expect(result.err.contains(fifo) && result.err.contains("named pipe (FIFO)"), "\(result.err)")
    }

    @Test func infoOnAFIFOFailsAtOnceNamingIt() throws {
        let fifo = NSTemporaryDirectory() + "lucid-fifo-\(UUID().uuidString).gguf"
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        let result = try LucidProcess.run(["info", fifo])
        #expect(result.status != 0)
        #expect(result.err.contains("\(fifo): is a named pipe (FIFO), not a regular file"), "\(result.err)")
    }
}
