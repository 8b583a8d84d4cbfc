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
    @Test func aWorkerRendersWithTheTemplateItIsGivenAndOtherwiseSaysWhyItHasNone() async throws {
        let copy = try TinyModelCopy.make("qwen2-vl", addedTokens: [("<|im_start|>", 141), ("<|im_end|>", 142)],
                                          chatTemplate: "{{ bos_token }}{% for m in messages %}{{ '<｜User｜>' + m['content'] }}{% endfor %}")
        defer { try? FileManager.default.removeItem(at: copy) }
        let message: JSONValue = .object(["role": "user", "content": "hello"])
        let request = ByteBuffer(string: try JSONValue.object(["model": .string(copy.path), "messages": .array([message]),
                                                               "max_tokens": 2]).canonicalText())

        let none = try TestServer(model: copy.path)
        #expect(none.server.worker.template == nil)
        let refused = try await none.test { client in
            try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: request)
        }
        #expect(refused.status == .internalServerError)
        #expect(String(buffer: refused.body).contains("none of the formats Lucid renders"), "\(String(buffer: refused.body))")

        let given = try TestServer(model: copy.path, template: .chatml)
        #expect(given.server.worker.template == .chatml)
        let answered = try await given.test { client in
            try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: request)
        }
        #expect(answered.status == .ok, "\(String(buffer: answered.body))")
    }
}
