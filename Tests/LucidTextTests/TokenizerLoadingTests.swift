import Foundation
import LucidText
import Testing

@Suite("Loading and sharing tokenizers")
struct TokenizerLoadingTests {
    @Test("tokenizer_config.json supplies special tokens, add_bos/add_eos and the chat template")
    func configOverridesSpecialTokens() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-text-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Fixtures.data("spm_tokenizer.json").write(to: directory.appendingPathComponent("tokenizer.json"))
        let config: [String: Any] = [
            "bos_token": ["content": "<s>", "lstrip": false], "eos_token": "</s>", "unk_token": "<unk>",
            "pad_token": NSNull(), "add_bos_token": false, "add_eos_token": true,
            "chat_template": "{{ bos_token + '[INST] ' + messages[0]['content'] + ' [/INST]' }}",
        ]
        try JSONSerialization.data(withJSONObject: config)
            .write(to: directory.appendingPathComponent("tokenizer_config.json"))

        let tokenizer = try Tokenizer(directory: directory)
        #expect(tokenizer.bosID == 1)
        #expect(tokenizer.eosID == 2)
        #expect(tokenizer.unknownID == 0)
        #expect(tokenizer.padID == nil)
        #expect(tokenizer.prefixIDs.isEmpty)
        #expect(tokenizer.suffixIDs == [2])
        #expect(tokenizer.encode("Hello").last == 2)
        #expect(ChatTemplate.detect(for: tokenizer) == .llama2)
    }

    /// transformers ≥ 4.51 saves the template as `chat_template.jinja` (which wins over the config's), and
    /// the `llava-hf` repositories keep the processor's in `chat_template.json` (read when the config has none).
    @Test("the chat template is read from chat_template.jinja or chat_template.json as transformers does")
    func chatTemplateFilesBesideTheTokenizer() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-text-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Fixtures.data("spm_tokenizer.json").write(to: directory.appendingPathComponent("tokenizer.json"))
        #expect(ChatTemplate.detect(jinjaTemplate: try Tokenizer(directory: directory).chatTemplate) { _ in false } == nil)
        let processor = #"{"chat_template": "{% for m in messages %}{{ m['role'].upper() + ': ' }}<image>\n{{ m['content'] }}{% endfor %}ASSISTANT:"}"#
        try Data(processor.utf8).write(to: directory.appendingPathComponent("chat_template.json"))
        #expect(ChatTemplate.detect(for: try Tokenizer(directory: directory)) == .llava15)
        let config = #"{"chat_template": "{{ '[INST] ' + messages[0]['content'] + ' [/INST]' }}"}"#
        try Data(config.utf8).write(to: directory.appendingPathComponent("tokenizer_config.json"))
        #expect(ChatTemplate.detect(for: try Tokenizer(directory: directory)) == .llama2)
        try Data("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}".utf8)
            .write(to: directory.appendingPathComponent("chat_template.jinja"))
        #expect(ChatTemplate.detect(for: try Tokenizer(directory: directory)) == .chatml)
        // A chat_template.json without its key is refused, naming it (when the config has no template of its own).
        try FileManager.default.removeItem(at: directory.appendingPathComponent("chat_template.jinja"))
        try FileManager.default.removeItem(at: directory.appendingPathComponent("tokenizer_config.json"))
        try Data(#"{"template": "x"}"#.utf8).write(to: directory.appendingPathComponent("chat_template.json"))
        #expect { try Tokenizer(directory: directory) } throws: { "\($0)".contains("chat_template.json") }
    }

    @Test("a missing tokenizer.json is reported with its path")
    func missingDirectory() {
        let directory = URL(fileURLWithPath: "/nonexistent/lucid-model")
        #expect {
            try Tokenizer(directory: directory)
        } throws: { error in
            guard case let .unreadableFile(path, _)? = error as? TokenizerError else { return false }
            return path.hasSuffix("lucid-model/tokenizer.json")
        }
    }

    @Test("one tokenizer can encode from many tasks at once")
    func concurrentEncodingIsConsistent() async throws {
        let tokenizer = try Fixtures.tokenizer("bpe_gpt2_tokenizer.json")
        let text = PerformanceCorpus.english(bytes: 5_000)
        let expected = tokenizer.encode(text)
        let results = await withTaskGroup(of: [Int].self) { group in
            for _ in 0..<8 { group.addTask { tokenizer.encode(text) } }
            return await group.reduce(into: [[Int]]()) { $0.append($1) }
        }
        #expect(results.count == 8)
        #expect(results.allSatisfy { $0 == expected })
    }
}
