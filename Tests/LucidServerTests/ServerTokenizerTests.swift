import Foundation
import Hummingbird
import HummingbirdTesting
import LucidPipeline
import LucidRuns
@testable import LucidServer
import LucidText
import Testing

/// vLLM's `/tokenizer_info`, `/tokenize` and `/detokenize` on SmolLM2, as lm-evaluation-harness's remote
/// tokenizer calls them (`check_remote_tokenizer_support`, `RemoteTokenizer`): the served model's own tokenizer.
@Suite("server tokenizer routes", .serialized)
struct ServerTokenizerTests {
    func post(_ uri: String, _ fields: [String: JSONValue], client: any TestClientProtocol) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .post, headers: jsonHeaders, body: ByteBuffer(string: try JSONValue.object(fields).canonicalText()))
    }

    @Test func theRoutesTokenizeAsTheServedModelDoesForLMEvalsRemoteTokenizer() async throws {
        let tokenizer = try ModelRegistry.standard.tokenizer(for: "smollm2")
        let text = "The capital of France is Paris. Héllo 東京"
        let (info, plain, eos, chat, back) = try await TestServer(model: "smollm2").test { client in
            (try await client.execute(uri: "/tokenizer_info", method: .get),
             try await post("/tokenize", ["prompt": .string(text), "add_special_tokens": false, "return_token_strs": true], client: client),
             try await post("/tokenize", ["prompt": .string(tokenizer.token(for: tokenizer.eosID ?? -1) ?? ""), "add_special_tokens": false], client: client),
             try await post("/tokenize", ["messages": .array([.object(["role": "user", "content": "hi"])])], client: client),
             try await post("/detokenize", ["tokens": .array(tokenizer.encode(text, addSpecialTokens: false).map(JSONValue.int))], client: client))
        }
        // check_remote_tokenizer_support: an object with `eos_token`, then a list of tokens for "test".
        let fields = try json(info)
        let eosID = try #require(tokenizer.eosID)
        #expect(info.status == .ok && fields["eos_token"]?.stringValue == tokenizer.token(for: eosID))
        #expect(fields["chat_template"]?.stringValue == tokenizer.chatTemplate && fields["model_max_length"]?.intValue != nil)
        let ids = tokenizer.encode(text, addSpecialTokens: false)
        #expect(try json(plain)["tokens"]?.arrayValue?.compactMap { $0.intValue } == ids)
        #expect(try json(plain)["count"]?.intValue == ids.count)
        #expect(try json(plain)["token_strs"]?.arrayValue?.compactMap { $0.stringValue } == ids.compactMap { tokenizer.token(for: $0) })
        // RemoteTokenizer.eos_token_id is encode(eos_token)[0].
        #expect(try json(eos)["tokens"]?.arrayValue?.first?.intValue == tokenizer.eosID)
        let template = try #require(try ModelRegistry.standard.open("smollm2").chatTemplate(for: tokenizer))
        #expect(try json(chat)["tokens"]?.arrayValue?.compactMap { $0.intValue } == (try tokenizer.encode(chat: [.user("hi")], template: template)))
        #expect(try json(back)["prompt"]?.stringValue == text)
    }

    /// The tokenizer routes wait for their work on the server's tokenizer queue, holding no HTTP thread: with that
    /// queue held, two `/tokenize` requests (as many as the test server has threads) stay unanswered while `/health`
    /// is answered, and are answered once it runs. In-process: over a live connection `/health` could queue behind
    /// the waiting requests on the client's side.
    @Test func tokenizingWaitsOnItsQueueHoldingNoHTTPThread() async throws {
        let queue = DispatchQueue(label: "lucid.test.tokenizer", attributes: .concurrent)
        queue.suspend()
        let answered = Counter()
        let (healthy, waiting, statuses) = try await TestServer(model: "smollm2", tokenizerQueue: queue).test { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for text in ["a b c", "d e f"] {
                    group.addTask {
                        let response = try await post("/tokenize", ["prompt": .string(text)], client: client)
                        answered.increment()
                        return response.status
                    }
                }
                let health = try await client.execute(uri: "/health", method: .get)
                let waiting = answered.value
                queue.resume()
                var statuses: [HTTPResponse.Status] = []
                for try await status in group { statuses.append(status) }
                return (health.status == .ok, waiting, statuses)
            }
        }
        #expect(healthy && waiting == 0, "answered before the queue ran: \(waiting)")
        #expect(statuses == [.ok, .ok])
    }

    /// At most `maxConcurrent + maxQueue` tokenizer requests wait or run (2 here): with the queue held and two waiting,
    /// a third gets 429 `queue_full` with Retry-After at once, `/metrics` counts the two, and once the queue runs both
    /// are answered and a request is admitted again.
    @Test func tokenizerRequestsPastTheQueueLimitGet429() async throws {
        var limits = TestServer.limits
        (limits.maxConcurrent, limits.maxQueue) = (1, 1)
        let (server, queue, line, _) = try TestServer.heldTokenizer(model: "smollm2", limits: limits)
        let (third, metrics, statuses, after) = try await server.test { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for text in ["a b c", "d e f"] {
                    group.addTask { try await post("/tokenize", ["prompt": .string(text)], client: client).status }
                }
                for _ in 0..<6_000 where line.waiting < 2 { try await Task.sleep(for: .milliseconds(5)) }
                try #require(line.waiting == 2, "the two requests were not admitted within 30 s")
                // On the server's test threads: on the cooperative pool, which the rest of the suite fills with model
                // work, these tasks once waited over 60 s for a thread.
                let third = Task(executorPreference: ServerTestExecutor.shared) {
                    try await post("/detokenize", ["tokens": .array([1])], client: client)
                }
                let answered = Counter()
                Task(executorPreference: ServerTestExecutor.shared) { _ = try? await third.value; answered.increment() }
                // Answered at once with the limit; a generous bound, since the suite runs beside this test.
                for _ in 0..<6_000 where answered.value == 0 { try await Task.sleep(for: .milliseconds(10)) }
                let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                let atOnce = answered.value == 1  // else it waited: the limit did not hold
                queue.resume()
                var statuses: [HTTPResponse.Status] = []
                for try await status in group { statuses.append(status) }
                let after = try await post("/tokenize", ["prompt": "g"], client: client).status
                return (atOnce ? try await third.value : nil, metrics, statuses, after)
            }
        }
        let full = try #require(third, "the third request waited instead of getting 429")
        #expect(full.status == .tooManyRequests && full.headers[.retryAfter] == "1")
        #expect(try json(full)["error"]?["code"]?.stringValue == "queue_full")
        #expect(metrics.contains("lucid_tokenizer_requests 2"), "\(metrics)")
        #expect(statuses == [.ok, .ok] && after == .ok)
        #expect(line.waiting == 0)
    }

    /// A chat request's and a text completion's prompts are encoded on the tokenizer line before they are queued, not on
    /// the model's thread: with the line held, both wait admitted there while nothing reaches the model (a 15 MB message
    /// encoded on the model's thread held a running stream 2.2 s), and both are answered once the line runs.
    @Test func promptsAreEncodedOnTheTokenizerLineBeforeTheModelSeesThem() async throws {
        let (server, queue, line, worker) = try TestServer.heldTokenizer()
        let (held, statuses) = try await server.test { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                group.addTask { try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: chatBody("hi")).status }
                group.addTask {
                    let body = ByteBuffer(string: try JSONValue.object(["prompt": "a red square", "max_tokens": 2]).canonicalText())
                    return try await client.execute(uri: "/v1/completions", method: .post, headers: jsonHeaders, body: body).status
                }
                for _ in 0..<6_000 where line.waiting < 2 { try await Task.sleep(for: .milliseconds(5)) }
                let held = (line.waiting, worker.inFlight)
                queue.resume()
                var statuses: [HTTPResponse.Status] = []
                for try await status in group { statuses.append(status) }
                return (held, statuses)
            }
        }
        #expect(held == (2, 0), "waiting on the line, and queued for the model: \(held)")
        #expect(statuses == [.ok, .ok])
    }

    /// Bodies and texts over the bulk threshold (1,000 bytes here) have queues of their own: with those held, a
    /// `/tokenize`, a chat request and a body that is not JSON, 2,000 bytes each, wait to be parsed while a short chat
    /// request is answered; once parsing runs, the bad body gets 400 and the two others wait to be tokenized while
    /// another short request is answered; then both are answered.
    @Test func largeBodiesAndTextsWaitOnTheirOwnLinesWhileShortRequestsAreAnswered() async throws {
        let (bulkQueue, parseQueue) = (DispatchQueue(label: "lucid.test.tokenizer.bulk"), DispatchQueue(label: "lucid.test.parse"))
        bulkQueue.suspend()
        parseQueue.suspend()
        let server = try TestServer(bulk: (bulkQueue, parseQueue, 1_000))
        let line = server.server.tokenizer
        let long = String(repeating: "a red square ", count: 160)
        let bad = Counter()
        let (parsing, tokenizing, shorts, statuses) = try await server.test { client in
            try await withThrowingTaskGroup(of: (String, HTTPResponse.Status).self) { group in
                group.addTask {
                    let body = ByteBuffer(string: try JSONValue.object(["prompt": .string(long)]).canonicalText())
                    return ("tokenize", try await client.execute(uri: "/tokenize", method: .post, headers: jsonHeaders, body: body).status)
                }
                group.addTask {
                    let response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: chatBody(long))
                    return (try json(response)["error"]?["code"]?.stringValue ?? "chat", response.status)
                }
                group.addTask {
                    let body = ByteBuffer(string: "{\"messages\": \"" + long)
                    let status = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: body).status
                    bad.increment()
                    return ("bad", status)
                }
                for _ in 0..<6_000 where line.waiting < 3 { try await Task.sleep(for: .milliseconds(5)) }
                let parsing = line.waiting
                let first = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: chatBody("hi")).status
                parseQueue.resume()
                for _ in 0..<6_000 where bad.value == 0 || line.waiting != 2 { try await Task.sleep(for: .milliseconds(5)) }
                let tokenizing = (line.waiting, bad.value)
                let second = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: chatBody("hi")).status
                bulkQueue.resume()
                var statuses: [String: HTTPResponse.Status] = [:]
                for try await (name, status) in group { statuses[name] = status }
                return (parsing, tokenizing, [first, second], statuses)
            }
        }
        #expect(parsing == 3)
        #expect(tokenizing == (2, 1))
        #expect(shorts == [.ok, .ok])
        // The chat request's 2,000 bytes are over shapes-tiny's context: refused once encoded, which is after its wait.
        #expect(statuses == ["tokenize": .ok, "context_length_exceeded": .badRequest, "bad": .badRequest], "\(statuses)")
    }

    @Test func badTokenizerRequestsAreRefusedNamingTheField() async throws {
        let cases: [(String, [String: JSONValue], String)] = [
            ("/tokenize", [:], "prompt"),
            ("/tokenize", ["prompt": 5], "prompt"),
            ("/tokenize", ["prompt": "a", "messages": .array([.object(["role": "user", "content": "hi"])])], "prompt"),
            ("/tokenize", ["prompt": "a", "add_special_tokens": "no"], "add_special_tokens"),
            ("/tokenize", ["messages": .array([.object(["role": "wizard", "content": "hi"])])], "messages[0].role"),
            ("/tokenize", ["prompt": "a", "model": "other"], "model"),
            // An image part to a text-only model; a remote image URL (never fetched).
            ("/tokenize", ["messages": .array([.object(["role": "user", "content": .array([
                .object(["type": "text", "text": "hi"]),
                .object(["type": "image_url", "image_url": .object(["url": .string(dataURL(try FamilyServeTests.picture(width: 8, height: 8)))])]),
            ])])])], "messages"),
            ("/tokenize", ["messages": .array([.object(["role": "user", "content": .array([
                .object(["type": "image_url", "image_url": .object(["url": "https://example.com/a.png"])]),
            ])])])], "messages[0].content[0].image_url.url"),
            ("/detokenize", [:], "tokens"),
            ("/detokenize", ["tokens": .array([1, -1])], "tokens"),
            ("/detokenize", ["tokens": .array([99_999_999])], "tokens"),
            ("/detokenize", ["tokens": .array(["a"])], "tokens"),
        ]
        let responses = try await TestServer(model: "smollm2").test { client in
            var responses: [TestResponse] = []
            for (uri, fields, _) in cases { responses.append(try await post(uri, fields, client: client)) }
            return responses
        }
        let locked = try await TestServer(model: "smollm2", apiKey: "k").test { client in
            try await client.execute(uri: "/tokenizer_info", method: .get)
        }
        for (response, item) in zip(responses, cases) {
            #expect((400..<500).contains(Int(response.status.code)), "\(item.0) \(item.1)")
            #expect(try json(response)["error"]?["param"]?.stringValue == item.2, "\(item.0) \(item.1): \(String(buffer: response.body))")
        }
        #expect(locked.status == .unauthorized)
    }
}

/// A count several tasks add to.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}
