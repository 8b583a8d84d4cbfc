import Hummingbird
import HummingbirdTesting
import LucidGeneration
import LucidRuns
@testable import LucidServer
import Testing

/// OpenAI's `presence_penalty` and `frequency_penalty` and vLLM's `repetition_penalty` are applied by greedy and
/// sampled decoding (the batched rows), as `Decoding.generate` applies them, the prompt counted; a method that
/// applies none refuses them off their neutral values, naming the field.
@Suite("penalty fields", .serialized)
struct PenaltyFieldTests {
    let prompt = "What shapes are in the picture?"

    func answers(_ extras: [[String: JSONValue]]) async throws -> [TestResponse] {
        let url = dataURL(try scenePNG())
        let bodies = extras.map { chatBody(prompt, imageURL: url, extra: $0) }
        return try await TestServer().test { client in try await client.postEach("/v1/chat/completions", bodies) }
    }

    /// Both penalty settings change the greedy answer, and the second (a strong repetition penalty, which keeps the
    /// answer off the prompt's tokens) gives another answer where only the output is counted, so the server must count
    /// the prompt as vLLM does.
    @Test(arguments: [TokenPenalties(repetition: 1.3, presence: 0.5, frequency: 0.8), TokenPenalties(repetition: 3)])
    func penaltiesOverHTTPEqualDecodingGenerateWithThem(_ penalties: TokenPenalties) async throws {
        let plain = try ChatCompletionTests().direct(maxTokens: 24, ignoresEOS: true)
        let expected = try ChatCompletionTests().direct(maxTokens: 24, penalties: penalties, ignoresEOS: true)
        try #require(expected.tokens != plain.tokens, "the penalties change nothing here, so the check below could not fail")
        if penalties.presence == 0 {
            let outputOnly = try ChatCompletionTests().direct(maxTokens: 24, penalties: penalties, penalisedPrompt: [], ignoresEOS: true)
            try #require(expected.tokens != outputOnly.tokens, "counting the prompt changes nothing here: the check could not tell it")
        }
        let fields: [String: JSONValue] = ["max_tokens": 24, "ignore_eos": true, "repetition_penalty": .double(penalties.repetition),
                                           "presence_penalty": .double(penalties.presence), "frequency_penalty": .double(penalties.frequency)]
        // Greedy, and sampling whose top-k 1 leaves only the penalised argmax (penalties before the warpers).
        let responses = try await answers([fields, fields.merging(["temperature": 2, "top_k": 1, "seed": 3]) { $1 }])
        for response in responses {
            let choice = try #require(try json(response)["choices"]?.arrayValue?.first, "\(String(buffer: response.body))")
            #expect(choice["lucid"]?["token_ids"]?.arrayValue?.compactMap(\.intValue) == expected.tokens)
            #expect(choice["lucid"]?["batched"] == .bool(true))
        }
    }

    @Test func aPenaltyWithAMethodThatAppliesNoneIsRefusedNamingIt() async throws {
        let methods: [JSONValue] = [.object(["method": "beam", "beams": 2]), .object(["method": "opera", "beams": 2]), .object(["method": "vcd"])]
        var extras: [[String: JSONValue]] = []
        for (method, field) in zip(methods, ["presence_penalty", "frequency_penalty", "repetition_penalty"]) {
            extras.append(["max_tokens": 2, "decoding": method, field: .double(field == "repetition_penalty" ? 1.2 : 0.5)])
        }
        extras.append(["max_tokens": 2, "decoding": .object(["method": "greedy", "repetition_penalty": .double(1.2)])])  // the top level's field
        extras.append(["max_tokens": 2, "decoding": methods[0], "repetition_penalty": 1, "presence_penalty": 0])  // neutral: answered
        let responses = try await answers(extras)
        let misplaced = try json(responses[3])["error"]
        #expect(misplaced?["param"]?.stringValue == "decoding.repetition_penalty"
                && misplaced?["message"]?.stringValue?.contains("at the top level") == true, "\(String(describing: misplaced))")
        for (response, field) in zip(responses.prefix(3), ["presence_penalty", "frequency_penalty", "repetition_penalty"]) {
            let error = try json(response)["error"]
            #expect(response.status == .badRequest && error?["param"]?.stringValue == field, "\(String(describing: error))")
            #expect(error?["code"]?.stringValue == "unsupported_parameter")
        }
        #expect(responses[4].status == .ok, "\(String(buffer: responses[4].body))")
    }

    /// Beam search and OPERA take `hypothesis_length` (`new`, the default, or `sequence`, transformers 4.29's) in their
    /// `decoding` object; the repetition penalty's context is not a server option (it counts the prompt, as OpenAI's
    /// and vLLM's), and a request that sets it is told so.
    @Test func hypothesisLengthIsABeamOptionAndTheRepetitionContextIsRefused() async throws {
        for name in ["beam", "opera"] {
            let method = try DecodingRequest.method(.object(["method": .string(name), "hypothesis_length": "sequence"]),
                                                    temperature: nil, topK: nil, topP: nil, minP: nil, seed: 0)
            switch method {
            case .beam(let parameters): #expect(parameters.hypothesisLength == .sequence)
            case .opera(let parameters): #expect(parameters.hypothesisLength == .sequence)
            default: Issue.record("\(name) became \(method.name)")
            }
        }
        let responses = try await answers([
            ["max_tokens": 2, "decoding": .object(["method": "beam", "beams": 2, "hypothesis_length": "sequence"])],
            ["max_tokens": 2, "decoding": .object(["method": "beam", "beams": 2, "hypothesis_length": "whole"])],
            ["max_tokens": 2, "decoding": .object(["method": "beam", "beams": 2, "repetition_context": "bos"])],
            ["max_tokens": 2, "decoding": .object(["method": "sample", "hypothesis_length": "sequence"])],
        ])
        #expect(responses[0].status == .ok, "\(String(buffer: responses[0].body))")
        let (rule, context, sample) = (try json(responses[1])["error"], try json(responses[2])["error"], try json(responses[3])["error"])
        #expect(rule?["message"]?.stringValue?.contains("hypothesis_length: must be new or sequence, found `whole`") == true, "\(String(describing: rule))")
        #expect(context?["param"]?.stringValue == "decoding.repetition_context"
                && context?["message"]?.stringValue?.contains("counts the prompt") == true, "\(String(describing: context))")
        #expect(sample?["param"]?.stringValue == "decoding.hypothesis_length", "\(String(describing: sample))")
    }
}
