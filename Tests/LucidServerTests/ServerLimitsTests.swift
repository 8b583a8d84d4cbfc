import Foundation
import Hummingbird
import HummingbirdTesting
import LucidBuildInfo
import LucidPipeline
import LucidRuns
import LucidText
@testable import LucidServer
import Testing

/// Validation, limits, authentication and the small routes: every refusal is a 4xx OpenAI-style JSON
/// error and the server keeps serving.
@Suite("server limits", .serialized)
struct ServerLimitsTests {
    func expectError(_ response: TestResponse, _ status: HTTPResponse.Status, code: String? = nil, param: String? = nil,
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(response.status == status, sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
        let error = try #require(try json(response)["error"], sourceLocation: sourceLocation)
        let message = error["message"]?.stringValue ?? ""
        #expect(message.count > 0, sourceLocation: sourceLocation)
        if let code { #expect(error["code"]?.stringValue == code, sourceLocation: sourceLocation) }
        if let param { #expect(error["param"]?.stringValue == param, sourceLocation: sourceLocation) }
    }

    @Test func hostileBodiesGetJSONErrorsAndTheServerStaysUp() async throws {
        let png = try scenePNG()
        let cases: [(String, ByteBuffer, HTTPResponse.Status, String?, String?)] = [
            ("not JSON", ByteBuffer(string: "{\"messages\": [}"), .badRequest, "invalid_json", nil),
            ("not an object", ByteBuffer(string: "[1, 2]"), .badRequest, nil, nil),
            ("messages of the wrong type", ByteBuffer(string: #"{"messages": "hi"}"#), .badRequest, nil, "messages"),
            ("empty messages", ByteBuffer(string: #"{"messages": []}"#), .badRequest, nil, "messages"),
            ("an unknown role", ByteBuffer(string: #"{"messages": [{"role": "wizard", "content": "hi"}]}"#), .badRequest, nil, "messages[0].role"),
            ("negative max_tokens", chatBody("hi", extra: ["max_tokens": -1]), .badRequest, nil, "max_tokens"),
            ("max_tokens as a string", chatBody("hi", extra: ["max_tokens": "ten"]), .badRequest, nil, "max_tokens"),
            ("max_tokens over the limit", chatBody("hi", extra: ["max_tokens": 100_000]), .badRequest, nil, "max_tokens"),
            ("temperature out of range", chatBody("hi", extra: ["temperature": 7.5]), .badRequest, nil, "temperature"),
            ("an unknown decoding method", chatBody("hi", extra: ["decoding": .object(["method": "telepathy"])]), .badRequest, "unknown_decoding_method", "decoding.method"),
            ("a decoding option of the wrong type", chatBody("hi", extra: ["decoding": .object(["method": "beam", "beams": "many"])]), .badRequest, nil, "decoding.beams"),
            ("an unknown decoding option", chatBody("hi", extra: ["decoding": .object(["method": "greedy", "beams": 2])]), .badRequest, nil, "decoding.beams"),
            ("beams past the server's bound", chatBody("hi", extra: ["decoding": .object(["method": "beam", "beams": 64])]), .badRequest, nil, "decoding.beams"),
            ("vcd without an image", chatBody("hi", extra: ["decoding": .object(["method": "vcd"])]), .badRequest, nil, nil),
            ("n > 1 under greedy", chatBody("hi", extra: ["n": 3]), .badRequest, nil, "n"),
            ("invalid base64", chatBody("hi", imageURL: "data:image/png;base64,@@@not base64@@@"), .badRequest, "invalid_base64", nil),
            ("bytes that are no image", chatBody("hi", imageURL: "data:image/png;base64," + Data("hello".utf8).base64EncodedString()), .badRequest, "invalid_image", nil),
            ("a local path without an image root", chatBody("hi", imageURL: "/etc/passwd"), .badRequest, "local_path_refused", nil),
            ("a ../ path without an image root", chatBody("hi", imageURL: "file:///tmp/../etc/passwd"), .badRequest, "local_path_refused", nil),
            ("a remote URL", chatBody("hi", imageURL: "https://example.com/cat.png"), .badRequest, "remote_image_url", nil),
            ("tools", chatBody("hi", extra: ["tools": .array([])]), .badRequest, "unsupported_parameter", "tools"),
            ("another model", chatBody("hi", extra: ["model": "gpt-4o"]), .notFound, "model_not_found", "model"),
            ("an image in a system message", ByteBuffer(string: #"{"messages": [{"role": "system", "content": [{"type": "image_url", "image_url": {"url": "data:,"}}]}]}"#), .badRequest, nil, nil),
            ("an image past the pixel limit", chatBody("hi", imageURL: dataURL(png)), .contentTooLarge, "image_too_large", nil),
            ("a body past the size limit", ByteBuffer(string: String(repeating: " ", count: 5000) + "{}"), .contentTooLarge, "body_too_large", nil),
        ]
        var limits = TestServer.limits
        limits.maxImagePixels = 50 * 50
        limits.maxBodyBytes = 4096
        let responses = try await TestServer(limits: limits).test { client in
            var responses: [TestResponse] = []
            for (_, body, _, _, _) in cases {
                responses.append(try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: body))
            }
            responses.append(try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: chatBody("hi", extra: ["max_tokens": 3])))
            return responses
        }
        for (index, (name, _, status, code, param)) in cases.enumerated() {
            #expect(responses[index].status == status, "\(name)")
            try expectError(responses[index], status, code: code, param: param)
        }
        #expect(responses.last?.status == .ok)
    }

    @Test func aBearerKeyIsRequiredWhenSet() async throws {
        let statuses = try await TestServer(apiKey: "s3cret").test { client in
            [try await client.execute(uri: "/v1/models", method: .get).status,
             try await client.execute(uri: "/v1/models", method: .get, headers: [.authorization: "Bearer wrong"]).status,
             try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: chatBody("hi")).status,
             try await client.execute(uri: "/metrics", method: .get).status,
             try await client.execute(uri: "/health", method: .get).status,
             try await client.execute(uri: "/v1/models", method: .get, headers: [.authorization: "Bearer s3cret"]).status]
        }
        #expect(statuses == [.unauthorized, .unauthorized, .unauthorized, .unauthorized, .ok, .ok])
    }

    @Test func aFullQueueAnswers429WithRetryAfter() async throws {
        var limits = TestServer.limits
        limits.maxConcurrent = 1
        limits.maxQueue = 1
        let server = try TestServer(limits: limits)
        let worker = server.server.worker
        worker.pause()
        let (full, first, second, after) = try await server.test { client in
            async let a = client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: chatBody("one", extra: ["max_tokens": 3]))
            async let b = client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: chatBody("two", extra: ["max_tokens": 3]))
            var waited = 0
            while worker.inFlight < 2 && waited < 500 {
                try await Task.sleep(for: .milliseconds(10))
                waited += 1
            }
            let full = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: chatBody("three"))
            worker.resume()
            let (first, second) = try await (a, b)
            let after = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: chatBody("four", extra: ["max_tokens": 3]))
            return (full, first, second, after)
        }
        try expectError(full, .tooManyRequests, code: "queue_full")
        #expect(full.headers[.retryAfter] == "1")
        #expect(first.status == .ok && second.status == .ok && after.status == .ok)
    }

    @Test func imageRootAllowsItsFilesAndNothingOutside() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-serve-\(UUID().uuidString)")
        let root = base.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        let png = Data(try scenePNG())
        try png.write(to: root.appendingPathComponent("scene.png"))
        try png.write(to: base.appendingPathComponent("outside.png"))
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("link.png").path, withDestinationPath: base.appendingPathComponent("outside.png").path)
        let urls = [root.appendingPathComponent("scene.png").path, "file://" + root.appendingPathComponent("scene.png").path,
                    root.path + "/../outside.png", root.appendingPathComponent("link.png").path, root.path + "/missing.png"]
        let responses = try await TestServer(imageRoot: root.path).test { client in
            var responses: [TestResponse] = []
            for url in urls {
                responses.append(try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders,
                                                          body: chatBody("what is this?", imageURL: url, extra: ["max_tokens": 2])))
            }
            return responses
        }
        #expect(responses[0].status == .ok && responses[1].status == .ok)
        try expectError(responses[2], .badRequest, code: "path_outside_image_root")
        try expectError(responses[3], .badRequest, code: "path_outside_image_root")
        try expectError(responses[4], .badRequest, code: "invalid_image")
    }

    @Test func modelsHealthAndMetricsAnswer() async throws {
        let (models, health, metrics) = try await TestServer().test { client in
            _ = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: chatBody("hi", extra: ["max_tokens": 4]))
            _ = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: chatBody("hi", extra: ["max_tokens": -4]))
            return (try await client.execute(uri: "/v1/models", method: .get),
                    try await client.execute(uri: "/health", method: .get),
                    try await client.execute(uri: "/metrics", method: .get))
        }
        #expect(try json(models)["data"]?.arrayValue?.first?["id"]?.stringValue == "shapes-tiny")
        #expect(try json(health)["status"]?.stringValue == "ok")
        #expect(try json(health)["lucid"]?["version"]?.stringValue == LucidBuild.version)
        #expect(try json(health)["lucid"]?["commit"] == (LucidBuild.commit.map(JSONValue.string) ?? .null))
        let text = String(buffer: metrics.body)
        #expect(text.contains(#"lucid_requests_total{status="200"} 2"#))  // the completion and /v1/models
        #expect(text.contains(#"lucid_requests_total{status="400"} 1"#))
        let generated = text.split(separator: "\n").first { $0.hasPrefix("lucid_generated_tokens_total ") }
        #expect(generated.flatMap { Int($0.split(separator: " ").last ?? "") }.map { $0 >= 1 && $0 <= 4 } == true)
        #expect(text.contains("lucid_request_duration_seconds_bucket") && text.contains("lucid_queue_depth"))
        #expect(text.contains("lucid_time_to_first_token_seconds_count 1"))
        #expect(text.contains("lucid_active_generations 0.0"))
        #expect(text.contains(#"lucid_build_info{version="\#(LucidBuild.version)",commit="\#(LucidBuild.commit ?? "unknown")"} 1.0"#), "\(text)")
    }

    @Test func aServerCannotAdmitMoreImagesARequestThanAPromptTakes() throws {
        var limits = ServerLimits()
        limits.maxImagesPerRequest = OpenedModel.maximumImagesPerPrompt
        try limits.validate()
        limits.maxImagesPerRequest += 1
        #expect { try limits.validate() } throws: { "\($0)".contains("exceeds the \(OpenedModel.maximumImagesPerPrompt) a prompt takes") }
    }

    /// A prompt past `maxPromptTokens` is a 400 `context_length_exceeded`: its text alone before any image is
    /// preprocessed ("at least"), with its images' features counted when only they push it over.
    @Test func aPromptOverTheLimitIsRefusedAndItsTextFirst() async throws {
        let question = "what is in the image"
        let tokenizer = try ModelRegistry.standard.tokenizer(for: "shapes-tiny")
        var limits = TestServer.limits
        let server = try TestServer(limits: limits)
        let template = try #require(server.opened.chatTemplate(for: tokenizer))
        let ids = try tokenizer.encode(chat: [.user(question, images: 1)], template: template)
        let vision = try #require(server.opened.vision)
        #expect(vision.imageFeatureCount > 2)
        limits.maxPromptTokens = ids.count + 1  // the text fits, its image's features do not
        let image = dataURL(try scenePNG())
        let responses = try await TestServer(limits: limits).test { client in
            [try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: chatBody(question, imageURL: image)),
             try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders,
                                      body: chatBody(String(repeating: "square ", count: 3 * ids.count), imageURL: image)),
             try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: chatBody(question))]
        }
        try expectError(responses[0], .badRequest, code: "context_length_exceeded", param: "messages")
        try expectError(responses[1], .badRequest, code: "context_length_exceeded", param: "messages")
        let messages = try responses.prefix(2).map { try json($0)["error"]?["message"]?.stringValue ?? "" }
        #expect(!messages[0].contains("at least") && messages[0].contains("\(ids.count - 1 + vision.imageFeatureCount) tokens"), "\(messages[0])")
        #expect(messages[1].contains("at least"), "\(messages[1])")
        #expect(responses[2].status == .ok)
    }
}
