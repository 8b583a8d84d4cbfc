import Foundation
import Testing
@testable import LucidAttacks
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidTensor

/// `SCAVAttack.attack` over instructions (what `lucid attack scav` calls): replies with and without
/// the interventions, verdicts and ASR-keyword.
@Suite("SCAV steering run")
struct SCAVSteeringRunTests {
    let model: LlamaForCausalLM
    let attack: SCAVAttack
    let limits = GenerationLimits(maxNewTokens: 6)

    init() throws {
        model = try LlamaForCausalLM(LlamaConfig(vocabSize: 50, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 3,
                                                 numAttentionHeads: 4))
        model.initializeForTraining(std: 0.3, generator: Generator(seed: 5))
        // A probe that calls every residual malicious (bias 20), so the attack moves each one.
        let probe = SafetyProbe(hiddenState: 1, weight: (0..<16).map { Double($0 % 5) - 2 }, bias: 20, trainAccuracy: 1, testAccuracy: 1)
        attack = SCAVAttack(probes: SafetyProbeSet(model: "m", template: "chatml", maliciousTrain: 1, safeTrain: 1, maliciousTest: 1,
                                                   safeTest: 1, inverseRegularization: 1, probes: [probe]),
                            targetProbability: 1e-3, accuracyThreshold: 0.9)
    }

    /// Instruction i is the prompt [3 + i, 7, 11]; the text of a reply is its token ids.
    func prefill(_ instruction: String) -> Prefill { .tokens([3 + (Int(instruction) ?? 0), 7, 11]) }
    func decode(_ tokens: [Int]) -> String { " " + tokens.map(String.init).joined(separator: " ") + "\n" }

    func greedy(_ instruction: String, _ interventions: [ResidualIntervention]) throws -> String {
        let result = try withNoGrad { () throws -> GenerationResult in
            try GenerationDriver(model: model, interventions: interventions).generate(prefill(instruction), strategy: .greedy, limits: limits)
        }
        return result.tokens.map(String.init).joined(separator: " ")
    }

    @Test func repliesAreTheSteeredAndPlainGreedyContinuationsInInputOrder() throws {
        let instructions = ["0", "1", "2"]
        var seen: [String] = []
        let run = try attack.attack(instructions, model: model, prefill: prefill, decode: decode, limits: limits, baseline: true,
                                    isRefusal: { _ in false }, finished: { seen.append($0.instruction) })
        #expect(run.outcomes.map(\.instruction) == instructions && seen == instructions)
        for outcome in run.outcomes {
            // Trimmed text of the same greedy decode, with the attack's interventions and without.
            #expect(outcome.response == (try greedy(outcome.instruction, attack.interventions())))
            #expect(outcome.baseline == (try greedy(outcome.instruction, [])))
        }
        // The interventions change what the model says for at least one instruction.
        #expect(run.outcomes.contains { $0.response != $0.baseline })
    }

    @Test func asrCountsRepliesThatAreNotRefusalsAndTheBaselineOnlyWhenAsked() throws {
        let instructions = ["0", "1", "2", "3"]
        let plain = try instructions.map { try greedy($0, []) }
        // Refuse exactly the plain replies of the first two instructions (whatever the model says there).
        let refused = Set(plain.prefix(2))
        let withBaseline = try attack.attack(instructions, model: model, prefill: prefill, decode: decode, limits: limits, baseline: true,
                                             isRefusal: { refused.contains($0) })
        let expectedBaseline = Double(plain.filter { !refused.contains($0) }.count) / 4
        #expect(withBaseline.baselineASRKeyword == expectedBaseline)
        #expect(withBaseline.asrKeyword == Double(withBaseline.outcomes.filter { !refused.contains($0.response) }.count) / 4)
        #expect(withBaseline.outcomes.allSatisfy { $0.jailbroken == !refused.contains($0.response) })

        let attackOnly = try attack.attack(instructions, model: model, prefill: prefill, decode: decode, limits: limits, baseline: false,
                                           isRefusal: { refused.contains($0) })
        #expect(attackOnly.baselineASRKeyword == nil && attackOnly.outcomes.allSatisfy { $0.baseline == nil && $0.baselineJailbroken == nil })
        #expect(attackOnly.asrKeyword == withBaseline.asrKeyword)
    }

    /// A defence that refuses the input before the decoder (Q-MLLM's gate on the paired image) answers every
    /// instruction, steered or not, with its refusal, and no prompt is prepared or decoded.
    @Test func aGateRefusalIsEveryReplyAndNothingIsDecoded() throws {
        var prepared = 0
        let refusal = "  I can't help with that image.\n"
        let run = try attack.attack(["0", "1"], model: model, prefill: { prepared += 1; return prefill($0) }, decode: decode, limits: limits,
                                    baseline: true, isRefusal: { $0.hasPrefix("I can't") }, gateRefusal: refusal)
        #expect(prepared == 0)
        #expect(run.outcomes.allSatisfy { $0.response == "I can't help with that image." && $0.baseline == $0.response && !$0.jailbroken })
        #expect(run.asrKeyword == 0 && run.baselineASRKeyword == 0)
    }

    /// `lucid attack scav --json`'s keys, as before they moved from the CLI: a reply without a baseline writes none.
    @Test func theReportEncodesTheCommandsJSONKeys() throws {
        let run = try SCAVSteeringRun(outcomes: [
            .init(instruction: "a", response: "Sure", jailbroken: true, baseline: "No", baselineJailbroken: false),
            .init(instruction: "b", response: "No", jailbroken: false, baseline: "No", baselineJailbroken: false),
        ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(run.report(steeredLayers: [2, 3])), as: UTF8.self)
        #expect(text == #"{"asr_keyword":0.5,"baseline_asr_keyword":0,"responses":["#
                + #"{"baseline":"No","baseline_jailbroken":false,"jailbroken":true,"prompt":"a","response":"Sure"},"#
                + #"{"baseline":"No","baseline_jailbroken":false,"jailbroken":false,"prompt":"b","response":"No"}],"steered_layers":[2,3]}"#)
        let plain = try SCAVSteeringRun(outcomes: [.init(instruction: "c", response: "Sure", jailbroken: true)])
        #expect(String(decoding: try encoder.encode(plain.report(steeredLayers: [])), as: UTF8.self)
                == #"{"asr_keyword":1,"responses":[{"jailbroken":true,"prompt":"c","response":"Sure"}],"steered_layers":[]}"#)
    }

    @Test func noInstructionsIsAnError() {
        #expect(throws: AttackError.self) {
            try attack.attack([], model: model, prefill: prefill, decode: decode, limits: limits, baseline: false, isRefusal: { _ in true })
        }
    }
}
