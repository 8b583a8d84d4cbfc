import Foundation
import LucidText
import Testing

/// Templates as the Hub serves them (Fixtures/hub-templates: Llama 3.1–3.3, Llama 3.2, Qwen2.5, Qwen3, Mistral
/// Nemo Instruct and the DeepSeek-R1 distills), each detected from its own text, then rendered against transformers' `render_jinja_template`
/// (scripts/make_hub_chat_fixtures.py).
@Suite("Hub chat templates")
struct HubChatTemplateTests {
    struct Golden: Decodable {
        struct Case: Decodable {
            let source: String
            let messages: [ChatTemplateTests.Golden.Message]
            let add_generation_prompt: Bool
            let date: String?
            let enable_thinking: Bool?
            let text: String?
            let error: String?
        }
        let files: [String: String]
        let cases: [Case]
    }

    static func golden() throws -> Golden {
        try JSONDecoder().decode(Golden.self, from: Fixtures.data("hub_chat_golden.json"))
    }

    /// What `detect` makes of each template: Llama 3.1–3.3's system turn with its fallback date, Qwen2.5's
    /// default system prompt.
    @Test func eachTemplateIsDetectedWithWhatItHardCodes() throws {
        let golden = try Self.golden()
        let expected: [String: ChatTemplate] = [
            "llama-3.1": .llama31(todayDate: "26 Jul 2024"), "llama-3.2": .llama31(todayDate: "26 Jul 2024"),
            "qwen2.5": .chatml(defaultSystemPrompt: "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."),
            "qwen3": .qwen3, "mistral-nemo": .mistralNemo, "deepseek-r1": .deepseekR1,
        ]
        #expect(Set(golden.files.keys) == Set(expected.keys))
        for (name, file) in golden.files {
            let source = String(decoding: try Fixtures.data(file), as: UTF8.self)
            #expect(ChatTemplate.detect(jinjaTemplate: source) { _ in false } == expected[name], "\(name)")
        }
        // Llama 3's own template has no such system turn.
        let llama3 = try ChatTemplateTests.golden().template_sources["llama-3"]
        #expect(ChatTemplate.detect(jinjaTemplate: llama3) { _ in false } == .llama3)
        #expect(try ChatTemplate(named: "llama-3.1") == .llama31())
        #expect(ChatTemplate.llama31().rendersBOS)
    }

    @Test func everyConversationRendersAsTransformersRendersTheTemplate() throws {
        let golden = try Self.golden()
        #expect(golden.cases.count == 340)
        #expect(golden.cases.filter { $0.error != nil }.count == 4, "Mistral Nemo refuses two of the conversations")
        for item in golden.cases {
            let file = try #require(golden.files[item.source])
            var template = try #require(ChatTemplate.detect(jinjaTemplate: String(decoding: try Fixtures.data(file), as: UTF8.self)) { _ in false })
            if let date = item.date { template = .llama31(todayDate: date) }
            if let thinking = item.enable_thinking { template = .qwen3(enableThinking: thinking) }
            let messages = try item.messages.map { message in
                ChatMessage(role: try #require(ChatMessage.Role(rawValue: message.role)), content: message.content,
                            imageCount: message.images ?? 0)
            }
            let label = "\(item.source) date=\(item.date ?? "default") thinking=\(String(describing: item.enable_thinking)) "
                + "agp=\(item.add_generation_prompt) \(item.messages.map(\.role))"
            if let text = item.text {
                #expect(try template.render(messages, addGenerationPrompt: item.add_generation_prompt) == text, "\(label)")
            } else {
                #expect(throws: ChatTemplateError.self, "\(label): \(item.error ?? "")") {
                    try template.render(messages, addGenerationPrompt: item.add_generation_prompt)
                }
            }
        }
    }

    /// `qwen3-no-thinking` names Qwen3 with `enable_thinking` false and reads back; both prompts are ChatML
    /// (no BOS), Mistral Nemo's begins with its `<s>`.
    @Test func qwen3ThinkingIsChosenByNameAndMistralNemoWritesItsBOS() throws {
        #expect(try ChatTemplate(named: "qwen3-no-thinking") == .qwen3(enableThinking: false))
        #expect(ChatTemplate.qwen3(enableThinking: false).name == "qwen3-no-thinking")
        #expect(try ChatTemplate(named: "qwen3") == .qwen3 && ChatTemplate.qwen3.name == "qwen3")
        #expect(try ChatTemplate(named: "Mistral-Nemo") == .mistralNemo)
        #expect(!ChatTemplate.qwen3.rendersBOS && ChatTemplate.mistralNemo.rendersBOS)
        let prompt = [ChatMessage.user("Hi")]
        #expect(try ChatTemplate.qwen3(enableThinking: false).render(prompt)
                == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n")
        #expect(try ChatTemplate.mistralNemo.render(prompt) == "<s>[INST]Hi[/INST]")
    }

    /// `[INST]` and `<think>` templates of formats Lucid does not render are refused, not read as llama-2 or
    /// chatml. The fragments are the lines that tell the formats apart, in the forms llama.cpp's
    /// tests/test-chat-template.cpp keeps of Mistral's templates.
    @Test func instructionAndReasoningTemplatesOfOtherFormatsAreRefused() {
        func detect(_ template: String) -> ChatTemplate? { ChatTemplate.detect(jinjaTemplate: template) { _ in true } }
        // Mistral-7B-Instruct-v0.2's first template: Llama 2's spacing (a single-turn prompt renders alike).
        #expect(detect("{{ bos_token }}{% for message in messages %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% endfor %}") == .llama2)
        // v0.2's later template opens each turn with a space; the v3 format (Mistral Large 2407) closes without one;
        // later ones have a system turn.
        #expect(detect("{{- ' [INST] ' + message['content'] + ' [/INST]' }}") == nil)
        #expect(detect(#"{{- "[INST] " + message["content"] + "[/INST]" }}"#) == nil)
        #expect(detect("{{ '[SYSTEM_PROMPT]' + system + '[/SYSTEM_PROMPT]' }}{{ '[INST]' + m + '[/INST]' }}{% if loop.last and system_message is defined %}") == nil)
        // Unspaced tags without Nemo's system placement are some other variant.
        #expect(detect(#"{{- "[INST]" + message["content"] + "[/INST]" }}"#) == nil)
        // ChatML that writes reasoning blocks, but not as Qwen3 does (QwQ opens one in the generation prompt).
        #expect(detect("{{ '<|im_start|>assistant\\n<think>\\n' }}") == nil)
        #expect(detect("{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' }}") == .chatml)
    }

    /// A template none of Lucid's formats is refused, not guessed from the vocabulary: Gemma 2's, given to a
    /// tokenizer with Qwen's chat tokens (as DeepSeek-R1's Qwen distills keep them), would otherwise select chatml.
    /// DeepSeek-R1's own template is `deepseek-r1` (session 35; nil before, ChatML before session 34), and
    /// llama.cpp's edited copy of it, whose generation prompt closes the reasoning unless `enable_thinking`, is not.
    @Test func aTemplateOfAnotherFormatIsNotGuessedFromTheVocabulary() throws {
        let gemma = String(decoding: try Fixtures.data("hub-templates/google-gemma-2-2b-it.jinja"), as: UTF8.self)
        #expect(ChatTemplate.detect(jinjaTemplate: gemma) { _ in true } == nil)
        #expect(ChatTemplate.detect(jinjaTemplate: nil) { $0 == "<|im_start|>" } == .chatml, "without a template the vocabulary still decides")
        let tokenizer = try Fixtures.tokenizer("bpe_qwen2_tokenizer.json")
        #expect(ChatTemplate.detect(for: tokenizer) == .chatml)
        let withGemma = try tokenizer.adding([], chatTemplate: gemma)
        #expect(ChatTemplate.detect(for: withGemma) == nil)
        #expect(ChatTemplate.undetectedReason(for: withGemma).contains("none of the formats Lucid renders"))
        let deepseek = String(decoding: try Fixtures.data("hub-templates/deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja"), as: UTF8.self)
        #expect(ChatTemplate.detect(for: try tokenizer.adding([], chatTemplate: deepseek)) == .deepseekR1)
        let edited = deepseek.replacingOccurrences(of: #"{{'<｜Assistant｜><think>\n'}}"#,
                                                   with: #"{{'<｜Assistant｜><think>\n'}}{% if not enable_thinking %}{{- '</think>' -}}{% endif %}"#)
        #expect(edited != deepseek && ChatTemplate.detect(jinjaTemplate: edited) { _ in true } == nil)
        #expect(try ChatTemplate(named: "deepseek-r1") == .deepseekR1 && ChatTemplate.deepseekR1.rendersBOS)
    }

    /// Function-calling fine-tunes of Llama 3 and 3.1 keep the header tokens but write system turns of their own:
    /// functionary v3.1 a `Cutting Knowledge Date` turn without `Today Date`, v3.2 and firefunction v2 their
    /// function definitions. transformers renders none of their prompts as llama-3.1 or llama-3 does (34 of 34
    /// conversations differ, or firefunction's fails without `functions`), so they are refused, not read as those.
    @Test func functionCallingLlamaTemplatesAreRefused() throws {
        for file in ["meetkai-functionary-medium-v3.1", "meetkai-functionary-medium-v3.2", "fireworks-ai-llama-3-firefunction-v2"] {
            let source = String(decoding: try Fixtures.data("hub-templates/\(file).jinja"), as: UTF8.self)
            #expect(source.contains("<|start_header_id|>"))
            #expect(ChatTemplate.detect(jinjaTemplate: source) { _ in true } == nil, "\(file)")
        }
    }
}
