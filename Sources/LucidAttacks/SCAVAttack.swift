import Foundation
import LucidModels
import LucidTensor

/// SCAV's embedding-level attack (Xu et al., NeurIPS 2024): at every layer whose probe is accurate
/// enough, move the last position's residual along the probe normal just far enough that the
/// probe's malicious probability drops to P₀:
/// ε = (logit(P₀) − b − wᵀe) / ‖w‖, e′ = e + ε·w/‖w‖ (only when P_m(e) > P₀).
///
/// Applied in every forward pass of generation (the prompt's last token at prefill, then each new
/// token), layers in order, so later probes see earlier edits, as the official hooks do.
public struct SCAVAttack {
    /// Where probe j (trained on hidden state j) is applied.
    public enum Placement: String, Codable, Sendable, CaseIterable {
        /// The official code: in the hook on decoder layer j's output (= hidden state j+1), one layer
        /// after the residual the probe was trained on (methods.md §5.8 pitfall 1). Default.
        case official
        /// The paper's reading: on the residual the probe was trained on (decoder layer j−1's
        /// output, so hidden state 0 — the embeddings — is not steered).
        case trained
    }

    public var probes: SafetyProbeSet
    /// Target malicious probability P₀ (paper 1e-4; official code default 1e-3; demo 0.05).
    public var targetProbability: Double
    /// Minimum probe test accuracy P₁ for a layer to be used (strictly greater, as the code).
    public var accuracyThreshold: Double
    public var placement: Placement

    public init(probes: SafetyProbeSet, targetProbability: Double = 1e-4, accuracyThreshold: Double = 0.9, placement: Placement = .official) {
        self.probes = probes
        self.targetProbability = targetProbability
        self.accuracyThreshold = accuracyThreshold
        self.placement = placement
    }

    /// Decoder layers that will be steered, with their probe.
    public var steeredLayers: [(decoderLayer: Int, probe: SafetyProbe)] {
        probes.probes.compactMap { probe in
            guard probe.testAccuracy > accuracyThreshold else { return nil }
            let layer = placement == .official ? probe.hiddenState : probe.hiddenState - 1
            return layer >= 0 ? (layer, probe) : nil
        }
    }

    /// e′ for residuals [..., D] under `probe` (unchanged where P_m(e) ≤ P₀).
    public static func perturb(_ hidden: Tensor, probe: SafetyProbe, targetProbability: Double) -> Tensor {
        perturb(hidden, weight: Tensor(probe.weight, shape: [probe.weight.count, 1]), probe: probe, targetProbability: targetProbability).moved
    }

    /// The perturbation with the probe's weight column [D, 1] prepared; also returns the logits wᵀe + b [...].
    static func perturb(_ hidden: Tensor, weight w: Tensor, probe: SafetyProbe, targetProbability: Double) -> (moved: Tensor, logits: Tensor) {
        let norm = probe.weightNorm
        let e = hidden.to(.f64)
        let w = w.to(hidden.device)
        let z = e.matmul(w).squeezed(axis: -1) + probe.bias
        guard norm > 0 else { return (hidden, z) }
        let target = Foundation.log(targetProbability / (1 - targetProbability))
        let active = z.gt(target).to(.f64)
        let epsilon = (target - z) / norm * active
        let moved = e + epsilon.unsqueezed(axis: -1) * (w.squeezed(axis: -1) / norm)
        return (moved.to(hidden.dtype), z)
    }

    /// The residual interventions for generation; `record` counts the layers that moved.
    public func interventions(record: SCAVRecord? = nil) -> [ResidualIntervention] {
        let p0 = targetProbability
        return steeredLayers.map { layer, probe in
            let weight = Tensor(probe.weight, shape: [probe.weight.count, 1])
            return ResidualIntervention(layer: layer, positions: .last) { hidden, _ in
                let (moved, logits) = Self.perturb(hidden, weight: weight, probe: probe, targetProbability: p0)
                if let record {
                    let probability = 1 / (1 + Foundation.exp(-(logits.reshaped(-1).toArray(Double.self).first ?? 0)))
                    record.note(layer: layer, probability: probability, moved: probability > p0)
                }
                return moved
            }
        }
    }
}

/// How often each layer was steered during one generation, and the probabilities seen (for reports).
public final class SCAVRecord: @unchecked Sendable {
    public private(set) var moves: [Int: Int] = [:]
    public private(set) var visits: [Int: Int] = [:]
    public private(set) var meanProbability: [Int: Double] = [:]

    public init() {}

    func note(layer: Int, probability: Double, moved: Bool) {
        let count = Double(visits[layer, default: 0])
        meanProbability[layer] = (meanProbability[layer, default: 0] * count + probability) / (count + 1)
        visits[layer, default: 0] += 1
        if moved { moves[layer, default: 0] += 1 }
    }
}
