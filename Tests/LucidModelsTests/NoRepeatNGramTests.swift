import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidTensor

/// The n-gram ban (`GenerationLimits.noRepeatNGramSize`) against transformers' `NoRepeatNGramLogitsProcessor`
/// (Fixtures/llama/no_repeat_ngram.json, from scripts/make_ngram_fixtures.py): the same banned ids on random sequences,
/// the same greedy tokens and processed log-probabilities (alone and batched), the same best beam with its score, OPERA
/// as beam search, and the contexts `output` and `bos` from embeddings alone. Every decoding case differs from the
/// same decoding without the ban.
@Suite("no-repeat n-gram ban")
struct NoRepeatNGramTests {
    struct BanCase: Decodable {
        let n: Int
        let sequence: [Int]
        let banned: [Int]
    }

    struct GreedyCase: Decodable, GreedyFixtureCase {
        let configuration: String
        let n: Int
        let repetition: Double
        let prompt: [Int]
        let max_new_tokens: Int
        let tokens: [Int]
        let chosen_logprobs: [Double]
        let unbanned: [Int]

        var label: String { "n = \(n), repetition \(repetition)" }
        var plain_greedy: [Int] { unbanned }
        var limits: GenerationLimits { NoRepeatNGramTests.limits(max_new_tokens, n: n, repetition: repetition) }
    }

    struct BeamCase: Decodable {
        let configuration: String
        let n: Int
        let beams: Int
        let prompt: [Int]
        let max_new_tokens: Int
        let tokens: [Int]
        let score: Double
        let unbanned: [Int]
    }

    struct ContextCase: Decodable {
        let configuration: String
        let context: String
        let bos: Int
        let beams: Int
        let n: Int
        let prompt: [Int]
        let max_new_tokens: Int
        let tokens: [Int]
        let over_prompt: [Int]
    }

    struct Document: Decodable {
        let bans: [BanCase]
        let greedy: [GreedyCase]
        let beam: [BeamCase]
        let context: [ContextCase]
    }

    static func document() throws -> Document { try Fixtures.decoded(Document.self, "llama", "no_repeat_ngram.json") }

    static func limits(_ maxNewTokens: Int, n: Int, repetition: Double = 1) -> GenerationLimits {
        var limits = GenerationLimits(maxNewTokens: maxNewTokens)
        limits.noRepeatNGramSize = n
        limits.penalties = TokenPenalties(repetition: repetition)
        return limits
    }

    @Test func theBannedIdsAreTransformers() throws {
        let cases = try Self.document().bans
        #expect(Set(cases.map(\.n)) == [1, 2, 3, 4] && cases.contains { $0.banned.isEmpty } && cases.contains { $0.banned.count > 1 })
        for item in cases {
            let processor = try #require(LogitsProcessor(Self.limits(1, n: item.n), prompt: item.sequence))
            #expect(processor.ngramBans() == Set(item.banned), "n = \(item.n) over \(item.sequence)")
            let scores = processor.apply(Tensor([Float](repeating: 0, count: 6), shape: [6])).toArray(Float.self)
            #expect(scores.indices.filter { scores[$0] == -.infinity } == item.banned, "n = \(item.n) over \(item.sequence)")
        }
    }

    /// The ban reads the output as it grows: the processor holds the context, and each recorded token extends it.
    @Test func recordedTokensExtendTheSequenceTheBanReads() throws {
        var processor = try #require(LogitsProcessor(Self.limits(4, n: 2), prompt: [3, 1]))
        #expect(processor.ngramBans() == [])
        processor.record(3)
        #expect(processor.ngramBans() == [1], "3 1 … 3: the 2-gram (3, 1) is taken")
        processor.record(4)
        #expect(processor.ngramBans() == [])
    }

    @Test func greedyDecodesWhatTransformersDecodesAloneAndBatched() throws {
        let cases = try Self.document().greedy
        #expect(Set(cases.map(\.n)) == [1, 2, 3] && cases.contains { $0.repetition != 1 })
        try cases.expectDecodedAlone()
        try cases.expectDecodedBatched()
    }

    @Test func beamSearchKeepsTransformersBestHypothesisAndScore() throws {
        let cases = try Self.document().beam
        #expect(Set(cases.map(\.n)) == [2, 3])
        for item in cases {
            let driver = GenerationDriver(model: try GreedyCase.model(item.configuration))
            #expect(item.tokens != item.unbanned, "the fixture tells the ban apart: \(item.configuration) n = \(item.n)")
            let result = try driver.generate(.tokens(item.prompt), strategy: .beamSearch(BeamSearchParameters(beams: item.beams, lengthPenalty: 1)),
                                             limits: Self.limits(item.max_new_tokens, n: item.n))
            #expect(result.tokens == item.tokens, "\(item.configuration) n = \(item.n)")
            #expect(abs((result.score ?? .nan) - item.score) < 1e-4, "\(item.configuration) n = \(item.n): \(result.score ?? .nan) against \(item.score)")
        }
    }

    /// OPERA's beam step runs transformers' processors (its fork's), so without penalty or restriction it decodes each
    /// beam case as transformers' beam search does.
    @Test func operaWithoutPenaltyOrRestrictionBansAsBeamSearch() throws {
        let cases = try Self.document().beam.filter { $0.configuration == "qwen3" || $0.configuration == "llama-gqa" }
        try #require(cases.count >= 2)
        for item in cases {
            let model = try GreedyCase.model(item.configuration)
            var limits = Self.limits(item.max_new_tokens, n: item.n)
            limits.promptTokens = item.prompt  // what `Decoding.generate` passes for an embeddings prompt
            let parameters = OPERATests.withoutPenaltyOrRestriction(vocabulary: model.vocabularySize, beams: item.beams)
            let embeddings = withNoGrad { model.embed(Tensor(item.prompt, shape: [1, item.prompt.count])) }
            let (result, _) = try OPERADecoder(model: model, parameters: parameters).generate(prompt: embeddings, imageRange: nil, limits: limits)
            #expect(result.tokens == item.tokens, "\(item.configuration) n = \(item.n)")
            #expect(abs((result.score ?? .nan) - item.score) < 1e-4, "\(item.configuration) n = \(item.n)")
        }
    }

    /// The ban counts what `repetitionContext` names, as the repetition penalty does: from embeddings alone current
    /// transformers counts the output only (`output`), 4.29 the beginning-of-sequence token besides (`bos`).
    @Test func theContextDecidesWhatTheBanCountsBesidesTheOutput() throws {
        let cases = try Self.document().context
        #expect(Set(cases.map(\.context)) == ["output", "bos"] && Set(cases.map(\.beams)) == [1, 3])
        for item in cases {
            let model = try GreedyCase.model(item.configuration)
            let method: DecodingMethod = item.beams == 1 ? .greedy : .beam(BeamSearchParameters(beams: item.beams, lengthPenalty: 1))
            var limits = Self.limits(item.max_new_tokens, n: item.n)
            (limits.repetitionContext, limits.bosTokenID) = (try #require(RepetitionContext(item.context)), item.bos)
            let label = "\(item.configuration) \(item.context), n = \(item.n), \(item.beams) beams"
            #expect(item.tokens != item.over_prompt, "the fixture tells the context apart: \(label)")
            #expect(try Decoding.generate(model, ids: item.prompt, method: method, limits: limits).tokens == item.tokens, "\(label)")
            limits.repetitionContext = .prompt
            #expect(try Decoding.generate(model, ids: item.prompt, method: method, limits: limits).tokens == item.over_prompt, "\(label): over the prompt")
        }
    }

    @Test func methodsThatCannotBanAndSizesOutOfRangeAreRefused() throws {
        let limits = Self.limits(8, n: 2)
        for method in [DecodingMethod.greedy, .beam(BeamSearchParameters(beams: 2, lengthPenalty: 1)), .opera(OPERAParameters())] {
            #expect(throws: Never.self) { try limits.validateLogitsProcessing(for: method) }
        }
        let vcd = DecodingMethod.vcd(ContrastiveParameters(alpha: 1, beta: 0.1, sampling: nil), noiseStep: 500, noiseSeed: 0)
        #expect(throws: GenerationError.self) { try limits.validateLogitsProcessing(for: vcd) }
        for size in [-1, GenerationLimits.maximumNewTokens + 1] {
            #expect(throws: GenerationError.self) { try Self.limits(8, n: size).validateLogitsProcessing(vocabularySize: 100) }
        }
        var bos = Self.limits(8, n: 2)
        bos.repetitionContext = .bos
        #expect(throws: GenerationError.self, "a `bos` context without the id, once the ban reads it") {
            try bos.validateLogitsProcessing(vocabularySize: 100)
        }
    }
}
