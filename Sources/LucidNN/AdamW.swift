import Foundation
import LucidTensor

/// AdamW (Loshchilov & Hutter), with PyTorch's `torch.optim.AdamW` arithmetic and order of operations:
/// decay p ← p·(1 − lr·λ); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
/// p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε).
public final class AdamW {
    public var learningRate: Double
    public let beta1: Double
    public let beta2: Double
    public let eps: Double
    public var weightDecay: Double
    /// Steps taken (t).
    public private(set) var step = 0
    let parameters: [(name: String, parameter: Parameter)]
    var firstMoments: [Tensor?]
    var secondMoments: [Tensor?]

    /// Optimises `parameters` (usually `module.trainableParameters()`).
    public init(_ parameters: [(name: String, parameter: Parameter)], learningRate: Double = 1e-3, beta1: Double = 0.9,
                beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 0.01) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        firstMoments = Array(repeating: nil, count: parameters.count)
        secondMoments = Array(repeating: nil, count: parameters.count)
    }

    /// Applies one update from the accumulated `.grad` of each parameter (those without one are skipped).
    public func update() {
        step += 1
        let correction1 = 1 - Foundation.pow(beta1, Double(step))
        let correction2 = 1 - Foundation.pow(beta2, Double(step))
        withNoGrad {
            for (index, (_, parameter)) in parameters.enumerated() {
                guard let gradient = parameter.value.grad else { continue }
                let p = parameter.value
                if weightDecay != 0 { p.multiplyInPlace(1 - learningRate * weightDecay) }
                let m = firstMoments[index] ?? p.zerosLike()
                let v = secondMoments[index] ?? p.zerosLike()
                m.multiplyInPlace(beta1)
                m.addInPlace(gradient, alpha: 1 - beta1)
                v.multiplyInPlace(beta2)
                v.addInPlace(gradient * gradient, alpha: 1 - beta2)
                firstMoments[index] = m
                secondMoments[index] = v
                let denominator = v.sqrt() / correction2.squareRoot() + eps
                p.addInPlace(m / denominator, alpha: -learningRate / correction1)
            }
        }
    }

    /// Drops every parameter's accumulated gradient.
    public func zeroGradients() {
        for (_, parameter) in parameters { parameter.value.zeroGrad() }
    }

    /// The optimiser state as named tensors (`<param>.exp_avg`, `<param>.exp_avg_sq`) plus the step, for checkpoints.
    public func stateDictionary() -> (tensors: [String: Tensor], step: Int) {
        var tensors: [String: Tensor] = [:]
        for (index, (name, _)) in parameters.enumerated() {
            if let m = firstMoments[index] { tensors["\(name).exp_avg"] = m }
            if let v = secondMoments[index] { tensors["\(name).exp_avg_sq"] = v }
        }
        return (tensors, step)
    }

    /// Restores a state saved by `stateDictionary()`; shapes must match the parameters.
    public func load(tensors: [String: Tensor], step: Int) throws(OptimizerError) {
        for (index, (name, parameter)) in parameters.enumerated() {
            for (suffix, isFirst) in [("exp_avg", true), ("exp_avg_sq", false)] {
                guard let t = tensors["\(name).\(suffix)"] else { continue }
                guard t.shape == parameter.shape else {
                    throw OptimizerError("optimiser state '\(name).\(suffix)' has shape \(t.shape), the parameter \(parameter.shape)")
                }
                if isFirst { firstMoments[index] = t.clone() } else { secondMoments[index] = t.clone() }
            }
        }
        self.step = step
    }
}

/// An optimiser or schedule setting that does not fit.
public struct OptimizerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Learning rate multiplier: linear warm-up from 0, then cosine decay to `minimumRatio` at `totalSteps`
/// (Hugging Face's `get_cosine_schedule_with_warmup` when `minimumRatio` is 0).
public struct WarmupCosineSchedule: Sendable, Equatable {
    public var warmupSteps: Int
    public var totalSteps: Int
    public var minimumRatio: Double

    public init(warmupSteps: Int, totalSteps: Int, minimumRatio: Double = 0) {
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.minimumRatio = minimumRatio
    }

    /// The multiplier for 0-based `step`.
    public func multiplier(at step: Int) -> Double {
        if step < warmupSteps { return Double(step) / Double(max(1, warmupSteps)) }
        let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
        let cosine = 0.5 * (1 + Foundation.cos(Double.pi * Swift.min(1, progress)))
        return minimumRatio + (1 - minimumRatio) * cosine
    }
}

/// Losses and gradient utilities.
public enum Training {
    /// Mean cross-entropy of `logits` [N, V] against `targets` [N] (`i64`), ignoring targets equal
    /// to `ignoreIndex` (PyTorch's default −100). Returns 0 when every target is ignored.
    public static func crossEntropy(_ logits: Tensor, _ targets: Tensor, ignoreIndex: Int = -100) -> Tensor {
        let keep = targets.ne(ignoreIndex)
        let safeTargets = targets.maskedFill(keep.logicalNot(), 0)
        let logProbabilities = logits.logSoftmax(axis: -1).gather(axis: -1, index: safeTargets.unsqueezed(axis: -1)).squeezed(axis: -1)
        let weights = keep.to(logits.dtype)
        let count = weights.sum()
        return -(logProbabilities * weights).sum() / count.clamped(min: 1)
    }

    /// Next-token loss of a causal LM: logits [B, T, V] predict labels [B, T] shifted by one.
    public static func causalLanguageModelLoss(logits: Tensor, labels: Tensor, ignoreIndex: Int = -100) -> Tensor {
        let t = logits.size(1)
        let shiftedLogits = logits.narrowed(axis: 1, start: 0, length: t - 1).reshaped(-1, logits.size(-1))
        let shiftedLabels = labels.narrowed(axis: 1, start: 1, length: t - 1).reshaped(-1)
        return crossEntropy(shiftedLogits, shiftedLabels, ignoreIndex: ignoreIndex)
    }

    /// Scales gradients so their global L2 norm is at most `maxNorm` (PyTorch's `clip_grad_norm_`);
    /// returns the norm before clipping.
    @discardableResult
    public static func clipGradientNorm(_ parameters: [(name: String, parameter: Parameter)], maxNorm: Double) -> Double {
        let gradients = parameters.compactMap { $0.parameter.value.grad }
        guard !gradients.isEmpty else { return 0 }
        let total = Tensor.stack(gradients.map { $0.norm().to(.f64) }).norm().item()
        let coefficient = maxNorm / (total + 1e-6)
        if coefficient < 1 { withNoGrad { for g in gradients { g.multiplyInPlace(coefficient) } } }
        return total
    }
}
