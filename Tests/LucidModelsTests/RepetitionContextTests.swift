import Foundation
import LucidTensor
import Testing
@testable import LucidGeneration
@testable import LucidModels

/// What the repetition penalty counts besides the output (`GenerationLimits.repetitionContext`) against transformers
/// generating from the prompt's embeddings alone (Fixtures/llama/logits_processors.json, `context`, from
/// scripts/make_logits_processor_fixtures.py): `output`, as current transformers counts no prompt token there, and
/// `bos`, as transformers 4.29 (OPERA's fork) counts the beginning-of-sequence token. Every case differs from the
/// penalty over the prompt, so a decoder that ignores the context fails.
@Suite("repetition penalty context")
struct RepetitionContextTests {
    struct ContextCase: Decodable {
        let configuration: String
        let context: String
        let bos: Int
        let beams: Int
        let prompt: [Int]
        let repetition: Double
        let max_new_tokens: Int
        let tokens: [Int]
        let over_prompt: [Int]

        var method: DecodingMethod { beams == 1 ? .greedy : .beam(BeamSearchParameters(beams: beams, lengthPenalty: 1)) }

        func limits(_ context: RepetitionContext) -> GenerationLimits {
            var limits = GenerationLimits(maxNewTokens: max_new_tokens)
            limits.penalties = TokenPenalties(repetition: repetition)
            (limits.repetitionContext, limits.bosTokenID) = (context, bos)
            return limits
        }
    }

    struct Document: Decodable {
        let context: [ContextCase]
    }

    static func cases() throws -> [ContextCase] {
        try Fixtures.decoded(Document.self, "llama", "logits_processors.json").context
    }

    @Test func eachContextDecodesWhatTransformersDecodesFromEmbeddingsAlone() throws {
        let cases = try Self.cases()
        #expect(Set(cases.map(\.context)) == ["output", "bos"] && Set(cases.map(\.beams)) == [1, 3])
        for (configuration, group) in Dictionary(grouping: cases, by: \.configuration) {
            let model = try LlamaForCausalLM.load(path: Fixtures.path("llama", configuration, "model"))
            for item in group {
                let context = try #require(RepetitionContext(item.context))
                #expect(item.tokens != item.over_prompt, "the fixture tells the context apart: \(configuration) \(item.context)")
                let result = try Decoding.generate(model, ids: item.prompt, method: item.method, limits: item.limits(context))
                #expect(result.tokens == item.tokens, "\(configuration) \(item.context), \(item.beams) beams")
                let prompt = try Decoding.generate(model, ids: item.prompt, method: item.method, limits: item.limits(.prompt))
                #expect(prompt.tokens == item.over_prompt, "\(configuration) \(item.context), \(item.beams) beams: the default counts the prompt")
            }
        }
    }

    /// OPERA's official code runs its processors over transformers 4.29's `input_ids`: from embeddings alone, the
    /// beginning-of-sequence token. Without penalty or restriction OPERA is beam search, so, given the prompt's
    /// embeddings and context `bos`, it decodes each 3-beam `bos` case.
    @Test func operaFromEmbeddingsCountsTheBosTokenWithContextBos() throws {
        let cases = try Self.cases().filter { $0.context == "bos" && $0.beams == 3 }
        try #require(!cases.isEmpty)
        for item in cases {
            let model = try LlamaForCausalLM.load(path: Fixtures.path("llama", item.configuration, "model"))
            let parameters = OPERATests.withoutPenaltyOrRestriction(vocabulary: model.vocabularySize, beams: item.beams)
            let embeddings = withNoGrad { model.embed(Tensor(item.prompt, shape: [1, item.prompt.count])) }
            let (result, _) = try OPERADecoder(model: model, parameters: parameters).generate(prompt: embeddings, imageRange: nil,
                                                                                             limits: item.limits(.bos))
            #expect(result.tokens == item.tokens, "\(item.configuration)")
        }
    }

    /// `promptTokens`, where a caller sets them, win over the context; a context of `bos` without the id is refused
    /// once a penalty reads it, and so is an id outside the vocabulary.
    @Test func explicitPromptTokensWinAndBosNeedsAnIdInTheVocabulary() throws {
        let item = try #require(try Self.cases().first { $0.context == "bos" && $0.beams == 1 })
        let model = try LlamaForCausalLM.load(path: Fixtures.path("llama", item.configuration, "model"))
        var limits = item.limits(.output)
        limits.promptTokens = [item.bos]
        #expect(try Decoding.generate(model, ids: item.prompt, method: .greedy, limits: limits).tokens == item.tokens)
        limits = item.limits(.bos)
        limits.bosTokenID = nil
        #expect(throws: GenerationError.self) { try Decoding.generate(model, ids: item.prompt, method: .greedy, limits: limits) }
        limits.bosTokenID = model.vocabularySize
        #expect(throws: GenerationError.self) { try Decoding.generate(model, ids: item.prompt, method: .greedy, limits: limits) }
        limits.penalties = TokenPenalties()  // no penalty reads the context: nothing to refuse
        #expect(try Decoding.generate(model, ids: item.prompt, method: .greedy, limits: limits).tokens.count == item.max_new_tokens)
    }
}
