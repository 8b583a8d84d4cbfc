import Foundation
import LucidText
import Testing

/// Templates as the Hub serves them (Fixtures/hub-templates: Llama 3.1–3.3, Llama 3.2, Qwen2.5 Instruct), each
/// detected from its own text, then rendered against transformers' `render_jinja_template`
/// (scripts/make_hub_chat_fixtures.py).
@Suite("Hub chat templates")
struct HubChatTemplateTests {
    struct Golden: Decodable {
        struct Case: Decodable {
            let source: String
            let messages: [ChatTemplateTests.Golden.Message]
            let add_generation_prompt: Bool
            let date: String?
            let text: String
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
        #expect(golden.cases.count == 70)
        for item in golden.cases {
            let file = try #require(golden.files[item.source])
            var template = try #require(ChatTemplate.detect(jinjaTemplate: String(decoding: try Fixtures.data(file), as: UTF8.self)) { _ in false })
            if let date = item.date { template = .llama31(todayDate: date) }
            let messages = try item.messages.map { message in
                ChatMessage(role: try #require(ChatMessage.Role(rawValue: message.role)), content: message.content,
                            imageCount: message.images ?? 0)
            }
            #expect(try template.render(messages, addGenerationPrompt: item.add_generation_prompt) == item.text,
                    "\(item.source) date=\(item.date ?? "default") agp=\(item.add_generation_prompt) \(item.messages.map(\.role))")
        }
    }

    /// A template none of Lucid's formats is refused, not guessed from the vocabulary: DeepSeek-R1's distills
    /// keep Qwen's and Llama 3's chat tokens, which would otherwise select chatml or llama-3.
    @Test func aTemplateOfAnotherFormatIsNotGuessedFromTheVocabulary() throws {
        let deepseek = String(decoding: try Fixtures.data("hub-templates/deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja"), as: UTF8.self)
        #expect(ChatTemplate.detect(jinjaTemplate: deepseek) { _ in true } == nil)
        #expect(ChatTemplate.detect(jinjaTemplate: nil) { $0 == "<|im_start|>" } == .chatml, "without a template the vocabulary still decides")
        let tokenizer = try Fixtures.tokenizer("bpe_qwen2_tokenizer.json")
        #expect(ChatTemplate.detect(for: tokenizer) == .chatml)
        let withDeepseek = try tokenizer.adding([], chatTemplate: deepseek)
        #expect(ChatTemplate.detect(for: withDeepseek) == nil)
        #expect(ChatTemplate.undetectedReason(for: withDeepseek).contains("none of the formats Lucid renders"))
    }
}
