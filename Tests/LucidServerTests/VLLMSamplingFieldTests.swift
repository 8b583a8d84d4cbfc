import Hummingbird
import HummingbirdTesting
import LucidRuns
@testable import LucidServer
import Testing

/// vLLM's request extras that Lucid honours: `top_k` beside `temperature` and `top_p` (for plain sampling and
/// for a `decoding` object that sets none), and `ignore_eos`, which generates to `max_tokens`.
@Suite("vLLM sampling fields", .serialized)
struct VLLMSamplingFieldTests {
    let prompt = "What shapes are in the picture?"

    /// Each body's answer on shapes-tiny: its token ids and both finish reasons.
    func answers(_ extras: [[String: JSONValue]]) async throws -> [(tokens: [Int], finish: String?, lucidFinish: String?)] {
        let url = dataURL(try scenePNG())
        let bodies = extras.map { chatBody(prompt, imageURL: url, extra: $0) }
        let responses = try await TestServer().test { client in try await client.postEach("/v1/chat/completions", bodies) }
        return try responses.map { response in
            let choice = try #require(try json(response)["choices"]?.arrayValue?.first, "\(String(buffer: response.body))")
            return (choice["lucid"]?["token_ids"]?.arrayValue?.compactMap(\.intValue) ?? [], choice["finish_reason"]?.stringValue,
                    choice["lucid"]?["finish_reason"]?.stringValue)
        }
    }

    /// Top-k 1 keeps only the likeliest token, so sampling at temperature 2 with it is greedy decoding; without it,
    /// the same seed samples other tokens (so the check can tell `top_k` read from ignored).
    @Test func topKOneMakesSamplingGreedyAtTheTopLevelAndUnderDecoding() async throws {
        let sampling: [String: JSONValue] = ["max_tokens": 12, "temperature": 2, "seed": 5]
        let results = try await answers([
            ["max_tokens": 12],
            sampling,
            sampling.merging(["top_k": 1]) { $1 },
            ["max_tokens": 12, "seed": 5, "top_k": 1, "decoding": .object(["method": "sample", "temperature": 2])],
            sampling.merging(["top_k": -1]) { $1 },
        ])
        let greedy = results[0].tokens
        #expect(!greedy.isEmpty)
        #expect(results[1].tokens != greedy, "temperature 2 with seed 5 sampled the greedy tokens: the check below could not fail")
        #expect(results[2].tokens == greedy, "top-level top_k 1")
        #expect(results[3].tokens == greedy, "top_k 1 filling in for a decoding object")
        #expect(results[4].tokens == results[1].tokens, "top_k -1 keeps every token, as vLLM's does")
    }

    /// VCD without a temperature decodes greedily on its contrast: the request's top_k and top_p (here the neutral
    /// values clients send) leave it as it is, where before top_p was passed on and refused for want of a temperature.
    @Test func topKAndTopPLeaveANonSamplingVCDAsItIs() async throws {
        let vcd: [String: JSONValue] = ["max_tokens": 8, "decoding": .object(["method": "vcd"])]
        let results = try await answers([vcd, vcd.merging(["top_k": -1, "top_p": 1]) { $1 }, vcd.merging(["top_k": 1, "top_p": .double(0.5)]) { $1 }])
        #expect(!results[0].tokens.isEmpty)
        #expect(results[1].tokens == results[0].tokens && results[2].tokens == results[0].tokens)
    }

    @Test func ignoreEOSGeneratesPastTheEndTokenToMaxTokens() async throws {
        let results = try await answers([["max_tokens": 64], ["max_tokens": 64, "ignore_eos": true]])
        let (stopped, continued) = (results[0], results[1])
        try #require(stopped.lucidFinish == "eos" && stopped.tokens.count < 64,
                     "shapes-tiny did not end this answer before 64 tokens (\(stopped.tokens.count), \(stopped.lucidFinish ?? "nil")), so the test shows nothing")
        #expect(continued.lucidFinish == "length" && continued.finish == "length")
        #expect(continued.tokens.count == 64)
        #expect(Array(continued.tokens.prefix(stopped.tokens.count)) == stopped.tokens, "greedy: the same tokens up to the end token")
    }

    @Test func topKOutOfRangeIsRefusedNamingIt() async throws {
        let url = dataURL(try scenePNG())
        let bodies = [JSONValue.int(1001), -2, "5", .double(1.5)].map { chatBody(prompt, imageURL: url, extra: ["top_k": $0, "temperature": 1]) }
            + [chatBody(prompt, extra: ["ignore_eos": "yes"])]
        let responses = try await TestServer().test { client in try await client.postEach("/v1/chat/completions", bodies) }
        for (response, field) in zip(responses, ["top_k", "top_k", "top_k", "top_k", "ignore_eos"]) {
            let param = try json(response)["error"]?["param"]?.stringValue
            #expect(response.status == .badRequest && param == field, "\(String(buffer: response.body))")
        }
    }
}
