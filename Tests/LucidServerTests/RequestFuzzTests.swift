import Foundation
import Hummingbird
import HummingbirdTesting
import LucidSupport
import LucidRuns
@testable import LucidServer
import LucidVision
import Testing
import LucidTestSupport

/// Seeded hostile request bodies for `POST /v1/chat/completions` (issue 20): each is answered with a
/// 4xx OpenAI-style JSON error whose `param` or message names the field at fault, never a 5xx or a
/// crash, and the server still answers a valid request afterwards. Budget: `LUCID_FUZZ_ITERATIONS`
/// / 4, else 80 bodies (each generator draw is one request), and never fewer than one a mutation.
@Suite("server request fuzzing", .serialized)
struct RequestFuzzTests {
    static let iterations = FuzzBudget.iterations(default: 80, share: 4, minimum: 20)

    /// One hostile change: where it goes, the value, and the text the error must name.
    struct Mutation {
        var field: Field
        var value: JSONValue
        var names: String
    }

    enum Field { case top(String), message(JSONValue), imageURL }

    /// A PNG whose header declares `width` x `height` (one tiny IDAT): decoders must refuse it from the header.
    static func declaredPNG(width: UInt32, height: UInt32) -> [UInt8] {
        func be(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)] }
        func chunk(_ kind: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(kind.utf8) + data
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in body {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            return be(UInt32(data.count)) + body + be(~crc)
        }
        let header = be(width) + be(height) + [8, 2, 0, 0, 0]
        let idat: [UInt8] = [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", idat) + chunk("IEND", [])
    }

    /// Every hostile value by field; `root` is the server's image root (for `../` escapes).
    static func mutations(root: String) -> [Mutation] {
        let huge: JSONValue = .int(Int.max)
        var list: [Mutation] = []
        func top(_ key: String, _ values: [JSONValue], names: String? = nil) {
            list += values.map { Mutation(field: .top(key), value: $0, names: names ?? key) }
        }
        top("max_tokens", [-1, 0, "ten", .double(1.5), huge, .double(1e300), true, [], [:], .double(-1e-300)])
        top("max_completion_tokens", [-5, .double(0.5), "1"])
        top("temperature", [-1, .double(7.5), "hot", .double(1e308), [], true])
        top("top_p", [0, .double(-0.1), 2, "x"])
        top("n", [0, -3, 1000, "2", huge])
        top("seed", [-1, "s", .double(1.5), .double(1e30)])
        top("stream", ["yes", 1])
        top("stream_options", ["usage", .object(["include_usage": "yes"])], names: "stream_options")
        top("chat_template_kwargs", [5, "thinking", [], .object(["enable_thinking": "no"]), .object(["enable_thinking": 0]),
                                     .object(["date_string": ""]), .object(["date_string": .string(String(repeating: "9", count: 41))]),
                                     .object(["date_string": "a\nb"]), .object(["date_string": 7]), .object(["add_generation_prompt": false]),
                                     .object(["enable_thinking": false, "documents": []])], names: "chat_template_kwargs")
        top("stop", [5, .array([""]), .array([1]), .array((0..<20).map { .string("s\($0)") }), .string(String(repeating: "x", count: 1000))])
        top("model", [5, "../../etc/passwd", .string(String(repeating: "m", count: 100_000))])
        top("decoding", ["beam", .object(["method": "telepathy"]), .object(["method": 5]), .object(["method": "beam", "beams": -1]),
                         .object(["method": "beam", "beams": .double(1e9)]), .object(["method": "sample", "temperature": "hot"]),
                         .object(["method": "greedy", "bogus": 1]), .object(["method": "opera", "candidates": huge]), .object([:])],
            names: "decoding")
        top("tools", [.array([])])
        top("presence_penalty", [.double(-2.01), 3, "0"])
        top("frequency_penalty", [3, .double(-2.5)])
        top("repetition_penalty", [0, .double(1e9), "1", .double(-0.5)])
        top("min_p", [.double(-0.1), 2, "0.1"])
        top("min_tokens", [-1, "2", .double(1.5), huge, 100_000])   // 100000: past max_tokens
        top("no_repeat_ngram_size", [-1, "2", .double(1.5), huge])
        top("logit_bias", [5, .array([]), .object(["x": 1]), .object(["1": 101]), .object(["1": "1"]), .object(["01": 1]),
                           .object(["99999999": 1]), .object(Dictionary(uniqueKeysWithValues: (0..<1025).map { ("\($0)", JSONValue.int(1)) }))])
        top("response_format", [.object(["type": "json_object"]), "json", .object([:])])
        top("modalities", [.array(["audio"]), "text", .array([5])])
        top("audio", [.object(["voice": "alloy"])])
        top("logprobs", ["yes", 1])
        top("top_logprobs", [-1, 21, "5", .double(2.5), 3])   // 3: without logprobs: true
        top("messages", ["hi", [], [5], .array(Array(repeating: .object(["role": "user", "content": "x"]), count: 100))])
        let messages: [JSONValue] = [
            .object(["role": "wizard", "content": "x"]), .object(["role": "user", "content": 5]), .object(["content": "x"]),
            .object(["role": "user", "content": .array([.object(["type": "video"])])]),
            .object(["role": "user", "content": .array([.object(["type": "text", "text": 7])])]),
            .object(["role": "system", "content": .array([.object(["type": "image_url", "image_url": .object(["url": "data:,"])])])]),
            .object(["role": "user", "content": .array([.object(["type": "image_url", "image_url": 5])])]),
            .object(["role": "user", "content": .array(Array(repeating: .object(["type": "image_url", "image_url": .object(["url": "data:,"])]), count: 9))]),
        ]
        list += messages.map { Mutation(field: .message($0), value: $0, names: "messages") }
        let urls: [String] = [
            "data:image/png;base64,@@@not base64@@@", "data:image/png;base64," + Data(declaredPNG(width: 30000, height: 30000)).base64EncodedString(),
            "data:image/png;base64," + Data(declaredPNG(width: 0, height: 0)).base64EncodedString(),
            "data:text/html;base64,PGI+aGk8L2I+", "data:image/png,rawbytes", "data:image/png;base64,", "https://example.com/cat.png",
            "file://\(root)/../../etc/passwd", "\(root)/../etc/passwd", "\(root)/outside.png", "../etc/passwd", "file:///etc/passwd",
            "\(root)/missing.png", "\(root)/not-an-image.png", "data:image/png;base64," + Data("hello".utf8).base64EncodedString(),
        ]
        list += urls.map { Mutation(field: .imageURL, value: .string($0), names: "image_url") }
        return list
    }

    /// The valid body `mutations` change: one user message with text and an image, two tokens.
    static func body(imageURL: String, applying changes: [Mutation]) -> JSONValue {
        var message: JSONValue = .object(["role": "user", "content": .array([
            .object(["type": "text", "text": "What is in the picture?"]),
            .object(["type": "image_url", "image_url": .object(["url": .string(imageURL)])]),
        ])])
        var fields: [String: JSONValue] = ["model": "shapes-tiny", "max_tokens": 2]
        for change in changes {
            switch change.field {
            case .top(let key): fields[key] = change.value
            case .message(let replacement): message = replacement
            case .imageURL:
                message = .object(["role": "user", "content": .array([
                    .object(["type": "text", "text": "What is in the picture?"]),
                    .object(["type": "image_url", "image_url": .object(["url": change.value])]),
                ])])
            }
        }
        if fields["messages"] == nil { fields["messages"] = .array([message]) }
        return .object(fields)
    }

    /// Expects a 4xx JSON error; returns its `param` and message joined (what must name the field).
    static func errorText(_ response: TestResponse, _ label: String) throws -> String {
        #expect((400..<500).contains(Int(response.status.code)), "\(label): status \(response.status.code)")
        #expect(response.headers[.contentType] == "application/json", "\(label)")
        let error = try #require(try json(response)["error"], "\(label): no error object")
        let message = error["message"]?.stringValue ?? ""
        #expect(!message.isEmpty, "\(label): empty message")
        return (error["param"]?.stringValue ?? "") + " " + message
    }

    @Test func hostileRequestBodiesGetFieldNamingClientErrorsAndTheServerStaysUp() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-request-fuzz-\(getpid())").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data("not a png".utf8).write(to: URL(fileURLWithPath: root + "/not-an-image.png"))
        try FileManager.default.createSymbolicLink(atPath: root + "/outside.png", withDestinationPath: "/etc/passwd")
        let clean = dataURL(try scenePNG(size: 32))
        let all = Self.mutations(root: root)
        var random = FuzzBudget.generator(SplitMix64(seed: 20))
        var cases: [(label: String, body: ByteBuffer, names: [String])] = []
        for index in 0..<max(Self.iterations, all.count) {
            // Every mutation once, then random pairs and triples (the error names one of them).
            let changes = index < all.count ? [all[index]] : (0..<(2 + random.below(2))).map { _ in all[random.below(all.count)] }
            let text = try Self.body(imageURL: clean, applying: changes).canonicalText()
            cases.append(("case \(index): \(text.prefix(200))", ByteBuffer(string: text), changes.map(\.names)))
        }
        let valid = try Self.body(imageURL: clean, applying: []).canonicalText()
        let raw: [(String, ByteBuffer)] = [
            ("not JSON", ByteBuffer(string: "{\"messages\": [}")), ("truncated", ByteBuffer(string: String(valid.prefix(valid.count / 2)))),
            ("a bare string", ByteBuffer(string: "\"hi\"")), ("nesting 100000 deep", ByteBuffer(string: String(repeating: "[", count: 100_000))),
            ("invalid UTF-8", ByteBuffer(bytes: [0x7B, 0xFF, 0xFE, 0x7D])), ("empty", ByteBuffer()),
            ("a lone surrogate", ByteBuffer(string: #"{"messages": [{"role": "user", "content": "\ud800"}], "max_tokens": 2}"#)),
            ("100 MB of spaces", ByteBuffer(repeating: UInt8(ascii: " "), count: 100 << 20)),
        ]
        let bodies = cases.map(\.body)
        // The messages' and images' mutations again at /tokenize, which reads image parts as a chat does.
        let tokenizeCases = try all.filter { if case .top = $0.field { false } else { true } }.map { change in
            let text = try Self.body(imageURL: clean, applying: [change]).canonicalText()
            return (label: "/tokenize: \(text.prefix(200))", body: ByteBuffer(string: text), names: [change.names])
        }
        let tokenizeBodies = tokenizeCases.map(\.body)
        let (responses, rawResponses, after) = try await TestServer(imageRoot: root).test { client in
            var responses: [TestResponse] = []
            for body in bodies {
                responses.append(try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: body))
            }
            for body in tokenizeBodies {
                responses.append(try await client.execute(uri: "/tokenize", method: .post, headers: jsonHeaders, body: body))
            }
            var rawResponses: [TestResponse] = []
            for (_, body) in raw {
                rawResponses.append(try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: body))
            }
            let after = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: ByteBuffer(string: valid))
            return (responses, rawResponses, after)
        }
        #expect(responses.count == cases.count + tokenizeCases.count)
        for (item, response) in zip(cases + tokenizeCases, responses) {
            let text = try Self.errorText(response, item.label)
            #expect(item.names.contains { text.contains($0) }, "\(item.label): the error '\(text)' names none of \(item.names)")
        }
        for ((label, _), response) in zip(raw, rawResponses) {
            // A lone surrogate escape may be read as U+FFFD (then the request is valid and runs).
            if label == "a lone surrogate" && response.status == .ok { continue }
            _ = try Self.errorText(response, label)
        }
        #expect(after.status == .ok)
    }

    @Test func aDeclaredThirtyThousandSquarePNGIsRefusedFromItsHeader() async throws {
        let url = "data:image/png;base64," + Data(Self.declaredPNG(width: 30000, height: 30000)).base64EncodedString()
        let response = try await TestServer().test { client in
            try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: chatBody("hi", imageURL: url))
        }
        #expect(response.status == .contentTooLarge)
        let error = try #require(try json(response)["error"])
        #expect(error["code"]?.stringValue == "image_too_large")
        #expect(error["param"]?.stringValue == "messages[0].content[1].image_url.url")
    }
}
