import Foundation
import Hummingbird
import HummingbirdTesting
import LucidPipeline
import LucidRuns
import LucidServer
import LucidTestSupport
import LucidText
import Testing

/// The template a server renders requests with: the model's, or the one it is given when the model's Jinja
/// template is none Lucid renders (a request then says why, instead of being prompted in a guessed format).
@Suite("server chat templates", .serialized)
struct ServerTemplateTests {
    @Test func aWorkerRendersWithTheTemplateItIsGivenAndOtherwiseSaysWhyItHasNoneButCompletesRawPrompts() async throws {
        let copy = try TinyModelCopy.make("qwen2-vl", addedTokens: [("<|im_start|>", 141), ("<|im_end|>", 142)],
                                          chatTemplate: "{{ bos_token }}{% for m in messages %}{{ '<｜User｜>' + m['content'] }}{% endfor %}")
        defer { try? FileManager.default.removeItem(at: copy) }
        let message: JSONValue = .object(["role": "user", "content": "hello"])
        let request = ByteBuffer(string: try JSONValue.object(["model": .string(copy.path), "messages": .array([message]),
                                                               "max_tokens": 2]).canonicalText())

        let none = try TestServer(model: copy.path)
        #expect(none.server.worker.template == nil)
        // Raw prompts need no template: a base model is served for text completions.
        let raw = ByteBuffer(string: try JSONValue.object(["model": .string(copy.path), "prompt": "hello", "max_tokens": 2]).canonicalText())
        let (refused, completed) = try await none.test { client in
            (try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: request),
             try await client.execute(uri: "/v1/completions", method: .post, headers: jsonHeaders, body: raw))
        }
        #expect(refused.status == .internalServerError)
        #expect(String(buffer: refused.body).contains("none of the formats Lucid renders"), "\(String(buffer: refused.body))")
        #expect(String(buffer: refused.body).contains("/v1/completions"))
        #expect(completed.status == .ok, "\(String(buffer: completed.body))")

        let given = try TestServer(model: copy.path, template: .chatml)
        #expect(given.server.worker.template == .chatml)
        let answered = try await given.test { client in
            try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: request)
        }
        #expect(answered.status == .ok, "\(String(buffer: answered.body))")
    }

    /// `chat_template_kwargs` (vLLM's field) reaches the template: Qwen3's `enable_thinking: false` closes an
    /// empty `<think>` block after the generation prompt, so the prompt is the one `qwen3-no-thinking` encodes;
    /// a name Lucid cannot honour, or a value of the wrong type, is a 400 naming it.
    @Test func chatTemplateKeywordsReachTheTemplateAndOthersAreRefused() async throws {
        let qwen3 = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("LucidTextTests/Fixtures/hub-templates/Qwen-Qwen3-0.6B.jinja")
        let copy = try TinyModelCopy.make("qwen2-vl", addedTokens: [("<|im_start|>", 141), ("<|im_end|>", 142)],
                                          chatTemplate: try String(contentsOf: qwen3, encoding: .utf8))
        defer { try? FileManager.default.removeItem(at: copy) }
        let server = try TestServer(model: copy.path)
        #expect(server.server.worker.template == .qwen3)
        let tokenizer = try ModelRegistry.standard.tokenizer(for: copy.path)
        let chat = [ChatMessage.user("hello")]
        let thinking = try tokenizer.encode(chat: chat, template: .qwen3).count
        let answering = try tokenizer.encode(chat: chat, template: .qwen3(enableThinking: false)).count
        #expect(answering > thinking)

        func body(_ kwargs: JSONValue?) throws -> ByteBuffer {
            var object: [String: JSONValue] = ["messages": .array([.object(["role": "user", "content": "hello"])]), "max_tokens": 1]
            if let kwargs { object["chat_template_kwargs"] = kwargs }
            return ByteBuffer(string: try JSONValue.object(object).canonicalText())
        }
        let cases: [(JSONValue?, HTTPResponse.Status, String)] = [
            (nil, .ok, "\(thinking)"), (.object(["enable_thinking": .bool(true)]), .ok, "\(thinking)"),
            (.object(["enable_thinking": .bool(false)]), .ok, "\(answering)"),
            (.object(["date_string": .string("01 Jan 2025")]), .ok, "\(thinking)"),  // read by Llama 3.1's format only
            (.object(["enable_thinking": .string("no")]), .badRequest, "chat_template_kwargs.enable_thinking"),
            (.object(["tools_in_user_message": .bool(true)]), .badRequest, "chat_template_kwargs.tools_in_user_message"),
            (.object(["date_string": .string("")]), .badRequest, "chat_template_kwargs.date_string"),
            (.array([]), .badRequest, "chat_template_kwargs"),
        ]
        let bodies = try cases.map { try body($0.0) }
        let replies = try await server.test { client in
            var replies: [(HTTPResponse.Status, JSONValue)] = []
            for request in bodies {
                let response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: request)
                replies.append((response.status, try json(response)))
            }
            return replies
        }
        for (item, reply) in zip(cases, replies) {
            #expect(reply.0 == item.1, "\(String(describing: item.0)): \(reply.1)")
            if item.1 == .ok {
                #expect(reply.1["usage"]?["prompt_tokens"]?.intValue.map(String.init) == item.2, "\(String(describing: item.0))")
            } else {
                #expect(reply.1["error"]?["param"]?.stringValue == item.2, "\(reply.1)")
            }
        }
        // Llama 3.1's format reads date_string.
        var request = try ChatRequest(json: .object(["messages": .array([.object(["role": "user", "content": "hi"])]),
                                                     "chat_template_kwargs": .object(["date_string": .string("01 Jan 2025")])]),
                                      limits: TestServer.limits)
        #expect(request.template(from: .llama31()).todayDate == "01 Jan 2025")
        request.dateString = nil
        #expect(request.template(from: .llama31()) == .llama31())
    }
}
