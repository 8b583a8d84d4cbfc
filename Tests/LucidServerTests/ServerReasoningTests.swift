import Foundation
import Hummingbird
import HummingbirdTesting
import LucidPipeline
import LucidRuns
import LucidServer
import LucidTestSupport
import LucidText
import Testing

/// A reasoning template's output (Qwen3 with thinking on) is answered as `content` and `reasoning` apart,
/// whole and streamed alike; `enable_thinking: false` and `--reasoning keep` answer it whole.
@Suite("server reasoning split", .serialized)
struct ServerReasoningTests {
    static let qwen3Template = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("LucidTextTests/Fixtures/hub-templates/Qwen-Qwen3-0.6B.jinja")
    static let chatTokens = [(content: "<|im_start|>", id: 141), (content: "<|im_end|>", id: 142)]

    static func body(stream: Bool = false, thinking: Bool? = nil) throws -> ByteBuffer {
        var object: [String: JSONValue] = ["messages": .array([.object(["role": "user", "content": "hello"])]), "max_tokens": 6,
                                           "stream": .bool(stream)]
        if let thinking { object["chat_template_kwargs"] = .object(["enable_thinking": .bool(thinking)]) }
        return ByteBuffer(string: try JSONValue.object(object).canonicalText())
    }

    static func reply(_ server: TestServer, _ bodies: [ByteBuffer]) async throws -> [TestResponse] {
        try await server.test { client in
            var responses: [TestResponse] = []
            for body in bodies {
                responses.append(try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: body))
            }
            return responses
        }
    }

    @Test func aReasoningModelsAnswerAndReasoningComeApartWholeAndStreamed() async throws {
        let template = try String(contentsOf: Self.qwen3Template, encoding: .utf8)
        // The tiny model's greedy tokens for the prompt; one of them then becomes a plain added `</think>`, so the
        // same prompt (which holds no `</think>`) gives the same tokens and an output that closes its reasoning.
        let plain = try TinyModelCopy.make("qwen2-vl", addedTokens: Self.chatTokens, chatTemplate: template)
        defer { try? FileManager.default.removeItem(at: plain) }
        let probe = try await Self.reply(try TestServer(model: plain.path, reasoning: .keep), [try Self.body()])
        let ids = try #require(try json(probe[0])["choices"]?.arrayValue?.first?["lucid"]?["token_ids"]?.arrayValue?.compactMap(\.intValue))
        try #require(ids.count == 6)
        // A later generated token past the 60 of the copy's tokenizer becomes `</think>`; the other ids up to the
        // chat tokens get words of their own, so that every token the model writes has text.
        let close = try #require(ids.dropFirst().first { (60..<141).contains($0) })
        let words = (60..<141).filter { $0 != close }.map { (content: "⟨\($0)⟩", id: $0) }
        let copy = try TinyModelCopy.make("qwen2-vl", addedTokens: Self.chatTokens, plainTokens: [("</think>", close)] + words,
                                          chatTemplate: template)
        defer { try? FileManager.default.removeItem(at: copy) }
        let output = try ModelRegistry.standard.tokenizer(for: copy.path).decode(ids, skipSpecialTokens: true)
        #expect(output.contains("</think>"))
        let expected = ReasoningSplitter.split(output)
        #expect(!expected.reasoning.isEmpty && !expected.answer.isEmpty)

        let server = try TestServer(model: copy.path)
        #expect(server.server.worker.template == ChatTemplate.qwen3)
        let responses = try await Self.reply(server, [try Self.body(), try Self.body(stream: true), try Self.body(thinking: false)])
        let message = try json(responses[0])["choices"]?.arrayValue?.first?["message"]
        #expect(try json(responses[0])["choices"]?.arrayValue?.first?["lucid"]?["token_ids"]?.arrayValue?.compactMap(\.intValue) == ids)
        #expect(message?["content"] == .string(expected.answer))
        #expect(message?["reasoning"] == .string(expected.reasoning))
        #expect(message?["reasoning_content"] == .string(expected.reasoning))

        let deltas = try events(responses[1]).dropLast().compactMap { try JSONValue.parse($0)["choices"]?.arrayValue?.first?["delta"] }
        let reasoning = deltas.compactMap { $0["reasoning"]?.stringValue }
        #expect(reasoning.joined() == expected.reasoning)
        #expect(deltas.compactMap { $0["reasoning_content"]?.stringValue } == reasoning)
        #expect(deltas.compactMap { $0["content"]?.stringValue }.joined() == expected.answer)
        let firstAnswer = deltas.firstIndex { !($0["content"]?.stringValue ?? "").isEmpty } ?? deltas.endIndex
        #expect(!deltas[firstAnswer...].contains { $0["reasoning"] != nil }, "the reasoning comes first")

        // With thinking off the prompt closes the block: the output is all answer.
        let answering = try json(responses[2])["choices"]?.arrayValue?.first
        #expect(answering?["message"]?["reasoning"] == nil)
        let answeringIDs = try #require(answering?["lucid"]?["token_ids"]?.arrayValue).compactMap(\.intValue)
        #expect(answering?["message"]?["content"]
                == .string(try ModelRegistry.standard.tokenizer(for: copy.path).decode(answeringIDs, skipSpecialTokens: true)))

        let kept = try await Self.reply(try TestServer(model: copy.path, reasoning: .keep), [try Self.body()])
        #expect(try json(kept[0])["choices"]?.arrayValue?.first?["message"] == .object(["role": "assistant", "content": .string(output)]))
    }

    /// `/tokenize` renders `messages` as a chat request with the same `chat_template_kwargs` would be rendered:
    /// `enable_thinking: false` closes Qwen3's empty thinking block, and an unknown keyword is refused.
    @Test func tokenizeRendersMessagesWithTheRequestsTemplateKeywords() async throws {
        let copy = try TinyModelCopy.make("qwen2-vl", addedTokens: Self.chatTokens, chatTemplate: try String(contentsOf: Self.qwen3Template, encoding: .utf8))
        defer { try? FileManager.default.removeItem(at: copy) }
        func body(_ keywords: [String: JSONValue]?) throws -> ByteBuffer {
            var object: [String: JSONValue] = ["messages": .array([.object(["role": "user", "content": "hello"])])]
            if let keywords { object["chat_template_kwargs"] = .object(keywords) }
            return ByteBuffer(string: try JSONValue.object(object).canonicalText())
        }
        let bodies = [try body(nil), try body(["enable_thinking": false]), try body(["bogus": 1])]
        let responses = try await TestServer(model: copy.path).test { client in try await client.postEach("/tokenize", bodies) }
        let tokenizer = try ModelRegistry.standard.tokenizer(for: copy.path)
        var closed = ChatTemplate.qwen3
        closed.enableThinking = false
        let ids = try responses.prefix(2).map { try json($0)["tokens"]?.arrayValue?.compactMap(\.intValue) }
        #expect(ids[0] == (try tokenizer.encode(chat: [.user("hello")], template: .qwen3)))
        #expect(ids[1] == (try tokenizer.encode(chat: [.user("hello")], template: closed)) && ids[1] != ids[0])
        let refused = try json(responses[2])["error"]?["param"]?.stringValue
        #expect(responses[2].status == .badRequest && refused == "chat_template_kwargs.bogus")
    }
}
