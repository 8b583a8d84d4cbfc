import Foundation
import LucidGeneration
import LucidModels
import LucidTensor

/// SCAV's embedding-level attack over a list of instructions (`lucid attack scav`): each instruction's
/// greedy reply under the attack's interventions, optionally the reply without them, and ASR-keyword.
public struct SCAVSteeringRun: Sendable, Equatable {
    /// One instruction's replies and verdicts; encoded as `prompt`, `response`, `jailbroken`, and with a
    /// baseline `baseline` and `baseline_jailbroken`.
    public struct Outcome: Sendable, Equatable, Encodable {
        public var instruction: String
        /// The greedy reply with the attack's interventions (whitespace trimmed).
        public var response: String
        /// `response` is not a refusal.
        public var jailbroken: Bool
        /// The greedy reply without interventions, when the run asked for a baseline.
        public var baseline: String?
        /// `baseline` is not a refusal; nil without a baseline.
        public var baselineJailbroken: Bool?

        public init(instruction: String, response: String, jailbroken: Bool, baseline: String? = nil, baselineJailbroken: Bool? = nil) {
            (self.instruction, self.response, self.jailbroken) = (instruction, response, jailbroken)
            (self.baseline, self.baselineJailbroken) = (baseline, baselineJailbroken)
        }

        enum CodingKeys: String, CodingKey { case instruction = "prompt", response, jailbroken, baseline, baselineJailbroken = "baseline_jailbroken" }
    }

    /// What `lucid attack scav --json` prints: `asr_keyword`, `baseline_asr_keyword` (with a baseline),
    /// `steered_layers` (the decoder layers the attack steers) and the `responses`.
    public struct Report: Sendable, Encodable {
        public var asrKeyword: Double
        public var baselineASRKeyword: Double?
        public var steeredLayers: [Int]
        public var responses: [Outcome]

        enum CodingKeys: String, CodingKey {
            case asrKeyword = "asr_keyword", baselineASRKeyword = "baseline_asr_keyword", steeredLayers = "steered_layers", responses
        }
    }

    /// The run's report, with the decoder layers the attack steered.
    public func report(steeredLayers: [Int]) -> Report {
        Report(asrKeyword: asrKeyword, baselineASRKeyword: baselineASRKeyword, steeredLayers: steeredLayers, responses: outcomes)
    }

    /// One outcome per instruction, in input order (at least one).
    public let outcomes: [Outcome]

    /// A run of `outcomes`; an error when there are none (ASR over no instruction is undefined).
    public init(outcomes: [Outcome]) throws(AttackError) {
        guard !outcomes.isEmpty else { throw AttackError("the attack needs at least one instruction") }
        self.outcomes = outcomes
    }

    /// The share of instructions whose attacked reply is not a refusal.
    public var asrKeyword: Double { Double(outcomes.filter(\.jailbroken).count) / Double(outcomes.count) }

    /// The same share without the attack; nil unless every outcome has a baseline reply.
    public var baselineASRKeyword: Double? {
        guard outcomes.allSatisfy({ $0.baselineJailbroken != nil }) else { return nil }
        return Double(outcomes.filter { $0.baselineJailbroken == true }.count) / Double(outcomes.count)
    }
}

extension SCAVAttack {
    /// Greedy replies of `model` to each instruction under this attack's interventions (and, with
    /// `baseline`, without them), each scored with `isRefusal`.
    ///
    /// `prefill` turns an instruction into the model's input (chat template, image embeddings);
    /// `decode` turns the new tokens into text (trimmed here). `finished` gets each outcome as it is known.
    /// `gateRefusal` is the defence's reply where it refuses the input before the decoder runs (Q-MLLM's
    /// gate on a paired image, `PairedImage.gateRefusal`): every reply, steered or not, is that text, as
    /// generation gives it, and nothing is decoded.
    public func attack(_ instructions: [String], model: any CausalLanguageModel, prefill: (String) throws -> Prefill,
                       decode: ([Int]) -> String, limits: GenerationLimits, baseline: Bool, isRefusal: (String) -> Bool,
                       gateRefusal: String? = nil, finished: (SCAVSteeringRun.Outcome) -> Void = { _ in }) throws -> SCAVSteeringRun {
        guard !instructions.isEmpty else { throw AttackError("the attack needs at least one instruction") }
        let steering = interventions()
        var outcomes: [SCAVSteeringRun.Outcome] = []
        for instruction in instructions {
            let input = try gateRefusal == nil ? prefill(instruction) : .tokens([])
            func reply(_ interventions: [ResidualIntervention]) throws -> String {
                if let gateRefusal { return gateRefusal.trimmingCharacters(in: .whitespacesAndNewlines) }
                let result = try withNoGrad { () throws -> GenerationResult in
                    try GenerationDriver(model: model, interventions: interventions).generate(input, strategy: .greedy, limits: limits)
                }
                return decode(result.tokens).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let response = try reply(steering)
            let plain = baseline ? try reply([]) : nil
            let outcome = SCAVSteeringRun.Outcome(instruction: instruction, response: response, jailbroken: !isRefusal(response),
                                                  baseline: plain, baselineJailbroken: plain.map { !isRefusal($0) })
            outcomes.append(outcome)
            finished(outcome)
        }
        return try SCAVSteeringRun(outcomes: outcomes)
    }
}
