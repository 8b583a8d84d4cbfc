import Foundation
import LucidText
import Testing

/// InstructBLIP's prompt ids against transformers' `InstructBlipProcessor` (instructblip_prompts.json,
/// scripts/make_instructblip_prompt_fixture.py): the image tokens, then the prompt as the tokenizer
/// encodes it alone, BOS first; Lucid writes one placeholder per image, which the model expands to
/// the query tokens the processor writes.
@Suite("InstructBLIP prompts")
struct InstructBlipPromptTests {
    struct Golden: Decodable {
        struct Case: Decodable {
            let prompt: String
            let input_ids: [Int]
        }
        let image_token_id: Int
        let num_query_tokens: Int
        let cases: [Case]
    }

    @Test func promptIDsAreTheProcessorsWithOnePlaceholderAnImage() throws {
        let golden = try JSONDecoder().decode(Golden.self, from: Fixtures.data("instructblip_prompts.json"))
        let tokenizer = try Fixtures.tokenizer("spm_image_tokenizer.json")
        #expect(tokenizer.id(for: ChatTemplate.instructBlipImageToken) == golden.image_token_id)
        #expect(golden.cases.count == 3)
        for item in golden.cases {
            let queries = Array(item.input_ids.prefix(golden.num_query_tokens))
            #expect(queries == [Int](repeating: golden.image_token_id, count: golden.num_query_tokens), "\(item.prompt)")
            let expected = [golden.image_token_id] + item.input_ids.dropFirst(golden.num_query_tokens)
            #expect(try tokenizer.encode(chat: [.user(item.prompt, images: 1)], template: .instructBlip) == expected, "\(item.prompt)")
            // Without an image: the text alone, as the processor's tokenizer encodes it.
            #expect(try tokenizer.encode(chat: [.user(item.prompt)], template: .instructBlip) == Array(item.input_ids.dropFirst(golden.num_query_tokens)))
        }
        // Text rendered and then encoded would put BOS before the image tokens: rendering is refused.
        #expect { _ = try ChatTemplate.instructBlip.render([.user("What is it?", images: 2)]) } throws: { "\($0)".contains("has no text form") }
    }

    @Test func aConversationOrAMissingImageTokenIsRefused() throws {
        let tokenizer = try Fixtures.tokenizer("spm_image_tokenizer.json")
        for messages: [ChatMessage] in [[.system("Be brief."), .user("Hi")], [.user("Hi"), .assistant("Hello"), .user("And?")], [.assistant("Hi")]] {
            #expect { _ = try tokenizer.encode(chat: messages, template: .instructBlip) } throws: {
                "\($0)".contains("InstructBLIP has no chat format: give one user message")
            }
        }
        let plain = try Fixtures.tokenizer("spm_tokenizer.json")
        #expect { _ = try plain.encode(chat: [.user("Hi", images: 1)], template: .instructBlip) } throws: {
            "\($0)".contains("the tokenizer has no <image> token")
        }
        #expect(try ChatTemplate(named: "instructblip") == .instructBlip)
    }
}
