import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidTensor

/// Logit bias, minimum length and min-p against transformers (Fixtures/llama/logits_processors.json, from
/// scripts/make_logits_processor_fixtures.py): the same greedy tokens and processed log-probabilities, alone
/// and batched, and the same warped distributions; every greedy case differs from plain greedy decoding.
@Suite("logit bias, minimum length and min-p")
struct LogitsProcessorTests {
    struct GreedyCase: Decodable, GreedyFixtureCase {
        let configuration: String
        let label: String
        let prompt: [Int]
        let logit_bias: [String: Double]
        let eos: [Int]
        let min_new_tokens: Int
        let repetition: Double
        let max_new_tokens: Int
        let tokens: [Int]
        let chosen_logprobs: [Double]
        let plain_greedy: [Int]

        var limits: GenerationLimits {
            GenerationLimits(fixture: max_new_tokens, eos: eos, logitBias: logit_bias, minNewTokens: min_new_tokens, repetition: repetition)
        }
    }

    struct WarperCase: Decodable {
        let temperature: Double
        let top_k: Int
        let top_p: Double
        let min_p: Double
        let logits: [[Float]]
        let logprobs: [[Double?]]
    }

    struct Document: Decodable {
        let greedy: [GreedyCase]
        let warpers: [WarperCase]
    }

    static func document() throws -> Document {
        let url = URL(fileURLWithPath: Fixtures.path("llama", "logits_processors.json"))
        return try JSONDecoder().decode(Document.self, from: Data(contentsOf: url))
    }

    @Test func greedyWithBiasAndMinimumLengthMatchesTransformersTokenForToken() throws {
        let cases = try Self.document().greedy
        #expect(Set(cases.map(\.configuration)).count == LlamaConformanceTests.configurations.count)
        #expect(cases.contains { $0.min_new_tokens > 0 && $0.tokens.last.map($0.eos.contains) == true }, "a case ends at its end token after the minimum")
        try cases.expectDecodedAlone()
    }

    @Test func batchedRowsDecodeWhatTransformersDecodes() throws {
        try Self.document().greedy.expectDecodedBatched()
    }

    @Test func samplingWarpersMatchTransformersMinP() throws {
        let cases = try Self.document().warpers
        #expect(cases.contains { $0.min_p > 0 && $0.top_p < 1 && $0.top_k > 0 })
        for item in cases {
            let sampling = SamplingParameters(temperature: item.temperature, topK: item.top_k, topP: item.top_p, minP: item.min_p)
            try sampling.validate()
            for (row, expected) in zip(item.logits, item.logprobs) {
                let warped = sampling.warp(Tensor(row, shape: [row.count])).logSoftmax(axis: -1).toArray(Float.self)
                let label = "temperature \(item.temperature) top-k \(item.top_k) top-p \(item.top_p) min-p \(item.min_p)"
                #expect(warped.map(\.isFinite) == expected.map { $0 != nil }, "the tokens kept: \(label)")
                for (lucid, reference) in zip(warped, expected) {
                    if let reference { #expect(abs(Double(lucid) - reference) < 1e-5, "\(label)") }
                }
            }
        }
    }

    @Test func aMinimumLengthWithoutEndTokensChangesNothing() throws {
        let item = try #require(try Self.document().greedy.first { $0.min_new_tokens > 0 })
        var limits = GenerationLimits(maxNewTokens: item.max_new_tokens)
        limits.minNewTokens = item.min_new_tokens
        #expect(LogitsProcessor(limits, prompt: item.prompt) == nil)
        let driver = GenerationDriver(model: try GreedyCase.model(item.configuration))
        let plain = try driver.generate(.tokens(item.prompt), strategy: .greedy, limits: GenerationLimits(maxNewTokens: item.max_new_tokens))
        #expect(try driver.generate(.tokens(item.prompt), strategy: .greedy, limits: limits).tokens == plain.tokens)
    }

    @Test func badBiasesAndMinimumLengthsAreRefusedByName() throws {
        let model = try GreedyCase.model("llama-mha")
        let bad: [(GenerationLimits, String)] = [
            (limits { $0.logitBias = [model.vocabularySize: 1] }, "outside the vocabulary"),
            (limits { $0.logitBias = [-1: 1] }, "outside the vocabulary"),
            (limits { $0.logitBias = [3: 100.5] }, "logit bias of token 3 must be in"),
            (limits { $0.logitBias = [3: .nan] }, "logit bias of token 3 must be in"),
            (limits { $0.minNewTokens = 5 }, "min new tokens must be in 0…4"),
            (limits { $0.minNewTokens = -1 }, "min new tokens must be in"),
        ]
        for (limits, message) in bad {
            #expect { try GenerationDriver(model: model).generate(.tokens([5, 6]), strategy: .greedy, limits: limits) } throws: {
                "\($0)".contains(message)
            }
            #expect(throws: GenerationError.self) { try ContinuousBatch(model: model).join(.tokens([5, 6]), strategy: .greedy, limits: limits) }
        }
        for minP in [-0.1, 1.5, .nan] {
            #expect { try SamplingParameters(minP: minP).validate() } throws: { "\($0)".contains("min-p must be in 0…1") }
        }
    }

    @Test func methodsThatApplyNoLogitsProcessingRefuseIt() throws {
        let model = try GreedyCase.model("llama-mha")
        let main = withNoGrad { model.embed(Tensor([5, 6, 7], shape: [1, 3])) }
        for penalties in [TokenPenalties(presence: 0.5), TokenPenalties(repetition: 1.2, frequency: -1)] {
            let limits = limits { $0.penalties = penalties }
            let name = penalties.presence != 0 ? "presence" : "frequency"
            for (method, label): (DecodingMethod, String) in [(.beam(BeamSearchParameters(beams: 2)), "beam search"), (.opera(OPERAParameters()), "OPERA")] {
                #expect { try Decoding.generate(model, ids: [5, 6, 7], method: method, limits: limits) } throws: {
                    "\($0)".contains("\(label) applies no \(name) penalty")
                }
                #expect { try limits.validateLogitsProcessing(for: method) } throws: { "\($0)".contains("decoding \(method.name) applies no") }
            }
        }
        for limits in [limits { $0.logitBias = [3: 2] }, limits { $0.minNewTokens = 2 }, limits { $0.penalties.repetition = 1.1 }] {
            #expect { try ContrastiveDecoder(model: model).generate(main: main, amateur: main, parameters: ContrastiveParameters(alpha: 1, beta: 0.1), limits: limits) } throws: {
                "\($0)".contains("contrastive decoding (VCD, DAMRO) applies no logit bias")
            }
        }
    }

    /// Limits of 4 new tokens with end token 2, changed by `change`.
    func limits(_ change: (inout GenerationLimits) -> Void) -> GenerationLimits {
        var limits = GenerationLimits(maxNewTokens: 4, eosTokenIDs: [2])
        change(&limits)
        return limits
    }
}
