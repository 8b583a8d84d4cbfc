import Foundation
import LucidText
import Testing

/// Renderings compared with the real Jinja templates (SmolLM2's from its GGUF, the
/// others as shipped on the Hub) rendered by jinja2, and FastChat for vicuna.
@Suite("Chat templates")
struct ChatTemplateTests {
    struct Golden: Decodable {
        struct Message: Decodable {
            let role: String
            let content: String
            let images: Int?
        }
        struct Case: Decodable {
            let template: String
            let source: String
            let messages: [Message]
            let add_generation_prompt: Bool
            let text: String?
            let error: String?
        }
        let template_sources: [String: String]
        let cases: [Case]
    }

    static func golden() throws -> Golden {
        try JSONDecoder().decode(Golden.self, from: Fixtures.data("chat_golden.json"))
    }

    static func template(for item: Golden.Case, sources: [String: String]) throws -> ChatTemplate {
        if item.template == "chatml" || item.template == "llava-onevision" || item.template == "qwen2-vl" {
            let detected = try #require(ChatTemplate.detect(jinjaTemplate: sources[item.source]) { _ in false })
            #expect(detected.name == item.template, "\(item.source) detected as \(detected.name)")
            return detected
        }
        return try ChatTemplate(named: item.template)
    }

    @Test("every built-in template renders exactly what the model's Jinja template renders")
    func renderingsMatchJinja() throws {
        let golden = try Self.golden()
        #expect(golden.cases.count >= 60)
        for item in golden.cases {
            let template = try Self.template(for: item, sources: golden.template_sources)
            let messages = try item.messages.map { message in
                ChatMessage(role: try #require(ChatMessage.Role(rawValue: message.role)),
                            content: message.content, imageCount: message.images ?? 0)
            }
            let label = "\(item.source) agp=\(item.add_generation_prompt) \(item.messages.map(\.role))"
            if let expected = item.text {
                #expect(try template.render(messages, addGenerationPrompt: item.add_generation_prompt) == expected, "\(label)")
            } else {
                #expect(throws: ChatTemplateError.self, "\(label)") {
                    try template.render(messages, addGenerationPrompt: item.add_generation_prompt)
                }
            }
        }
    }

    @Test("chatml default system prompts are read from SmolLM2's, Qwen2's and Qwen2-VL's templates")
    func defaultSystemPromptIsDetected() throws {
        let sources = try Self.golden().template_sources
        let smol = try #require(ChatTemplate.detect(jinjaTemplate: sources["smollm2"]) { _ in false })
        #expect(smol == .chatml(defaultSystemPrompt: "You are a helpful AI assistant named SmolLM, trained by Hugging Face"))
        let qwen = try #require(ChatTemplate.detect(jinjaTemplate: sources["qwen2"]) { _ in false })
        #expect(qwen == .chatml(defaultSystemPrompt: "You are a helpful assistant."))
        let qwenVL = try #require(ChatTemplate.detect(jinjaTemplate: sources["qwen2-vl"]) { _ in false })
        #expect(qwenVL == .qwen2VL(defaultSystemPrompt: "You are a helpful assistant."))
    }

    @Test("templates are recognised from their Jinja source")
    func detectsFromJinja() throws {
        let sources = try Self.golden().template_sources
        #expect(ChatTemplate.detect(jinjaTemplate: sources["llama-2"]) { _ in false } == .llama2)
        #expect(ChatTemplate.detect(jinjaTemplate: sources["llama-3"]) { _ in false } == .llama3)
        #expect(ChatTemplate.detect(jinjaTemplate: sources["llava-1.5"]) { _ in false } == .llava15)
        #expect(ChatTemplate.detect(jinjaTemplate: "{{ 'USER: ' + m + ' ASSISTANT:' }}") { _ in false } == .vicuna)
    }

    @Test("without a template the vocabulary decides")
    func detectsFromVocabulary() {
        #expect(ChatTemplate.detect(jinjaTemplate: nil) { $0 == "<|im_start|>" } == .chatml)
        #expect(ChatTemplate.detect(jinjaTemplate: nil) { ["<|im_start|>", "<|image_pad|>"].contains($0) } == .qwen2VL(defaultSystemPrompt: nil))
        #expect(ChatTemplate.detect(jinjaTemplate: nil) { $0 == "<|start_header_id|>" } == .llama3)
        #expect(ChatTemplate.detect(jinjaTemplate: nil) { $0 == "[INST]" } == .llama2)
        #expect(ChatTemplate.detect(jinjaTemplate: nil) { _ in false } == nil)
    }

    @Test("templates can be chosen by name, and unknown names list the known ones")
    func namedSelection() throws {
        #expect(try ChatTemplate(named: "llava-1.5") == .llava15)
        #expect(try ChatTemplate(named: "Vicuna") == .vicuna)
        #expect(ChatTemplate.knownNames == ["llava-1.5", "chatml", "llama-2", "llama-3", "llama-3.1", "vicuna", "llava-onevision", "qwen2-vl", "instructblip", "qwen3", "mistral-nemo", "deepseek-r1", "qwen3-no-thinking"])
        #expect(throws: ChatTemplateError.unknownTemplate(name: "alpaca", known: ChatTemplate.knownNames)) {
            try ChatTemplate(named: "alpaca")
        }
        let error = ChatTemplateError.unknownTemplate(name: "alpaca", known: ChatTemplate.knownNames)
        #expect(error.description.contains("llava-1.5, chatml, llama-2, llama-3, llama-3.1, vicuna"))
    }

    @Test("llava-1.5 renders the llava-hf prompt with the image placeholder first")
    func llavaPrompt() throws {
        let text = try ChatTemplate.llava15.render([.user("What is shown?", images: 1)])
        #expect(text == "USER: <image>\nWhat is shown? ASSISTANT:")
    }

    @Test("llama-2 rejects conversations whose roles do not alternate")
    func llama2RequiresAlternation() {
        #expect(throws: ChatTemplateError.rolesMustAlternate(messageIndex: 1)) {
            try ChatTemplate.llama2.render([.user("a"), .user("b")])
        }
    }

    @Test("encode(chat:) adds BOS only for templates that do not spell it out")
    func chatEncodingHandlesBOS() throws {
        let spm = try Fixtures.tokenizer("spm_tokenizer.json")
        let bos = try #require(spm.bosID)
        let vicuna = try spm.encode(chat: [.user("Hi")], template: .vicuna)
        #expect(vicuna.first == bos)
        #expect(vicuna.dropFirst().first != bos)
        let llama = try spm.encode(chat: [.user("Hi")], template: .llama2)
        #expect(llama.first == bos)
        #expect(llama.dropFirst().first != bos)
        #expect(throws: ChatTemplateError.noTemplateDetected) { try spm.encode(chat: [.user("Hi")]) }
    }
}
