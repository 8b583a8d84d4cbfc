import Hummingbird
import HummingbirdTesting
import LucidGeneration
import LucidRuns
@testable import LucidServer
import Testing

/// OpenAI's `logit_bias` and vLLM's `min_tokens` and `min_p` are applied by greedy and sampled decoding (the batched
/// rows), and the first two by beam search, as `Decoding.generate` applies them; a method that applies none refuses
/// them, naming the field, and a bias on a token the model lacks is a 400 before any work.
@Suite("logit bias, min_tokens and min_p fields", .serialized)
struct LogitsFieldTests {
    let prompt = "What shapes are in the picture?"

    func answers(_ extras: [[String: JSONValue]]) async throws -> [TestResponse] {
        let url = dataURL(try scenePNG())
        let bodies = extras.map { chatBody(prompt, imageURL: url, extra: $0) }
        return try await TestServer().test { client in try await client.postEach("/v1/chat/completions", bodies) }
    }

    func tokens(_ response: TestResponse) throws -> [Int]? {
        try json(response)["choices"]?.arrayValue?.first?["lucid"]?["token_ids"]?.arrayValue?.compactMap(\.intValue)
    }

    @Test func aLogitBiasOverHTTPEqualsDecodingGenerateWithIt() async throws {
        let plain = try ChatCompletionTests().direct(maxTokens: 12, ignoresEOS: true)
        let first = try #require(plain.tokens.first)
        let bias: [Int: Double] = [first: -100, 7: 4.5]
        let expected = try ChatCompletionTests().direct(maxTokens: 12, ignoresEOS: true, logitBias: bias)
        try #require(expected.tokens != plain.tokens, "the bias changes nothing here, so the check below could not fail")
        let fields: [String: JSONValue] = ["max_tokens": 12, "ignore_eos": true, "logit_bias": .object(["\(first)": -100, "7": .double(4.5)])]
        // Greedy, and sampling whose top-k 1 leaves only the biased argmax (the bias before the warpers).
        let responses = try await answers([fields, fields.merging(["temperature": 2, "top_k": 1, "seed": 3]) { $1 }])
        for response in responses {
            #expect(try tokens(response) == expected.tokens, "\(String(buffer: response.body))")
        }
    }

    @Test func minTokensKeepsTheEndTokenOffUntilThenOverHTTP() async throws {
        let plain = try ChatCompletionTests().direct(maxTokens: 40)
        try #require(plain.tokens.count < 40, "shapes-tiny's answer ends at its end token here, so a minimum can move it")
        let minimum = plain.tokens.count + 3
        let expected = try ChatCompletionTests().direct(maxTokens: 40, minTokens: minimum)
        #expect(expected.tokens.count >= minimum && expected.tokens != plain.tokens)
        let responses = try await answers([["max_tokens": 40, "min_tokens": .int(minimum)]])
        #expect(try tokens(responses[0]) == expected.tokens, "\(String(buffer: responses[0].body))")
    }

    @Test func minPOverHTTPEqualsDecodingGenerateWithIt() async throws {
        let sampling = SamplingParameters(temperature: 2, seed: 5, minP: 0.2)
        var loose = sampling
        loose.minP = 0
        let expected = try ChatCompletionTests().direct(maxTokens: 16, method: .sample(sampling), ignoresEOS: true)
        let unfiltered = try ChatCompletionTests().direct(maxTokens: 16, method: .sample(loose), ignoresEOS: true)
        try #require(expected.tokens != unfiltered.tokens, "min-p changes nothing here, so the check below could not fail")
        let greedy = try ChatCompletionTests().direct(maxTokens: 16, ignoresEOS: true)
        let responses = try await answers([["max_tokens": 16, "ignore_eos": true, "temperature": 2, "seed": 5, "min_p": .double(0.2)],
                                           ["max_tokens": 16, "ignore_eos": true, "min_p": .double(0.9)]])
        #expect(try tokens(responses[0]) == expected.tokens, "\(String(buffer: responses[0].body))")
        #expect(try tokens(responses[1]) == greedy.tokens, "min-p leaves greedy decoding's argmax")
    }

    @Test func beamSearchOverHTTPAppliesTheBiasTheMinimumAndTheRepetitionPenaltyAsDecodingGenerate() async throws {
        let method = DecodingMethod.beam(BeamSearchParameters(beams: 2))
        let plain = try ChatCompletionTests().direct(maxTokens: 40, method: method)
        try #require(plain.tokens.count < 40, "the beam answer ends at its end token here, so a minimum can move it")
        let first = try #require(plain.tokens.first)
        let expected = try ChatCompletionTests().direct(maxTokens: 40, method: method, penalties: TokenPenalties(repetition: 1.3),
                                                        logitBias: [first: -100], minTokens: plain.tokens.count + 2)
        try #require(expected.tokens.first != first && expected.tokens.count >= plain.tokens.count + 2)
        let responses = try await answers([["max_tokens": 40, "decoding": .object(["method": "beam", "beams": 2]), "repetition_penalty": .double(1.3),
                                            "logit_bias": .object(["\(first)": -100]), "min_tokens": .int(plain.tokens.count + 2)]])
        #expect(try tokens(responses[0]) == expected.tokens, "\(String(buffer: responses[0].body))")
    }

    /// Lucid's `no_repeat_ngram_size` field bans as `Decoding.generate` does (over the prompt, as the repetition penalty
    /// counts it): greedy, sampled (top-k 1) and beam search, the continuous batch and the beam path alike.
    @Test func noRepeatNGramSizeOverHTTPEqualsDecodingGenerateWithIt() async throws {
        let beam = DecodingMethod.beam(BeamSearchParameters(beams: 2))
        let plain = try ChatCompletionTests().direct(maxTokens: 24, ignoresEOS: true)
        let expected = try ChatCompletionTests().direct(maxTokens: 24, ignoresEOS: true, noRepeatNGramSize: 2)
        let expectedBeam = try ChatCompletionTests().direct(maxTokens: 24, method: beam, ignoresEOS: true, noRepeatNGramSize: 2)
        try #require(expected.tokens != plain.tokens, "the ban changes nothing here, so the check below could not fail")
        let fields: [String: JSONValue] = ["max_tokens": 24, "ignore_eos": true, "no_repeat_ngram_size": 2]
        let responses = try await answers([fields, fields.merging(["temperature": 2, "top_k": 1, "seed": 3]) { $1 },
                                           fields.merging(["decoding": .object(["method": "beam", "beams": 2])]) { $1 }])
        #expect(try tokens(responses[0]) == expected.tokens, "\(String(buffer: responses[0].body))")
        #expect(try tokens(responses[1]) == expected.tokens, "\(String(buffer: responses[1].body))")
        #expect(try tokens(responses[2]) == expectedBeam.tokens, "\(String(buffer: responses[2].body))")
    }

    @Test func aFieldAMethodCannotApplyOrATokenTheModelLacksIsRefusedNamingIt() async throws {
        let beam = JSONValue.object(["method": "beam", "beams": 2])
        let cases: [([String: JSONValue], String, String?)] = [
            (["min_p": .double(0.1), "decoding": beam], "min_p", "unsupported_parameter"),
            (["logit_bias": .object(["5": 1]), "decoding": .object(["method": "damro"])], "logit_bias", "unsupported_parameter"),
            (["min_tokens": 1, "decoding": .object(["method": "vcd"])], "min_tokens", "unsupported_parameter"),
            (["presence_penalty": .double(0.5), "decoding": .object(["method": "opera", "beams": 2])], "presence_penalty", "unsupported_parameter"),
            (["min_p": .double(0.1), "decoding": .object(["method": "vcd"])], "min_p", "unsupported_parameter"),
            (["logit_bias": .object(["99999999": 1])], "logit_bias", nil),
            (["no_repeat_ngram_size": 2, "decoding": .object(["method": "damro"])], "no_repeat_ngram_size", "unsupported_parameter"),
            (["no_repeat_ngram_size": -1], "no_repeat_ngram_size", nil), (["no_repeat_ngram_size": "2"], "no_repeat_ngram_size", nil),
            (["no_repeat_ngram_size": 65], "no_repeat_ngram_size", nil),
            (["decoding": .object(["method": "greedy", "no_repeat_ngram_size": 2])], "decoding.no_repeat_ngram_size", nil),
        ]
        let responses = try await answers(cases.map { $0.0.merging(["max_tokens": 2]) { $1 } })
        for ((_, field, code), response) in zip(cases, responses) {
            let error = try json(response)["error"]
            #expect(response.status == .badRequest && error?["param"]?.stringValue == field, "\(String(describing: error))")
            #expect(error?["code"]?.stringValue == code, "\(String(describing: error))")
        }
    }
}
