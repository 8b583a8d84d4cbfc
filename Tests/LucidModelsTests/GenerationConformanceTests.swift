import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidTensor

/// Greedy and beam-search continuations against transformers' `generate` (fixtures from
/// scripts/make_llama_fixtures.py): identical token ids.
@Suite("Generation conformance with transformers")
struct GenerationConformanceTests {
    @Test(arguments: LlamaConformanceTests.configurations)
    func greedyMatchesTokenForToken(_ name: String) throws {
        let directory = Fixtures.path("llama", name)
        let model = try LlamaForCausalLM.load(path: directory + "/model")
        let golden = try Fixtures.golden(directory)
        let prompt = Array(try golden.loadTensor(named: "input_ids").toArray(Int.self).prefix(6))
        let expected = try golden.loadTensor(named: "greedy").toArray(Int.self)
        let result = try GenerationDriver(model: model).generate(.tokens(prompt), strategy: .greedy,
                                                                 limits: GenerationLimits(maxNewTokens: 10))
        #expect(result.tokens == expected)
        #expect(result.finishReason == .length)
        #expect(result.statistics.forwardPasses == 10)
        #expect(result.statistics.prefillTokens == 6 && result.statistics.decodeTokens == 10)
        // The decoding thread did the decode's work: some CPU time, never more than the wall-clock time
        // (plus the clocks' granularity).
        #expect(result.statistics.decodeThreadCPUSeconds > 0)
        #expect(result.statistics.decodeThreadCPUSeconds <= result.statistics.decodeSeconds + 0.01)
    }

    @Test(arguments: LlamaConformanceTests.configurations)
    func beamSearchMatchesTokenForToken(_ name: String) throws {
        let directory = Fixtures.path("llama", name)
        let model = try LlamaForCausalLM.load(path: directory + "/model")
        let golden = try Fixtures.golden(directory)
        let prompt = Array(try golden.loadTensor(named: "input_ids").toArray(Int.self).prefix(6))
        let expected = try golden.loadTensor(named: "beam3").toArray(Int.self)
        let strategy = DecodingStrategy.beamSearch(BeamSearchParameters(beams: 3, lengthPenalty: 1, earlyStopping: .whenFinished))
        let result = try GenerationDriver(model: model).generate(.tokens(prompt), strategy: strategy,
                                                                 limits: GenerationLimits(maxNewTokens: 8, eosTokenIDs: [2]))
        #expect(result.tokens == expected)
    }

    @Test(arguments: LlamaConformanceTests.configurations)
    func beamSearchEOSPathsMatchEveryStoppingMode(_ name: String) throws {
        let directory = Fixtures.path("llama", name)
        let model = try LlamaForCausalLM.load(path: directory + "/model")
        let golden = try Fixtures.golden(directory)
        let prompt = Array(try golden.loadTensor(named: "input_ids").toArray(Int.self).prefix(6))
        let eos = try golden.loadTensor(named: "beam_eos_id").intValue
        let modes: [(String, EarlyStopping, Double)] = [("heuristic", .heuristic, 0.7), ("never", .never, 1.3), ("finished", .whenFinished, 1.0)]
        for (tag, stopping, penalty) in modes {
            let expected = try golden.loadTensor(named: "beam4_eos_\(tag)").toArray(Int.self)
            let strategy = DecodingStrategy.beamSearch(BeamSearchParameters(beams: 4, lengthPenalty: penalty, earlyStopping: stopping))
            let result = try GenerationDriver(model: model).generate(.tokens(prompt), strategy: strategy,
                                                                     limits: GenerationLimits(maxNewTokens: 8, eosTokenIDs: [eos]))
            #expect(result.tokens == expected, "\(name) \(tag)")
        }
    }

    @Test func streamingSeesEveryTokenInOrder() throws {
        let model = try LlamaForCausalLM.load(path: Fixtures.path("llama", "llama-mha", "model"))
        var streamed: [Int] = []
        let result = try GenerationDriver(model: model).generate(.tokens([5, 6, 7]), strategy: .greedy,
                                                                 limits: GenerationLimits(maxNewTokens: 5)) { token, _ in streamed.append(token) }
        #expect(streamed == result.tokens)
    }

    @Test func samplingIsReproducibleBySeed() throws {
        let model = try LlamaForCausalLM.load(path: Fixtures.path("llama", "llama-mha", "model"))
        let driver = GenerationDriver(model: model)
        func sample(_ seed: UInt64) throws -> [Int] {
            try driver.generate(.tokens([5, 6, 7]), strategy: .sampling(SamplingParameters(temperature: 1.5, topK: 20, topP: 0.95, seed: seed)),
                                limits: GenerationLimits(maxNewTokens: 12)).tokens
        }
        #expect(try sample(1) == sample(1))
        #expect(try sample(1) != sample(2))
    }

    @Test func eosAndStopStringsEndGeneration() throws {
        let model = try LlamaForCausalLM.load(path: Fixtures.path("llama", "llama-mha", "model"))
        let driver = GenerationDriver(model: model)
        let free = try driver.generate(.tokens([5, 6, 7]), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 6))
        let stopAt = free.tokens[2]
        let stopped = try driver.generate(.tokens([5, 6, 7]), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 6, eosTokenIDs: [stopAt]))
        #expect(stopped.tokens == Array(free.tokens.prefix(through: free.tokens.firstIndex(of: stopAt)!)))
        #expect(stopped.finishReason == .eos)
        let decode: ([Int]) -> String = { $0.map { "<\($0)>" }.joined() }
        let byString = try driver.generate(.tokens([5, 6, 7]), strategy: .greedy,
                                           limits: GenerationLimits(maxNewTokens: 6, stopStrings: ["<\(free.tokens[1])>"], decode: decode))
        #expect(byString.finishReason == .stopString)
        #expect(byString.tokens.count <= 2)
        // On Unicode scalars, as Python matches code points: "e" is in "e\u{301}" (not a Swift character of it);
        // an empty stop string matches nothing.
        let accented: ([Int]) -> String = { $0.map { _ in "e\u{301}" }.joined() }
        let scalar = try driver.generate(.tokens([5, 6, 7]), strategy: .greedy,
                                         limits: GenerationLimits(maxNewTokens: 6, stopStrings: ["e"], decode: accented))
        #expect(scalar.finishReason == .stopString && scalar.tokens.count == 1 && scalar.stopString == "e")
        let empty = try driver.generate(.tokens([5, 6, 7]), strategy: .greedy,
                                        limits: GenerationLimits(maxNewTokens: 6, stopStrings: [""], decode: accented))
        #expect(empty.tokens == free.tokens && empty.finishReason == free.finishReason)
    }

    /// Beam search checks no stop strings while it searches; its chosen hypothesis ends at the first token
    /// that completes one (streamed so too), as greedy decoding ends, instead of running past it.
    @Test func beamSearchEndsItsChosenHypothesisAtAStopString() throws {
        let model = try LlamaForCausalLM.load(path: Fixtures.path("llama", "llama-mha", "model"))
        let driver = GenerationDriver(model: model)
        let strategy = DecodingStrategy.beamSearch(BeamSearchParameters(beams: 3))
        let free = try driver.generate(.tokens([5, 6, 7]), strategy: strategy, limits: GenerationLimits(maxNewTokens: 6))
        try #require(free.tokens.count >= 4)
        let decode: ([Int]) -> String = { $0.map { "<\($0)>" }.joined() }
        // A stop that ends inside the third token's text, so the cut is at that token, not at the first occurrence of an id.
        let stop = "<\(free.tokens[2])"
        let first = free.tokens.firstIndex { "<\($0)>".hasPrefix(stop) } ?? 2
        var streamed: [Int] = []
        let stopped = try driver.generate(.tokens([5, 6, 7]), strategy: strategy,
                                          limits: GenerationLimits(maxNewTokens: 6, stopStrings: ["zz", stop], decode: decode)) { token, _ in streamed.append(token) }
        #expect(stopped.tokens == Array(free.tokens.prefix(first + 1)))
        #expect(stopped.finishReason == .stopString && stopped.stopString == stop)
        #expect(streamed == stopped.tokens)
        #expect(stopped.score == free.score)   // the same search, only its output cut
    }

    @Test func badRequestsAreClearErrors() throws {
        let model = try LlamaForCausalLM.load(path: Fixtures.path("llama", "llama-mha", "model"))
        let driver = GenerationDriver(model: model)
        #expect(throws: GenerationError.emptyPrompt) { try driver.generate(.tokens([]), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 1)) }
        #expect(throws: GenerationError.tokenOutOfRange(id: 97, vocabularySize: 97)) {
            try driver.generate(.tokens([1, 97]), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 1))
        }
        #expect(throws: GenerationError.promptTooLong(tokens: 100, limit: 128)) {
            try driver.generate(.tokens([Int](repeating: 3, count: 100)), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 29))
        }
        #expect(throws: GenerationError.self) {
            try driver.generate(.tokens([1]), strategy: .sampling(SamplingParameters(temperature: 0)), limits: GenerationLimits(maxNewTokens: 1))
        }
        #expect(throws: GenerationError.self) {
            try driver.generate(.tokens([1]), strategy: .beamSearch(BeamSearchParameters(beams: 0)), limits: GenerationLimits(maxNewTokens: 1))
        }
    }
}
