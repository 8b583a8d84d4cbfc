import Foundation
import Hummingbird
import HummingbirdTesting
import LucidGeneration
import LucidModels
import LucidPipeline
import LucidRuns
@testable import LucidServer
import LucidTensor
import LucidText
import LucidVision
import Testing

/// Chat completions over HTTP (the router in-process) on the bundled shapes-tiny organism.
@Suite("chat completions", .serialized)
struct ChatCompletionTests {
    let prompt = "What shapes are in the picture?"

    /// What `Decoding.generate` gives for the same prompt and image, called directly on another copy of the model
    /// (with `penalties` over the prompt, or over `penalisedPrompt` where given; without end tokens where `ignoresEOS`).
    func direct(maxTokens: Int, method: DecodingMethod = .greedy, stop: [String] = [], logprobs: LogprobsRequest? = nil,
                penalties: TokenPenalties = TokenPenalties(), penalisedPrompt: [Int]? = nil, ignoresEOS: Bool = false,
                logitBias: [Int: Double] = [:], minTokens: Int = 0, noRepeatNGramSize: Int = 0) throws
        -> (tokens: [Int], text: String, promptTokens: Int, logprobs: [TokenLogprobs]?) {
        let opened = try ModelRegistry.standard.open("shapes-tiny")
        let tokenizer = try ModelRegistry.standard.tokenizer(for: "shapes-tiny")
        let template = try #require(opened.chatTemplate(for: tokenizer))
        let ids = try tokenizer.encode(chat: [.user(prompt, images: 1)], template: template)
        let pixels = try opened.pixelValues(decoded: try ImageDecoder.decode(data: try scenePNG()), padToSquare: false)
        let decode: ([Int]) -> String = { (try? tokenizer.decode($0, skipSpecialTokens: true)) ?? "" }
        var limits = GenerationLimits(maxNewTokens: maxTokens, eosTokenIDs: ignoresEOS ? [] : opened.stopTokenIDs(tokenizer: tokenizer),
                                      stopStrings: stop, decode: decode)
        limits.penalties = penalties
        limits.promptTokens = penalisedPrompt
        limits.logitBias = logitBias
        limits.minNewTokens = minTokens
        limits.noRepeatNGramSize = noRepeatNGramSize
        let result = try Decoding.generate(opened.model, ids: ids, images: [pixels], method: method, limits: limits, logprobs: logprobs)
        var text = decode(result.tokens)
        if let hit = result.stopString, let range = text.range(of: hit) { text = String(text[..<range.lowerBound]) }
        return (result.tokens, text, result.statistics.promptTokens, result.logprobs)
    }

    @Test func greedyOverHTTPEqualsDecodingGenerate() async throws {
        let expected = try direct(maxTokens: 12)
        let url = dataURL(try scenePNG())
        let body = chatBody(prompt, imageURL: url, extra: ["max_tokens": 12])
        let response = try await TestServer().test { client in
            try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: body)
        }
        #expect(response.status == .ok)
        let object = try json(response)
        let choice = try #require(object["choices"]?.arrayValue?.first)
        let tokens = choice["lucid"]?["token_ids"]?.arrayValue?.compactMap(\.intValue)
        #expect(tokens == expected.tokens)
        #expect(choice["message"]?["content"]?.stringValue == expected.text)
        #expect(choice["finish_reason"]?.stringValue == (expected.tokens.count == 12 ? "length" : "stop"))
        #expect(object["usage"]?["completion_tokens"]?.intValue == expected.tokens.count)
        #expect(object["usage"]?["prompt_tokens"]?.intValue == expected.promptTokens)  // the image's features plus the text
        #expect(choice["lucid"]?["gate"]?["checked"] == .bool(false))
        #expect(choice["lucid"]?["batched"] == .bool(true))
    }

    @Test func streamingSendsTheSameTextAsChunksEndingWithDone() async throws {
        let expected = try direct(maxTokens: 10)
        let url = dataURL(try scenePNG())
        let body = chatBody(prompt, imageURL: url, extra: ["max_tokens": 10, "stream": true, "stream_options": .object(["include_usage": true])])
        let response = try await TestServer().test { client in
            try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: body)
        }
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "text/event-stream")
        let payloads = events(response)
        #expect(payloads.last == "[DONE]")
        let chunks = try payloads.dropLast().map { try JSONValue.parse($0) }
        #expect(chunks.allSatisfy { $0["object"]?.stringValue == "chat.completion.chunk" })
        let deltas = chunks.compactMap { $0["choices"]?.arrayValue?.first?["delta"]?["content"]?.stringValue }
        #expect(deltas.joined() == expected.text)
        let final = try #require(chunks.first { $0["choices"]?.arrayValue?.first?["finish_reason"]?.stringValue != nil })
        #expect(final["choices"]?.arrayValue?.first?["lucid"]?["token_ids"]?.arrayValue?.compactMap(\.intValue) == expected.tokens)
        #expect(chunks.last?["usage"]?["completion_tokens"]?.intValue == expected.tokens.count)
    }

    @Test func beamDecodingThroughTheExtensionEqualsDecodingGenerate() async throws {
        let expected = try direct(maxTokens: 8, method: .beam(BeamSearchParameters(beams: 3, lengthPenalty: 1)))
        let body = chatBody(prompt, imageURL: dataURL(try scenePNG()),
                            extra: ["max_tokens": 8, "decoding": .object(["method": "beam", "beams": 3])])
        let response = try await TestServer().test { client in
            try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: body)
        }
        #expect(response.status == .ok)
        let choice = try #require(try json(response)["choices"]?.arrayValue?.first)
        #expect(choice["lucid"]?["token_ids"]?.arrayValue?.compactMap(\.intValue) == expected.tokens)
        #expect(choice["lucid"]?["decoding"]?.stringValue == "beam" && choice["lucid"]?["batched"] == .bool(false))
    }

    /// VCD runs alone, with its noised view beside the prompt: its tokens come with the log-probabilities
    /// `Decoding.generate` reports for them (the original view's), whole and streamed alike.
    @Test func vcdsTokensComeWithTheirLogprobsWholeAndStreamed() async throws {
        let method = try DecodingRequest.method(.object(["method": "vcd"]), temperature: nil, topK: nil, topP: nil, minP: nil, seed: 4)
        let expected = try direct(maxTokens: 8, method: method, logprobs: LogprobsRequest(top: 2))
        let entries = try #require(expected.logprobs)
        let fields: [String: JSONValue] = ["max_tokens": 8, "seed": 4, "decoding": .object(["method": "vcd"]), "logprobs": true, "top_logprobs": 2]
        let url = dataURL(try scenePNG())
        let (whole, chunks) = try await TestServer().test { client in
            (try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: chatBody(prompt, imageURL: url, extra: fields)),
             try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders,
                                      body: chatBody(prompt, imageURL: url, extra: fields.merging(["stream": true]) { $1 })))
        }
        #expect(whole.status == .ok)
        let choice = try #require(try json(whole)["choices"]?.arrayValue?.first)
        #expect(choice["lucid"]?["token_ids"]?.arrayValue?.compactMap(\.intValue) == expected.tokens)
        let content = try #require(choice["logprobs"]?["content"]?.arrayValue)
        #expect(content.compactMap { $0["logprob"]?.doubleValue } == entries.map(\.chosen.logprob))
        #expect(content.map { $0["top_logprobs"]?.arrayValue?.count } == entries.map { _ in 2 })
        let streamed = try events(chunks).dropLast().compactMap { try JSONValue.parse($0)["choices"]?.arrayValue?.first }
        #expect(streamed.flatMap { $0["logprobs"]?["content"]?.arrayValue ?? [] } == content)
    }

    /// A model whose logits turn NaN (broken weights, an f16 overflow) answers a 500 naming the cause, batched or not,
    /// instead of the argmax of NaN.
    @Test func nonFiniteLogitsAreAServerErrorNotTokens() async throws {
        let server = try TestServer(prepare: { opened in
            (opened.model as? LlavaForConditionalGeneration)?.languageModel.model.norm.weight.value.fill(Double.nan)
        })
        let url = dataURL(try scenePNG())
        let responses = try await server.test { client in
            [try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: chatBody(prompt, imageURL: url)),
             try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders,
                                      body: chatBody(prompt, imageURL: url, extra: ["decoding": .object(["method": "beam", "beams": 2])]))]
        }
        for response in responses {
            #expect(response.status == .internalServerError)
            let error = try json(response)["error"]
            #expect(error?["code"]?.stringValue == "non_finite_logits" && error?["message"]?.stringValue?.contains("NaN or infinity") == true,
                    "\(String(describing: error))")
        }
    }

    @Test func theGateRefusesAndDefenseNoneRemovesIt() async throws {
        let refusal = "I can't help with this image."
        let url = dataURL(try scenePNG())
        let gated = try TestServer(prepare: { opened in opened.vision?.imageGate = { _ in refusal } })
        let response = try await gated.test { client in
            try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: chatBody(prompt, imageURL: url))
        }
        let choice = try #require(try json(response)["choices"]?.arrayValue?.first)
        #expect(choice["finish_reason"]?.stringValue == "content_filter")
        #expect(choice["message"]?["content"]?.stringValue == refusal)
        #expect(choice["lucid"]?["gate"]?["refused"] == .bool(true) && choice["lucid"]?["gate"]?["message"]?.stringValue == refusal)
        #expect(choice["lucid"]?["forward_passes"]?.intValue == 0)

        let open = try TestServer(prepare: { opened in
            opened.vision?.imageGate = { _ in refusal }
            try? DefenseChoice.none.apply(to: opened, model: "shapes-tiny")
        })
        let answered = try await open.test { client in
            try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: chatBody(prompt, imageURL: url))
        }
        let second = try #require(try json(answered)["choices"]?.arrayValue?.first)
        #expect(second["lucid"]?["gate"]?["refused"] == .bool(false) && second["finish_reason"]?.stringValue != "content_filter")
    }

    @Test func sampledChoicesAreSeededPerChoice() async throws {
        let body = chatBody(prompt, imageURL: dataURL(try scenePNG()), extra: ["max_tokens": 8, "n": 2, "temperature": 1.0, "seed": 5])
        let (first, second) = try await TestServer().test { client in
            (try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: body),
             try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: body))
        }
        let a = try json(first)["choices"]?.arrayValue ?? []
        let b = try json(second)["choices"]?.arrayValue ?? []
        #expect(a.count == 2 && a.map { $0["index"]?.intValue } == [0, 1])
        #expect(a.map { $0["lucid"]?["token_ids"] } == b.map { $0["lucid"]?["token_ids"] })  // same seed, same answers
    }
}
