import Foundation
import Testing
@testable import LucidAttacks
@testable import LucidModels
@testable import LucidTensor

@Suite("SCAV probes and steering")
struct SCAVTests {
    /// Two Gaussian clouds that overlap (so the L2 optimum is finite and unique).
    func data(n: Int = 60, d: Int = 5, seed: UInt64 = 1) -> (Tensor, [Int]) {
        let g = Generator(seed: seed)
        let x = Tensor.randn([n, d], dtype: .f64, generator: g)
        let shift = Tensor((0..<d).map { $0 == 0 ? 1.5 : 0.3 } as [Double], shape: [1, d])
        let labels = (0..<n).map { $0 % 2 }
        let signs = Tensor(labels.map { Double($0 == 1 ? 1 : -1) }, shape: [n, 1])
        return (x + signs * shift, labels)
    }

    @Test func logisticRegressionSatisfiesTheOptimalityConditions() throws {
        let (x, y) = data()
        let c = 0.7
        let fit = try LogisticRegression(inverseRegularization: c).fit(features: x, labels: y)
        // ∇ = Xᵀ(σ(Xw + b) − y) + w / C = 0 and Σ(σ − y) = 0 (unpenalised intercept).
        let w = Tensor(fit.weight, shape: [fit.weight.count, 1])
        let residual = (x.matmul(w) + fit.bias).sigmoid() - Tensor(y.map(Double.init), shape: [y.count, 1])
        let gradient = x.transposed(0, 1).matmul(residual) + w / c
        #expect(gradient.abs().max().item() < 1e-8)
        #expect(abs(residual.sum().item()) < 1e-8)
        #expect(fit.weight[0] > 1)
    }

    @Test func strongerRegularisationShrinksTheWeights() throws {
        let (x, y) = data()
        let loose = try LogisticRegression(inverseRegularization: 10).fit(features: x, labels: y)
        let tight = try LogisticRegression(inverseRegularization: 0.01).fit(features: x, labels: y)
        func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        #expect(norm(tight.weight) < norm(loose.weight) / 5)
    }

    @Test func singleClassLabelsAreRefused() {
        let (x, _) = data(n: 4)
        #expect(throws: AttackError.self) { _ = try LogisticRegression().fit(features: x, labels: [1, 1, 1, 1]) }
    }

    let probe = SafetyProbe(hiddenState: 2, weight: [3, -1, 0.5, 2], bias: -0.25, trainAccuracy: 1, testAccuracy: 0.95)

    @Test func perturbationLandsExactlyOnTargetProbabilityAndOnlyWhenAbove() {
        let e = Tensor([1.0, 0.2, -0.3, 0.8, -2.0, 1.0, 0.0, -1.0] as [Double], shape: [1, 2, 4])
        let moved = SCAVAttack.perturb(e, probe: probe, targetProbability: 1e-3).toArray(Double.self)
        let first = Array(moved[0..<4]), second = Array(moved[4..<8])
        #expect(abs(probe.probability(first) - 1e-3) < 1e-12)
        #expect(second == [-2.0, 1.0, 0.0, -1.0])  // P_m already below P₀: untouched
        // The move is along w only: the minimum-norm change.
        let delta = zip(first, [1.0, 0.2, -0.3, 0.8]).map { $0 - $1 }
        let ratio = delta[0] / probe.weight[0]
        for (change, w) in zip(delta, probe.weight) { #expect(abs(change - ratio * w) < 1e-12) }
    }

    func probeSet(accuracies: [Double], width: Int) -> SafetyProbeSet {
        SafetyProbeSet(model: "m", template: "chatml", maliciousTrain: 1, safeTrain: 1, maliciousTest: 1, safeTest: 1, inverseRegularization: 1,
                       probes: accuracies.enumerated().map { SafetyProbe(hiddenState: $0.offset, weight: Array(repeating: 0.1, count: width),
                                                                        bias: 0, trainAccuracy: 1, testAccuracy: $0.element) })
    }

    @Test func onlyAccurateProbesSteerAndPlacementShiftsByOneLayer() {
        let set = probeSet(accuracies: [0.95, 0.5, 0.9, 0.91], width: 4)
        #expect(SCAVAttack(probes: set, accuracyThreshold: 0.9).steeredLayers.map(\.decoderLayer) == [0, 3])
        #expect(SCAVAttack(probes: set, accuracyThreshold: 0.9, placement: .trained).steeredLayers.map(\.decoderLayer) == [2])
    }

    /// Through a real forward pass: the residual after the steered decoder layer reads P₀ under the probe.
    @Test func steeringInAForwardPassSetsTheProbeProbability() throws {
        let config = LlamaConfig(vocabSize: 50, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 3, numAttentionHeads: 4)
        let model = try LlamaForCausalLM(config)
        model.initializeForTraining(std: 0.3, generator: Generator(seed: 2))
        let weights = (0..<16).map { Double($0 % 5) - 2 }
        let probe = SafetyProbe(hiddenState: 1, weight: weights, bias: 20, trainAccuracy: 1, testAccuracy: 1)
        let set = SafetyProbeSet(model: "m", template: "chatml", maliciousTrain: 1, safeTrain: 1, maliciousTest: 1, safeTest: 1,
                                 inverseRegularization: 1, probes: [probe])
        let attack = SCAVAttack(probes: set, targetProbability: 1e-3, accuracyThreshold: 0.9)
        let record = SCAVRecord()
        let trace = withNoGrad {
            model.forward(tokens: Tensor([3, 7, 11, 5], shape: [1, 4]), cache: nil,
                          options: ForwardOptions(hiddenStates: .layers([2]), logits: .none, interventions: attack.interventions(record: record)))
        }
        let hidden = try #require(trace.hiddenStates[2])  // output of decoder layer 1 = where the official placement steers
        let last = hidden.selected(axis: 1, index: -1).reshaped(-1).to(.f64).toArray(Double.self)
        #expect(record.moves[1] == 1)
        #expect(abs(probe.probability(last) - 1e-3) < 1e-6)
    }
}
