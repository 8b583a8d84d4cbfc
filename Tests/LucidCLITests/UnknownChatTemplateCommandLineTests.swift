import Foundation
import LucidTestSupport
import Testing

/// A model whose Jinja chat template is none of Lucid's formats: `--prompt` is refused saying so (it used to
/// fall back to a format its vocabulary suggested), and `--template NAME` still chooses one on purpose;
/// `lucid serve` starts, saying chat requests will be refused, and answers raw prompts.
@Suite("unknown chat templates on the command line", .serialized)
struct UnknownChatTemplateCommandLineTests {
    @Test func aPromptForAnUnknownTemplateIsRefusedAndTemplateChoosesOne() throws {
        let copy = try TinyModelCopy.make("qwen2-vl", addedTokens: [("<|im_start|>", 141)],
                                          chatTemplate: "{{ bos_token }}{% for m in messages %}{{ '<｜User｜>' + m['content'] }}{% endfor %}")
        defer { try? FileManager.default.removeItem(at: copy) }
        let refused = try LucidProcess.run(["generate", "--model", copy.path, "--prompt", "hi", "--max-new-tokens", "2"])
        #expect(refused.status != 0)
        #expect(refused.err.contains("its Jinja chat template is none of the formats Lucid renders") && refused.err.contains("--template"),
                "\(refused.err)")
        let chosen = try LucidProcess.run(["generate", "--model", copy.path, "--prompt", "hi", "--template", "chatml", "--max-new-tokens", "2"])
        #expect(chosen.status == 0, "\(chosen.err)")
    }

    /// `lucid attack pgd`/`sink` take `--template` as `generate` does, so a model whose template Lucid cannot tell
    /// can still be attacked with a format chosen on purpose.
    @Test func anImageAttackOnAnUnknownTemplateIsRefusedAndTemplateChoosesOne() throws {
        let copy = try TinyModelCopy.make("qwen2-vl", addedTokens: [("<|im_start|>", 141), ("<image>", 140)],
                                          chatTemplate: "{{ bos_token }}{% for m in messages %}{{ '<｜User｜>' + m['content'] }}{% endfor %}")
        defer { try? FileManager.default.removeItem(at: copy) }  // the outputs go inside the copy
        let image = TinyModelCopy.fixtures.appendingPathComponent("qwen2-vl/wide.png").path
        let arguments = ["attack", "pgd", "--model", copy.path, "--image", image, "--noise", "--out", copy.appendingPathComponent("adv.png").path]
        let refused = try LucidProcess.run(arguments)
        #expect(refused.status != 0 && refused.err.contains("none of the formats Lucid renders"), "\(refused.err)")
        let chosen = try LucidProcess.run(arguments + ["--template", "chatml"])
        #expect(chosen.status == 0, "\(chosen.err)")
    }

    /// `lucid attack scav` takes the `--template` its probes were trained with; the model's template is not
    /// needed then (the probes file is read after it, so a missing one is what fails here).
    @Test func scavTakesTheProbesTemplate() throws {
        let copy = try TinyModelCopy.make("qwen2-vl", addedTokens: [("<|im_start|>", 141)],
                                          chatTemplate: "{{ bos_token }}{% for m in messages %}{{ '<｜User｜>' + m['content'] }}{% endfor %}")
        defer { try? FileManager.default.removeItem(at: copy) }
        let arguments = ["attack", "scav", "--model", copy.path, "--probes", copy.appendingPathComponent("none.json").path, "--prompt", "hi"]
        let refused = try LucidProcess.run(arguments)
        #expect(refused.status != 0 && refused.err.contains("none of the formats Lucid renders") && refused.err.contains("--template"),
                "\(refused.err)")
        let unknown = try LucidProcess.run(arguments + ["--template", "alpaca"])
        #expect(unknown.status != 0 && unknown.err.contains("unknown chat template 'alpaca'"), "\(unknown.err)")
        let chosen = try LucidProcess.run(arguments + ["--template", "chatml"])
        #expect(chosen.status != 0 && chosen.err.contains("none.json") && !chosen.err.contains("chat template"), "\(chosen.err)")
    }

    /// Without a template `lucid serve` still starts, saying chat is refused: a base model answers raw
    /// prompts at /v1/completions.
    @Test func serveStartsWithoutATemplateForRawPromptsAndSaysSo() throws {
        let copy = try TinyModelCopy.make("qwen2-vl", addedTokens: [("<|im_start|>", 141)],
                                          chatTemplate: "{{ bos_token }}{% for m in messages %}{{ '<｜User｜>' + m['content'] }}{% endfor %}")
        defer { try? FileManager.default.removeItem(at: copy) }
        let process = Process()
        process.executableURL = LucidProcess.executable
        process.arguments = ["serve", "--model", copy.path, "--port", "0"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        final class Collected: @unchecked Sendable {
            private let lock = NSLock()
            private var data = Data()
            func append(_ more: Data) { lock.withLock { data.append(more) } }
            var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
        }
        let collected = Collected()
        err.fileHandleForReading.readabilityHandler = { collected.append($0.availableData) }
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && !collected.text.contains(" on http://") && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        let started = process.isRunning
        process.terminate()
        process.waitUntilExit()
        err.fileHandleForReading.readabilityHandler = nil
        let text = collected.text
        #expect(started && text.contains(" on http://"), "\(text)")
        #expect(text.contains("none of the formats Lucid renders") && text.contains("chat completions will be refused")
                && text.contains("/v1/completions"), "\(text)")
        let unknown = try LucidProcess.run(["serve", "--model", copy.path, "--port", "0", "--template", "alpaca"])
        #expect(unknown.status != 0 && unknown.err.contains("unknown chat template 'alpaca'"), "\(unknown.err)")
    }
}
