import Foundation
import LucidTestSupport
import Testing

/// A model whose Jinja chat template is none of Lucid's formats: `--prompt` is refused saying so (it used to
/// fall back to a format its vocabulary suggested), and `--template NAME` still chooses one on purpose;
/// `lucid serve` refuses to start rather than answer every request with an error.
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

    @Test func serveRefusesToStartWithoutATemplate() throws {
        let copy = try TinyModelCopy.make("qwen2-vl", addedTokens: [("<|im_start|>", 141)],
                                          chatTemplate: "{{ bos_token }}{% for m in messages %}{{ '<｜User｜>' + m['content'] }}{% endfor %}")
        defer { try? FileManager.default.removeItem(at: copy) }
        let refused = try LucidProcess.run(["serve", "--model", copy.path, "--port", "0"])
        #expect(refused.status != 0)
        #expect(refused.err.contains("none of the formats Lucid renders") && refused.err.contains("pass --template NAME"), "\(refused.err)")
        let unknown = try LucidProcess.run(["serve", "--model", copy.path, "--port", "0", "--template", "alpaca"])
        #expect(unknown.status != 0 && unknown.err.contains("unknown chat template 'alpaca'"), "\(unknown.err)")
    }
}
