import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidTensor

/// Repetition, presence and frequency penalties against transformers (Fixtures/llama/penalties.json, from
/// scripts/make_penalty_fixtures.py): the same greedy tokens, and the same processed log-probabilities, alone
/// and batched; every case's tokens differ from plain greedy decoding.
@Suite("token penalties")
struct TokenPenaltyTests {
    struct Case: Decodable, GreedyFixtureCase {
        let configuration: String
        let prompt: [Int]
        let repetition: Double
        let presence: Double
        let frequency: Double
        let tokens: [Int]
        let chosen_logprobs: [Double]
        let plain_greedy: [Int]

        var penalties: TokenPenalties { TokenPenalties(repetition: repetition, presence: presence, frequency: frequency) }
        var limits: GenerationLimits {
            var limits = GenerationLimits(maxNewTokens: tokens.count)
            limits.penalties = penalties
            return limits
        }
        var label: String { "repetition \(repetition) presence \(presence) frequency \(frequency)" }
    }

    struct Document: Decodable { let cases: [Case] }

    static func cases() throws -> [Case] {
        let url = URL(fileURLWithPath: Fixtures.path("llama", "penalties.json"))
        return try JSONDecoder().decode(Document.self, from: Data(contentsOf: url)).cases
    }

    @Test func greedyWithPenaltiesMatchesTransformersTokenForToken() throws {
        let cases = try Self.cases()
        #expect(Set(cases.map(\.configuration)).count == LlamaConformanceTests.configurations.count)
        try cases.expectDecodedAlone()
    }

    @Test func plainGreedyIsWhatNeutralPenaltiesDecode() throws {
        let item = try #require(try Self.cases().first)
        var limits = GenerationLimits(maxNewTokens: item.tokens.count)
        limits.penalties = TokenPenalties(repetition: 1, presence: 0, frequency: 0)
        let result = try GenerationDriver(model: try Case.model(item.configuration)).generate(.tokens(item.prompt), strategy: .greedy, limits: limits)
        #expect(result.tokens == item.plain_greedy)
    }

    @Test func batchedRowsWithDifferentPenaltiesDecodeWhatTheyDecodeAlone() throws {
        let group = try Self.cases().filter { $0.configuration == "llama-mha" }
        #expect(group.count >= 3)
        try group.expectDecodedBatched()
    }

    @Test func samplingAppliesPenaltiesBeforeItsWarpers() throws {
        // Top-k 1 keeps only the penalised argmax, so sampling at any temperature gives transformers' greedy
        // tokens, only if the penalties come before top-k (as transformers and vLLM apply them).
        let item = try #require(try Self.cases().first { $0.repetition != 1 && $0.presence != 0 })
        let sampling = DecodingStrategy.sampling(SamplingParameters(temperature: 3, topK: 1, topP: 1, seed: 9))
        let model = try Case.model(item.configuration)
        let alone = try GenerationDriver(model: model).generate(.tokens(item.prompt), strategy: sampling, limits: item.limits)
        #expect(alone.tokens == item.tokens)
        let batch = ContinuousBatch(model: model)
        var batched: [Int] = []
        var (_, events) = try batch.join(.tokens(item.prompt), strategy: sampling, limits: item.limits)
        while true {
            for case .token(_, let token, _) in events { batched.append(token) }
            if batch.activeRows == 0 { break }
            events = batch.step()
        }
        #expect(batched == item.tokens)
    }

    @Test func anEmbeddingsPrefillCountsThePromptTokensItIsGiven() throws {
        let item = try #require(try Self.cases().first { $0.repetition == 0.7 })
        let model = try Case.model(item.configuration)
        let embeddings = withNoGrad { model.embed(Tensor(item.prompt, shape: [1, item.prompt.count])) }
        var limits = item.limits
        limits.promptTokens = item.prompt
        let result = try GenerationDriver(model: model).generate(.embeddings(embeddings), strategy: .greedy, limits: limits)
        #expect(result.tokens == item.tokens)
        // Decoding.generate counts its ids as the prompt.
        let entry = try Decoding.generate(model, ids: item.prompt, method: .greedy, limits: item.limits)
        #expect(entry.tokens == item.tokens)
    }

    @Test func penaltiesOutOfRangeAreRefusedByName() throws {
        let model = try Case.model("llama-mha")
        let bad: [(TokenPenalties, String)] = [
            (TokenPenalties(repetition: 0), "repetition"), (TokenPenalties(repetition: .nan), "repetition"),
            (TokenPenalties(repetition: 1e9), "repetition"), (TokenPenalties(presence: 2.5), "presence"),
            (TokenPenalties(frequency: -3), "frequency"), (TokenPenalties(frequency: .infinity), "frequency"),
        ]
        for (penalties, name) in bad {
            var limits = GenerationLimits(maxNewTokens: 2)
            limits.penalties = penalties
            #expect { try GenerationDriver(model: model).generate(.tokens([5, 6]), strategy: .greedy, limits: limits) } throws: {
                "\($0)".contains("\(name) penalty must be in")
            }
            #expect(throws: GenerationError.self) { try ContinuousBatch(model: model).join(.tokens([5, 6]), strategy: .greedy, limits: limits) }
        }
    }

    @Test func methodsThatApplyNoPenaltiesRefuseThem() throws {
        let model = try Case.model("llama-mha")
        var limits = GenerationLimits(maxNewTokens: 2)
        limits.penalties = TokenPenalties(presence: 0.5)
        // Beam search and OPERA refuse the presence and frequency penalties alone (LogitsProcessorTests).
        #expect { try Decoding.generate(model, ids: [5, 6, 7], method: .opera(OPERAParameters()), limits: limits) } throws: {
            "\($0)".contains("OPERA applies no presence penalty")
        }
        let main = withNoGrad { model.embed(Tensor([5, 6, 7], shape: [1, 3])) }
        #expect { try ContrastiveDecoder(model: model).generate(main: main, amateur: main, parameters: ContrastiveParameters(alpha: 1, beta: 0.1), limits: limits) } throws: {
            "\($0)".contains("contrastive decoding (VCD, DAMRO) applies no")
        }
    }
}
