import Foundation
import LucidText
import Testing

/// Llama 3.1–3.3 Instruct: the templates as the Hub serves them (Fixtures/llama-3.x), rendered by transformers'
/// `render_jinja_template` (scripts/make_llama3x_chat_fixtures.py), against `llama-3.1`.
@Suite("Llama 3.1 chat template")
struct Llama31ChatTemplateTests {
    struct Golden: Decodable {
        struct Case: Decodable {
            let source: String
            let messages: [ChatTemplateTests.Golden.Message]
            let add_generation_prompt: Bool
            let date: String?
            let text: String
        }
        let cases: [Case]
    }

    static let files = ["llama-3.1": "llama-3.x/meta-llama-Llama-3.1-8B-Instruct.jinja",
                        "llama-3.2": "llama-3.x/meta-llama-Llama-3.2-3B-Instruct.jinja"]

    @Test func theHubsTemplatesAreDetectedWithTheirFallbackDate() throws {
        for (name, file) in Self.files {
            let source = String(decoding: try Fixtures.data(file), as: UTF8.self)
            let detected = try #require(ChatTemplate.detect(jinjaTemplate: source) { _ in false })
            #expect(detected == .llama31(todayDate: "26 Jul 2024"), "\(name)")
            #expect(detected.name == "llama-3.1" && detected.rendersBOS)
        }
        // Llama 3's own template has no such system turn.
        let llama3 = try ChatTemplateTests.golden().template_sources["llama-3"]
        #expect(ChatTemplate.detect(jinjaTemplate: llama3) { _ in false } == .llama3)
        #expect(try ChatTemplate(named: "llama-3.1") == .llama31())
    }

    @Test func everyConversationRendersAsTransformersRendersTheTemplate() throws {
        let golden = try JSONDecoder().decode(Golden.self, from: Fixtures.data("llama3x_chat_golden.json"))
        #expect(golden.cases.count == 56)
        for item in golden.cases {
            let template = ChatTemplate.llama31(todayDate: item.date ?? "26 Jul 2024")
            let messages = try item.messages.map { message in
                ChatMessage(role: try #require(ChatMessage.Role(rawValue: message.role)), content: message.content,
                            imageCount: message.images ?? 0)
            }
            #expect(try template.render(messages, addGenerationPrompt: item.add_generation_prompt) == item.text,
                    "\(item.source) date=\(item.date ?? "default") agp=\(item.add_generation_prompt) \(item.messages.map(\.role))")
        }
    }
}
