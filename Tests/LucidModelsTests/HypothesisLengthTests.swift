import Foundation
import LucidTensor
import Testing
@testable import LucidGeneration
@testable import LucidModels

/// `HypothesisLength.sequence` against transformers' beam search with 4.29's hypothesis lengths (the prompt's ids plus
/// the new tokens, an ending EOS not counted; emulated on 5.23 by scripts/make_beam_length_fixtures.py,
/// Fixtures/llama/beam_length.json): the same best hypothesis with its score within 1e-4, and, under the default
/// `.new`, 5.23's own result, which differs in every case.
@Suite("beam hypothesis length")
struct HypothesisLengthTests {
    struct LengthCase: Decodable {
        let configuration: String
        let prompt: [Int]
        let eos: Int
        let beams: Int
        let length_penalty: Double
        let max_new_tokens: Int
        let tokens: [Int]
        let score: Double
        let new_length_tokens: [Int]

        func strategy(_ rule: HypothesisLength) -> DecodingStrategy {
            .beamSearch(BeamSearchParameters(beams: beams, lengthPenalty: length_penalty, hypothesisLength: rule))
        }
        var limits: GenerationLimits { GenerationLimits(maxNewTokens: max_new_tokens, eosTokenIDs: [eos]) }
    }

    struct Document: Decodable {
        let cases: [LengthCase]
    }

    static func cases() throws -> [LengthCase] {
        try Fixtures.decoded(Document.self, "llama", "beam_length.json").cases
    }

    @Test func sequenceLengthsDecodeWhatTransformers429LengthsDecode() throws {
        let cases = try Self.cases()
        try #require(cases.count >= 4)
        #expect(cases.contains { $0.tokens.last == $0.eos && $0.tokens.count < $0.max_new_tokens }, "a case ends at its EOS before the limit")
        for item in cases {
            let driver = GenerationDriver(model: try LlamaForCausalLM.load(path: Fixtures.path("llama", item.configuration, "model")))
            #expect(item.tokens != item.new_length_tokens, "the fixture tells the rules apart: \(item.configuration)")
            let result = try driver.generate(.tokens(item.prompt), strategy: item.strategy(.sequence), limits: item.limits)
            #expect(result.tokens == item.tokens, "\(item.configuration)")
            let score = try #require(result.score)
            #expect(abs(score - item.score) < 1e-4, "\(item.configuration): score \(score) against \(item.score)")
            let new = try driver.generate(.tokens(item.prompt), strategy: item.strategy(.new), limits: item.limits)
            #expect(new.tokens == item.new_length_tokens, "\(item.configuration): the default counts the new tokens")
        }
    }

    /// OPERA takes the rule too: without penalty or restriction, from the prompt's embeddings with the prompt's ids as
    /// its start ids (as the official LLaVA path calls `generate` with `input_ids`), it decodes each case, its
    /// early-stopping bound judged by the best candidate as 4.29's was.
    @Test func operaWithSequenceLengthsDecodesTheCases() throws {
        for item in try Self.cases() {
            let model = try LlamaForCausalLM.load(path: Fixtures.path("llama", item.configuration, "model"))
            var parameters = OPERATests.withoutPenaltyOrRestriction(vocabulary: model.vocabularySize, beams: item.beams, lengthPenalty: item.length_penalty)
            (parameters.earlyStopping, parameters.hypothesisLength) = (.heuristic, .sequence)
            var limits = item.limits
            limits.promptTokens = item.prompt  // what `Decoding.generate` passes for an embeddings prompt
            let embeddings = withNoGrad { model.embed(Tensor(item.prompt, shape: [1, item.prompt.count])) }
            let (result, _) = try OPERADecoder(model: model, parameters: parameters).generate(prompt: embeddings, imageRange: nil, limits: limits)
            #expect(result.tokens == item.tokens, "\(item.configuration)")
            parameters.hypothesisLength = .new
            let (new, _) = try OPERADecoder(model: model, parameters: parameters).generate(prompt: embeddings, imageRange: nil, limits: limits)
            #expect(new.tokens == item.new_length_tokens, "\(item.configuration): new")
        }
    }

    /// The score divides the summed log-probabilities by the length the rule counts: under `.sequence` the start ids
    /// (here the prompt's, or one for a `bos` context) and the new tokens less an ending end token.
    @Test func theScoreDividesByTheLengthTheRuleCounts() throws {
        var hypotheses = BeamSearch.Hypotheses(capacity: 2, lengthPenalty: 1, rule: .sequence, startLength: 6)
        hypotheses.add([4, 9, 2], sumLogProbs: -4, generatedLength: 3, endToken: true)
        hypotheses.add([4, 9, 7], sumLogProbs: -4.5, generatedLength: 3)
        let expected: [Double] = [-4.0 / 8, -4.5 / 9]
        #expect(hypotheses.items.map(\.score) == expected)
        var new = BeamSearch.Hypotheses(capacity: 2, lengthPenalty: 2)
        new.add([4, 9, 2], sumLogProbs: -4, generatedLength: 3, endToken: true)
        let expectedNew: [Double] = [-4.0 / 9]
        #expect(new.items.map(\.score) == expectedNew)
        var limits = GenerationLimits(maxNewTokens: 4)
        #expect(limits.startLength(prompt: [5, 6, 7]) == 3 && limits.startLength(prompt: nil) == 0)
        limits.repetitionContext = .bos
        #expect(limits.startLength(prompt: [5, 6, 7]) == 1, "4.29 from inputs_embeds starts at the BOS token, whatever its id")
        limits.repetitionContext = .ids([1, 2])
        #expect(limits.startLength(prompt: [5, 6, 7]) == 2)
    }
}
