import Foundation
import Hummingbird
import HummingbirdTesting
@testable import LucidGeneration
import LucidModels
import LucidPipeline
import LucidRuns
@testable import LucidServer
import LucidTensor
import LucidText
import Testing

/// `logprobs` and `top_logprobs` on SmolLM2: each generated token's log-probability is the model's own
/// log-softmax at that position, computed here over the whole sequence in one pass.
@Suite("server logprobs", .serialized)
struct ServerLogprobsTests {
    let prompt = "Name three colours."

    func body(_ extra: [String: JSONValue]) -> ByteBuffer {
        var fields: [String: JSONValue] = ["model": "smollm2", "max_tokens": 12]
        fields.merge(extra) { $1 }
        return chatBody(prompt, extra: fields)
    }

    /// The log-softmax of SmolLM2's logits [T, V] over the prompt followed by `tokens` (one pass, no cache).
    func referenceLogprobs(_ tokens: [Int]) throws -> (logprobs: Tensor, promptLength: Int) {
        let opened = try ModelRegistry.standard.open("smollm2")
        let tokenizer = try ModelRegistry.standard.tokenizer(for: "smollm2")
        let template = try #require(opened.chatTemplate(for: tokenizer))
        let ids = try tokenizer.encode(chat: [.user(prompt)], template: template)
        let sequence = ids + tokens
        let trace = withNoGrad { opened.model.forward(tokens: Tensor(sequence, shape: [1, sequence.count]), cache: nil, options: ForwardOptions(logits: .all)) }
        let all = try #require(trace.logits)
        let logits = all.selected(axis: 0, index: 0).to(.f64)
        return (logits.logSoftmax(axis: -1), ids.count)
    }

    @Test(arguments: [false, true])
    func eachTokensLogprobIsTheModelsOwnAndTheTopListLeadsWithTheLikeliest(sampled: Bool) async throws {
        var extra: [String: JSONValue] = ["logprobs": true, "top_logprobs": 3]
        if sampled { extra["temperature"] = .double(0.8); extra["seed"] = 5 }
        let request = body(extra)
        let response = try await TestServer(model: "smollm2").test { client in
            try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: request)
        }
        #expect(response.status == .ok)
        let choice = try #require(try json(response)["choices"]?.arrayValue?.first)
        let tokens = try #require(choice["lucid"]?["token_ids"]?.arrayValue?.compactMap { $0.intValue })
        let content = try #require(choice["logprobs"]?["content"]?.arrayValue)
        try #require(content.count == tokens.count && !tokens.isEmpty)
        #expect(choice["logprobs"]?["refusal"] == .null)
        let (reference, promptLength) = try referenceLogprobs(tokens)
        let tokenizer = try ModelRegistry.standard.tokenizer(for: "smollm2")
        var worst = 0.0
        var bytes: [UInt8] = []
        for (index, (token, entry)) in zip(tokens, content).enumerated() {
            let row = reference.selected(axis: 0, index: promptLength - 1 + index)
            let expected: Double = row.selected(axis: 0, index: token).item()
            let logprob = try #require(entry["logprob"]?.doubleValue)
            worst = max(worst, abs(logprob - expected))
            let top = try #require(entry["top_logprobs"]?.arrayValue)
            let values = top.compactMap { $0["logprob"]?.doubleValue }
            #expect(values.count == 3 && values == values.sorted(by: >))
            #expect(abs(values[0] - row.max().item()) < 1e-4)
            if !sampled { #expect(top.first?["bytes"] == entry["bytes"]) }  // greedy chose the likeliest
            let listed = try #require(entry["bytes"]?.arrayValue?.compactMap { $0.intValue })
            let tokenBytes = listed.map { UInt8(truncatingIfNeeded: $0) }
            #expect(entry["token"]?.stringValue == String(decoding: tokenBytes, as: UTF8.self))
            if !tokenizer.isSpecial(token) { bytes += tokenBytes }
        }
        print("logprobs (sampled: \(sampled)): \(tokens.count) tokens, largest difference from the one-pass log-softmax \(worst)")
        #expect(worst < 1e-4, "largest difference from the one-pass log-softmax: \(worst)")
        // The tokens' bytes spell the answer.
        #expect(String(decoding: bytes, as: UTF8.self) == choice["message"]?["content"]?.stringValue)
    }

    @Test func badLogprobsFieldsAreRefusedNamingThem() async throws {
        let bodies = [body(["logprobs": true, "top_logprobs": 21]), body(["top_logprobs": 2])]
        let responses = try await TestServer(model: "smollm2").test { client in try await client.postEach("/v1/chat/completions", bodies) }
        let messages = try responses.map { try json($0)["error"]?["message"]?.stringValue ?? "" }
        #expect(responses.allSatisfy { $0.status == .badRequest }, "\(messages)")
        #expect(messages[0].contains("top_logprobs") && messages[1].contains("needs 'logprobs': true"), "\(messages)")
    }

    /// Beam search runs alone, not in the batch: its chosen hypothesis's tokens come with the model's own
    /// log-probabilities, whole and streamed alike.
    @Test func aBeamSearchsTokensComeWithTheModelsOwnLogprobs() async throws {
        let beam: JSONValue = .object(["method": "beam", "beams": 2])
        let (whole, chunks) = try await TestServer(model: "smollm2").test { client in
            (try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders,
                                      body: body(["logprobs": true, "top_logprobs": 2, "decoding": beam])),
             try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders,
                                      body: body(["logprobs": true, "top_logprobs": 2, "decoding": beam, "stream": true])))
        }
        #expect(whole.status == .ok)
        let choice = try #require(try json(whole)["choices"]?.arrayValue?.first)
        let tokens = try #require(choice["lucid"]?["token_ids"]?.arrayValue?.compactMap { $0.intValue })
        let content = try #require(choice["logprobs"]?["content"]?.arrayValue)
        try #require(content.count == tokens.count && !tokens.isEmpty)
        let (reference, promptLength) = try referenceLogprobs(tokens)
        let worst = try zip(tokens, content).enumerated().map { index, pair in
            let expected: Double = reference.selected(axis: 0, index: promptLength - 1 + index).selected(axis: 0, index: pair.0).item()
            return abs(try #require(pair.1["logprob"]?.doubleValue) - expected)
        }.max() ?? .infinity
        #expect(worst < 1e-4, "largest difference from the one-pass log-softmax: \(worst)")
        let streamed = try events(chunks).dropLast().compactMap { try JSONValue.parse($0)["choices"]?.arrayValue?.first }
        #expect(streamed.flatMap { $0["logprobs"]?["content"]?.arrayValue ?? [] } == content)
    }

    /// With `--logprobs-mode processed_logprobs`, a sampled token's log-probabilities are those of the distribution
    /// it was drawn from: the model's logits divided by the temperature.
    @Test func processedLogprobsAreTheTemperedDistribution() async throws {
        let request = body(["logprobs": true, "top_logprobs": 2, "temperature": .double(0.5), "seed": 3])
        let response = try await TestServer(model: "smollm2", logprobsMode: .processed).test { client in
            try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: request)
        }
        let choice = try #require(try json(response)["choices"]?.arrayValue?.first)
        let tokens = try #require(choice["lucid"]?["token_ids"]?.arrayValue?.compactMap { $0.intValue })
        let content = try #require(choice["logprobs"]?["content"]?.arrayValue)
        try #require(content.count == tokens.count && !tokens.isEmpty)
        let (reference, promptLength) = try referenceLogprobs(tokens)
        var worst = 0.0
        for (index, (token, entry)) in zip(tokens, content).enumerated() {
            // log-softmax(ℓ / T) from log-softmax(ℓ): the same logits up to a constant, divided, renormalised.
            let tempered = (reference.selected(axis: 0, index: promptLength - 1 + index) / 0.5).logSoftmax(axis: -1)
            let expected: Double = tempered.selected(axis: 0, index: token).item()
            worst = max(worst, abs(try #require(entry["logprob"]?.doubleValue) - expected))
        }
        #expect(worst < 1e-4, "largest difference from the tempered one-pass log-softmax: \(worst)")
    }

    @Test func streamedLogprobsComeWithTheirTokensAndAccumulateToTheNonStreamedOnes() async throws {
        let plain = body(["logprobs": true, "top_logprobs": 2])
        let streamed = body(["logprobs": true, "top_logprobs": 2, "stream": true])
        let (whole, chunks) = try await TestServer(model: "smollm2").test { client in
            (try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: plain),
             try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: streamed))
        }
        let expected = try #require(try json(whole)["choices"]?.arrayValue?.first?["logprobs"]?["content"]?.arrayValue)
        let choices = try events(chunks).dropLast().compactMap { try JSONValue.parse($0)["choices"]?.arrayValue?.first }
        let accumulated = choices.flatMap { $0["logprobs"]?["content"]?.arrayValue ?? [] }
        #expect(!expected.isEmpty && accumulated == expected)
        let last = try #require(choices.last)
        #expect(last["finish_reason"] != .null)
        // Token by token: each piece of text comes with its own tokens' entries, whose bytes spell it (no stop
        // string holds text back here); the last chunk has those whose text never came (the end of sequence).
        let pieces = choices.filter { !($0["delta"]?["content"]?.stringValue ?? "").isEmpty }
        #expect(pieces.count > 1)
        for piece in pieces {
            let entries = try #require(piece["logprobs"]?["content"]?.arrayValue)
            let bytes = entries.flatMap { $0["bytes"]?.arrayValue?.compactMap { $0.intValue.map { UInt8(truncatingIfNeeded: $0) } } ?? [] }
            #expect(String(decoding: bytes, as: UTF8.self) == piece["delta"]?["content"]?.stringValue)
        }
    }

    @Test func streamedLogprobsHeldBackWithTheirTextStillAccumulateToTheNonStreamedOnes() async throws {
        // A stop string inside the answer's second word: text is held back, and the tokens past the stop are
        // generated but never shown; their entries still come, in order.
        let first = try await TestServer(model: "smollm2").test { client in
            try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: body([:]))
        }
        let answer = try #require(try json(first)["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue)
        let words = answer.split(separator: " ")
        try #require(words.count >= 3, "the answer is too short to hold a stop: \(answer)")
        let stop = JSONValue.string(" " + words[1].prefix(3))
        let (whole, chunks) = try await TestServer(model: "smollm2").test { client in
            (try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: body(["logprobs": true, "stop": stop])),
             try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders,
                                      body: body(["logprobs": true, "stop": stop, "stream": true])))
        }
        let choice = try #require(try json(whole)["choices"]?.arrayValue?.first)
        #expect(choice["finish_reason"] == "stop")
        let expected = try #require(choice["logprobs"]?["content"]?.arrayValue)
        let streamed = try events(chunks).dropLast().compactMap { try JSONValue.parse($0)["choices"]?.arrayValue?.first }
        #expect(!expected.isEmpty && streamed.flatMap { $0["logprobs"]?["content"]?.arrayValue ?? [] } == expected)
        #expect(streamed.map { $0["delta"]?["content"]?.stringValue ?? "" }.joined() == choice["message"]?["content"]?.stringValue)
    }

    @Test func aTokenTheModelRulesOutIsWrittenAsOpenAIWritesIt() throws {
        let logprobs = TokenLogprobs(chosen: .init(token: 1, logprob: -0.5), top: [.init(token: 1, logprob: -0.5), .init(token: 2, logprob: -.infinity)])
        let entry = TokenLogprobEntry(logprobs) { [UInt8(64 + $0)] }
        let written = ChatResponses.logprobs([entry])
        let top = written["content"]?.arrayValue?.first?["top_logprobs"]?.arrayValue
        #expect(top?.map { $0["logprob"] } == [.double(-0.5), .double(-9999)])
        #expect(top?.map { $0["token"] } == ["A", "B"])
        #expect(try JSONValue.parse(try written.canonicalText()) == written)
    }

    @Test func tokenBytesJoinToTheDecodedText() throws {
        let tokenizer = try ModelRegistry.standard.tokenizer(for: "smollm2")
        let text = "Héllo, wörld — 東京 🙂"
        let ids = tokenizer.encode(text, addSpecialTokens: false)
        let decoder = tokenizer.streamingDecoder()
        let bytes = try ids.flatMap { try decoder.bytes(of: $0) }
        #expect(bytes == Array(try tokenizer.decode(ids).utf8))
        #expect(ids.contains { (try? decoder.bytes(of: $0)).map { String(validating: $0, as: UTF8.self) == nil } ?? false },
                "some token holds part of a character")
    }
}
