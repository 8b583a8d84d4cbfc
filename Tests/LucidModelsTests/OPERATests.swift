import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidTensor

@Suite("OPERA")
struct OPERATests {
    @Test func columnPenaltyIsTheLargestScaledProductWithFP16Overflow() {
        // Rows = response tokens (σ already applied); column 0 multiplies 2·3·4 = 24, column 1 5·6 = 30, column 2 7.
        let local: [[Double]] = [[2, 0, 0], [3, 5, 0], [4, 6, 7]]
        let (penalty, column) = OPERAMechanics.columnPenalty(local, mode: .official)
        #expect(column == 1 && Swift.abs(penalty - 30e-7) < 1e-15)
        let big: [[Double]] = [[300, 0], [300, 1]]   // 90000 > 65504: overflows in fp16
        #expect(OPERAMechanics.columnPenalty(big, mode: .official).penalty == .infinity)
        #expect(Swift.abs(OPERAMechanics.columnPenalty(big, mode: .smooth).penalty - 9e-3) < 1e-12)
        let transient: [[Double]] = [[70000, 0], [0.5, 1]]   // the running product overflowed once: sticky
        #expect(OPERAMechanics.columnPenalty(transient, mode: .official).penalty == .infinity)
    }

    @Test func rollbackNeedsEveryBeamAboveTheThresholdAndALateSummary() {
        #expect(OPERAMechanics.mode([3, 1, 3, 1]) == 1, "ties go to the smaller value, as torch.mode")
        let histories = [[12, 12, 12, 5], [12, 12, 12, 12]]
        #expect(OPERAMechanics.rollbackLocation(histories: histories, threshold: 3, comparison: .greater, minimumLocation: 10) == nil)
        #expect(OPERAMechanics.rollbackLocation(histories: histories, threshold: 3, comparison: .atLeast, minimumLocation: 10) == 12)
        #expect(OPERAMechanics.rollbackLocation(histories: histories, threshold: 2, comparison: .greater, minimumLocation: 10) == 12)
        #expect(OPERAMechanics.rollbackLocation(histories: histories, threshold: 2, comparison: .greater, minimumLocation: 13) == nil)
        #expect(OPERAMechanics.rollbackLocation(histories: [[], []], threshold: 0, comparison: .greater, minimumLocation: 0) == nil)
    }

    func model() throws -> (LlamaForCausalLM, [Int], SafetensorsFile) {
        let directory = Fixtures.path("llama", "llama-mha")
        let golden = try Fixtures.golden(directory)
        return (try LlamaForCausalLM.load(path: directory + "/model"),
                Array(try golden.loadTensor(named: "input_ids").toArray(Int.self).prefix(6)), golden)
    }

    /// OPERA without penalty, candidate restriction or rollback, early stopping once the beams are finished: plain beam search.
    static func withoutPenaltyOrRestriction(vocabulary: Int, beams: Int, lengthPenalty: Double = 1) -> OPERAParameters {
        var p = OPERAParameters()
        p.beams = beams
        p.candidates = vocabulary
        p.penaltyWeight = 0
        p.threshold = 1000
        p.imageBonusTokens = 0
        p.lengthPenalty = lengthPenalty
        p.earlyStopping = .whenFinished
        return p
    }

    @Test func withoutPenaltyOrRestrictionItIsTransformersBeamSearch() throws {
        let (llm, prompt, golden) = try model()
        let p = Self.withoutPenaltyOrRestriction(vocabulary: llm.vocabularySize, beams: 3)
        let embeddings = llm.embed(Tensor(prompt, shape: [1, prompt.count]))
        let (result, report) = try OPERADecoder(model: llm, parameters: p).generate(prompt: embeddings, imageRange: nil,
                                                                                     limits: GenerationLimits(maxNewTokens: 8, eosTokenIDs: [2]))
        #expect(result.tokens == (try golden.loadTensor(named: "beam3").toArray(Int.self)))
        #expect(report.rollbacks.isEmpty)
        #expect(report.lookAheadPasses == 8, "one look-ahead pass per step scores every candidate")
    }

    /// OPERA's selection is beam search's, stop strings included: without penalty or rollback, with early stopping
    /// once the beams are finished, it ends where transformers' beam search with the stop string ends
    /// (`beam_stop.json`'s finished-eos case), not where searching on and cutting afterwards would.
    @Test func withoutPenaltyOrRestrictionItEndsAtAStopStringAsTransformersBeamSearch() throws {
        let (llm, _, _) = try model()
        let fixture = try GenerationConformanceTests.beamStopFixture("llama-mha")
        let item = try #require(fixture.cases.first { $0.early_stopping == "finished" })
        let p = Self.withoutPenaltyOrRestriction(vocabulary: llm.vocabularySize, beams: item.beams, lengthPenalty: item.length_penalty)
        let embeddings = llm.embed(Tensor(fixture.prompt, shape: [1, fixture.prompt.count]))
        let limits = GenerationLimits(maxNewTokens: fixture.max_new_tokens, eosTokenIDs: item.eos, stopStrings: item.stop,
                                      decode: GenerationConformanceTests.letters)
        let (result, report) = try OPERADecoder(model: llm, parameters: p).generate(prompt: embeddings, imageRange: nil, limits: limits)
        #expect(result.tokens == item.expected)
        #expect(result.finishReason == .stopString && result.stopString == item.stop.first)
        #expect(report.rollbacks.isEmpty)
    }

    /// The official code's beam step runs transformers' processors, so OPERA takes the logit bias, the minimum length and
    /// the repetition penalty where beam search does (which BeamLogitsProcessorTests holds to transformers'): without
    /// penalty or restriction it decodes what beam search decodes under each llama-mha case's limits, with its score.
    /// (These searches overflow the official penalty arithmetic to ∞ at α = 0: before α = 0 skipped the penalty, the
    /// scores were NaN.)
    @Test func withoutPenaltyOrRestrictionItAppliesTheLogitsProcessorsAsBeamSearch() throws {
        let (llm, _, _) = try model()
        let cases = try BeamLogitsProcessorTests.cases().filter { $0.configuration == "llama-mha" }
        try #require(cases.count >= 3)
        for item in cases {
            var limits = item.limits
            limits.promptTokens = item.prompt  // what `Decoding.generate` passes for an embeddings prompt
            let strategy = DecodingStrategy.beamSearch(BeamSearchParameters(beams: item.beams, lengthPenalty: item.length_penalty, earlyStopping: .whenFinished))
            let beam = try GenerationDriver(model: llm).generate(.tokens(item.prompt), strategy: strategy, limits: limits)
            let plain = try GenerationDriver(model: llm).generate(.tokens(item.prompt), strategy: strategy,
                                                                  limits: GenerationLimits(maxNewTokens: item.max_new_tokens, eosTokenIDs: item.eos))
            let p = Self.withoutPenaltyOrRestriction(vocabulary: llm.vocabularySize, beams: item.beams, lengthPenalty: item.length_penalty)
            let embeddings = withNoGrad { llm.embed(Tensor(item.prompt, shape: [1, item.prompt.count])) }
            let (result, report) = try OPERADecoder(model: llm, parameters: p).generate(prompt: embeddings, imageRange: nil, limits: limits)
            #expect(beam.tokens != plain.tokens, "the limits change the search: \(item.label)")
            #expect(result.tokens == beam.tokens, "\(item.label)")
            #expect(abs((result.score ?? .nan) - (beam.score ?? .nan)) < 1e-4, "\(item.label)")
            #expect(report.rollbacks.isEmpty)
        }
    }

    /// Two beams of two candidates and a threshold of 1: OPERA rolls back on the llama-mha fixture.
    static var rollingBack: OPERAParameters {
        var p = OPERAParameters()
        p.beams = 2
        p.candidates = 2
        p.threshold = 1
        p.minimumSummaryLocation = 0
        p.imageBonusTokens = 0
        return p
    }

    @Test func rollbacksBanThePreviousChoicesAtThatPosition() throws {
        let (llm, prompt, _) = try model()
        let p = Self.rollingBack
        let embeddings = llm.embed(Tensor(prompt, shape: [1, prompt.count]))
        let (result, report) = try OPERADecoder(model: llm, parameters: p).generate(prompt: embeddings, imageRange: nil,
                                                                                     limits: GenerationLimits(maxNewTokens: 12))
        #expect(!report.rollbacks.isEmpty, "threshold 1 must trigger rollbacks on this fixture")
        #expect(result.tokens.count == 12)
        for rollback in report.rollbacks {
            #expect(rollback.redecided.count == p.beams, "position \(rollback.position) was re-decided")
            for (slot, token) in rollback.redecided.enumerated() {
                #expect(!rollback.banned[slot].contains(token), "slot \(slot) at \(rollback.position) chose a banned token")
            }
        }
        let counts = Dictionary(grouping: report.rollbacks, by: \.position).mapValues(\.count)
        #expect(counts.values.allSatisfy { $0 <= p.candidates }, "at most N_can rollbacks per position")
    }

    @Test func rollbackRestartFromThePromptCacheEqualsAFullPrefill() throws {
        let (llm, prompt, _) = try model()
        let decoder = OPERADecoder(model: llm, parameters: OPERAParameters())
        let embeddings = llm.embed(Tensor(prompt, shape: [1, prompt.count]))
        var statistics = GenerationStatistics()
        let sequences = [[5, 9, 12], [7, 7, 30], [2, 40, 41]]
        let (logits0, attention0, cache0) = withNoGrad { decoder.prefill(embeddings, sequences: [[], [], []], statistics: &statistics) }
        let state = OPERADecoder.PromptState(cache: cache0, logits: logits0, attention: attention0)
        let (fullLogits, fullAttention, fullCache) = withNoGrad { decoder.prefill(embeddings, sequences: sequences, statistics: &statistics) }
        let (logits, attention, cache) = withNoGrad { decoder.resume(from: state, sequences: sequences, statistics: &statistics) }
        #expect(cache.length == fullCache.length && cache0.length == prompt.count, "the prompt cache is copied, not extended")
        #expect(maxAbs(logits, fullLogits) < 1e-4)
        #expect(attention.shape == fullAttention.shape)
        #expect(maxAbs(attention, fullAttention) < 1e-5)
    }

    @Test func reusingTheLookAheadDecodesWhatRunningTheChosenTokensAgainDoes() throws {
        let (llm, prompt, _) = try model()
        var p = OPERAParameters()
        p.threshold = 2
        p.minimumSummaryLocation = 0
        p.imageBonusTokens = 3
        let embeddings = llm.embed(Tensor(prompt, shape: [1, prompt.count]))
        let limits = GenerationLimits(maxNewTokens: 14)
        var official = OPERADecoder(model: llm, parameters: p)
        official.reusesLookAhead = false
        let (expected, expectedReport) = try official.generate(prompt: embeddings, imageRange: 1..<4, limits: limits)
        let (result, report) = try OPERADecoder(model: llm, parameters: p).generate(prompt: embeddings, imageRange: 1..<4, limits: limits)
        #expect(result.tokens == expected.tokens)
        #expect(report == expectedReport)
        #expect(report.decisions.map(\.tokens) == expectedReport.decisions.map(\.tokens))
        #expect(!report.rollbacks.isEmpty, "the comparison should cover rollbacks too")
        #expect(result.statistics.forwardPasses < expected.statistics.forwardPasses, "reuse saves the chosen tokens' pass")
    }

    @Test func parametersAreValidated() {
        var p = OPERAParameters()
        p.candidates = 0
        #expect(throws: GenerationError.self) { try p.validate() }
        p = OPERAParameters()
        p.window = 0
        #expect(throws: GenerationError.self) { try p.validate() }
        #expect(OPERAParameters.efficient.candidates == 1 && OPERAParameters.efficient.threshold == 25)
    }
}
