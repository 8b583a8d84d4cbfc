import Testing
@testable import LucidGeneration
@testable import LucidModels

/// A greedy decoding recorded from transformers on one of the tiny Llama-family checkpoints (Fixtures/llama):
/// the prompt, the limits it ran under, its tokens and the processed log-probability of each, and what plain
/// greedy decoding gives instead.
protocol GreedyFixtureCase {
    var configuration: String { get }
    var prompt: [Int] { get }
    var limits: GenerationLimits { get }
    var tokens: [Int] { get }
    var chosen_logprobs: [Double] { get }
    var plain_greedy: [Int] { get }
    var label: String { get }
}

extension GenerationLimits {
    /// The limits of a case of logits_processors.json (scripts/make_logits_processor_fixtures.py): its end tokens, its
    /// logit bias (token ids written as strings), minimum length and repetition penalty.
    init(fixture maxNewTokens: Int, eos: [Int], logitBias: [String: Double], minNewTokens: Int, repetition: Double) {
        self.init(maxNewTokens: maxNewTokens, eosTokenIDs: eos)
        self.logitBias = Dictionary(uniqueKeysWithValues: logitBias.compactMap { key, value in Int(key).map { ($0, value) } })
        self.minNewTokens = minNewTokens
        penalties = TokenPenalties(repetition: repetition)
    }
}

extension GreedyFixtureCase {
    static func model(_ configuration: String) throws -> LlamaForCausalLM {
        try LlamaForCausalLM.load(path: Fixtures.path("llama", configuration, "model"))
    }
}

extension Array where Element: GreedyFixtureCase {
    /// Expects every case to tell its limits apart from plain greedy decoding, and `GenerationDriver` to decode its
    /// tokens with processed log-probabilities within 1e-4 of transformers'.
    func expectDecodedAlone() throws {
        for (configuration, group) in Dictionary(grouping: self, by: \.configuration) {
            let driver = GenerationDriver(model: try Element.model(configuration))
            for item in group {
                #expect(item.tokens != item.plain_greedy, "the fixture tells the limits apart: \(item.configuration) \(item.label)")
                let result = try driver.generate(.tokens(item.prompt), strategy: .greedy, limits: item.limits,
                                                 logprobs: LogprobsRequest(top: 0, mode: .processed))
                #expect(result.tokens == item.tokens, "\(item.configuration) \(item.label)")
                let logprobs = result.logprobs?.map(\.chosen.logprob) ?? []
                #expect(logprobs.count == item.chosen_logprobs.count)
                for (lucid, reference) in zip(logprobs, item.chosen_logprobs) {
                    #expect(abs(lucid - reference) < 1e-4, "\(item.configuration) \(item.label): \(lucid) against \(reference)")
                }
            }
        }
    }

    /// Expects each checkpoint's cases, joined as the rows of one `ContinuousBatch` with their own limits, to decode
    /// their tokens.
    func expectDecodedBatched() throws {
        for (configuration, group) in Dictionary(grouping: self, by: \.configuration) {
            let batch = ContinuousBatch(model: try Element.model(configuration))
            var tokens: [ContinuousBatch.RowID: [Int]] = [:]
            var rows: [(ContinuousBatch.RowID, Element)] = []
            func record(_ events: [ContinuousBatch.Event]) {
                for case .token(let id, let token, _) in events { tokens[id, default: []].append(token) }
            }
            for item in group {
                let (id, events) = try batch.join(.tokens(item.prompt), strategy: .greedy, limits: item.limits)
                rows.append((id, item))
                record(events)
            }
            while batch.activeRows > 0 { record(batch.step()) }
            for (id, item) in rows { #expect(tokens[id] == item.tokens, "\(item.configuration) \(item.label)") }
        }
    }
}
