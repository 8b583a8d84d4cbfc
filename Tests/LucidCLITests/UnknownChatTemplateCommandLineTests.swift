import Foundation
import LucidTestSupport
import Testing

/// A model whose Jinja chat template is none of Lucid's formats: `--prompt` is refused saying so (it used to
/// fall back to a format its vocabulary suggested), and `--template NAME` still chooses one on purpose.
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
}
