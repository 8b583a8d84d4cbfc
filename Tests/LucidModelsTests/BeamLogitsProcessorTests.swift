import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels

/// Beam search with a logit bias, a minimum length and a repetition penalty against transformers' beam search with the
/// same processors (Fixtures/llama/logits_processors.json, `beam`, from scripts/make_logits_processor_fixtures.py): the
/// same best hypothesis with its score within 1e-4; every case differs from plain beam search.
@Suite("beam search with logits processors")
struct BeamLogitsProcessorTests {
    struct BeamCase: Decodable {
        let configuration: String
        let label: String
        let prompt: [Int]
        let beams: Int
        let length_penalty: Double
        let logit_bias: [String: Double]
        let eos: [Int]
        let min_new_tokens: Int
        let repetition: Double
        let max_new_tokens: Int
        let tokens: [Int]
        let score: Double
        let plain_beam: [Int]

        var limits: GenerationLimits {
            GenerationLimits(fixture: max_new_tokens, eos: eos, logitBias: logit_bias, minNewTokens: min_new_tokens, repetition: repetition)
        }

        var strategy: DecodingStrategy { .beamSearch(BeamSearchParameters(beams: beams, lengthPenalty: length_penalty)) }
    }

    struct Document: Decodable {
        let beam: [BeamCase]
    }

    static func cases() throws -> [BeamCase] {
        try Fixtures.decoded(Document.self, "llama", "logits_processors.json").beam
    }

    @Test func beamSearchWithBiasMinimumLengthAndRepetitionMatchesTransformers() throws {
        let cases = try Self.cases()
        #expect(Set(cases.map(\.label)) == ["bias", "min length", "repetition", "all three"])
        #expect(cases.contains { $0.min_new_tokens > 0 && $0.tokens.last.map($0.eos.contains) == true }, "a case ends at its end token after the minimum")
        for (configuration, group) in Dictionary(grouping: cases, by: \.configuration) {
            let driver = GenerationDriver(model: try LlamaForCausalLM.load(path: Fixtures.path("llama", configuration, "model")))
            for item in group {
                #expect(item.tokens != item.plain_beam, "the fixture tells the limits apart: \(configuration) \(item.label)")
                let result = try driver.generate(.tokens(item.prompt), strategy: item.strategy, limits: item.limits)
                #expect(result.tokens == item.tokens, "\(configuration) \(item.label)")
                let score = try #require(result.score)
                #expect(abs(score - item.score) < 1e-4, "\(configuration) \(item.label): score \(score) against \(item.score)")
            }
        }
    }

    @Test func processedLogprobsFollowTheBiasAndRawOnesTheModel() throws {
        let item = try #require(try Self.cases().first { $0.label == "bias" && $0.logit_bias.values.contains(6) })
        let driver = GenerationDriver(model: try LlamaForCausalLM.load(path: Fixtures.path("llama", item.configuration, "model")))
        func chosen(_ mode: LogprobsMode) throws -> [Double] {
            let result = try driver.generate(.tokens(item.prompt), strategy: item.strategy, limits: item.limits, logprobs: LogprobsRequest(top: 0, mode: mode))
            #expect(result.tokens == item.tokens)
            return result.logprobs?.map(\.chosen.logprob) ?? []
        }
        let (raw, processed) = (try chosen(.raw), try chosen(.processed))
        #expect(raw.count == item.tokens.count && processed.count == item.tokens.count)
        let boosted = Set(item.logit_bias.filter { $0.value > 0 }.compactMap { Int($0.key) })
        for (index, token) in item.tokens.enumerated() where boosted.contains(token) {
            // +6 on a log-probability makes the token far more likely after renormalising than the model has it.
            #expect(processed[index] > raw[index] + 1, "step \(index): processed \(processed[index]), raw \(raw[index])")
        }
        #expect(item.tokens.contains(where: boosted.contains), "the boosted token is chosen, so the check above runs")
    }
}
