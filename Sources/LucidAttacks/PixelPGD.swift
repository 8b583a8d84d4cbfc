import Foundation
import LucidTensor

/// Projected gradient descent on an image in [0, 1] pixel space (L∞ or L2 ball around the clean
/// image), minimising a loss computed through the differentiable path the caller builds
/// (normalisation → vision tower → projector → LLM).
public struct PixelPGD {
    public enum Norm: String, Codable, Sendable, CaseIterable { case linf, l2 }

    /// How the step size changes over the steps.
    public enum Schedule: String, Codable, Sendable, CaseIterable {
        /// γ at every step (the default; Mirage's and the usual PGD).
        case constant
        /// γ_t = γ · ½(1 + cos(π t / T)), t = 0…T−1: large steps first, fine ones at the end.
        case cosine

        /// The step size at step `index` of `steps`.
        public func stepSize(_ base: Double, index: Int, steps: Int) -> Double {
            switch self {
            case .constant: return base
            case .cosine: return base * 0.5 * (1 + Foundation.cos(Double.pi * Double(index) / Double(Swift.max(1, steps))))
            }
        }
    }

    public var norm: Norm
    /// Budget ε in pixel units ([0, 1] scale; 8/255 ≈ 0.0314).
    public var epsilon: Double
    /// Step γ in pixel units: signed steps move each pixel by γ (L∞); L2 steps move the image by γ in L2.
    public var stepSize: Double
    public var steps: Int
    /// Step-size schedule over the steps.
    public var schedule = Schedule.constant
    /// Start from a uniform random point of the ball (seeded) instead of the clean image.
    public var randomStart: Bool
    public var seed: UInt64
    /// Snap the result to the 8-bit grid (what a PNG stores), so the saved file reloads to the same tensor.
    public var quantize: Bool
    /// Treat "no gradient reaches the image" as a zero gradient (the image then never moves),
    /// instead of an error: how a naive attacker fares against a defence that blocks gradients.
    public var allowsZeroGradient = false

    public init(norm: Norm = .linf, epsilon: Double = 8.0 / 255, stepSize: Double = 1.0 / 255, steps: Int = 30,
                randomStart: Bool = false, seed: UInt64 = 0, quantize: Bool = true) {
        self.norm = norm
        self.epsilon = epsilon
        self.stepSize = stepSize
        self.steps = steps
        self.randomStart = randomStart
        self.seed = seed
        self.quantize = quantize
    }

    /// The most PGD steps a run may ask for.
    public static let maximumSteps = 1_000_000

    public func validate() throws {
        guard epsilon >= 0, epsilon <= 1 else { throw AttackError("ε must be in [0, 1] (pixel units; 8/255 ≈ 0.031)") }
        guard stepSize > 0, stepSize.isFinite else { throw AttackError("the step size must be positive and finite") }
        guard (0...Self.maximumSteps).contains(steps) else { throw AttackError("steps must be in 0…\(Self.maximumSteps) (got \(steps))") }
    }

    /// One step's record.
    public struct Step: Sendable {
        public var index: Int
        public var loss: Double
        public var metrics: [String: Double]
        public var perturbationNorm: Double
    }

    /// Runs PGD from `clean` [1, 3, H, W] in [0, 1]. `loss(adv, step)` returns the loss to minimise
    /// (and metrics); `stop` ends early. Returns the adversarial image and the per-step log.
    public func run(clean: Tensor, loss: (Tensor, Int) throws -> (Tensor, [String: Double]),
                    stop: (Step) -> Bool = { _ in false }, log: (Step) -> Void = { _ in }) throws -> (image: Tensor, steps: [Step]) {
        try validate()
        let base = clean.detached().to(.f32)
        var adversarial = base.clone()
        if randomStart {
            let noise = (Tensor.rand(base.shape, generator: Generator(seed: seed)) * 2 - 1) * epsilon
            adversarial = project(base + noise, clean: base)
        }
        var history: [Step] = []
        for index in 0..<steps {
            let x = adversarial.detached()
            x.requiresGrad = true
            let (value, metrics) = try loss(x, index)
            let found = value.requiresGrad ? (Tensor.gradients(of: [value], withRespectTo: [x]).first ?? nil) : nil
            guard found != nil || allowsZeroGradient else { throw AttackError("the attack loss does not depend on the image") }
            let record = Step(index: index, loss: value.item(), metrics: metrics, perturbationNorm: perturbationNorm(x.detached(), clean: base))
            history.append(record)
            log(record)
            // No gradient reaches the image: it can never move, so further steps would only repeat this one.
            guard let gradient = found else { break }
            if stop(record) { break }
            let direction: Tensor
            switch norm {
            case .linf: direction = gradient.sign()
            case .l2: direction = gradient / (gradient.square().sum().sqrt() + 1e-12)
            }
            let size = schedule.stepSize(stepSize, index: index, steps: steps)
            adversarial = withNoGrad { project(x.detached() - direction * size, clean: base) }
        }
        if quantize { adversarial = withNoGrad { project((adversarial * 255).round() / 255, clean: base, snap: true) } }
        return (adversarial, history)
    }

    /// Clamps into the budget around `clean` and into [0, 1].
    func project(_ image: Tensor, clean: Tensor, snap: Bool = false) -> Tensor {
        var delta = image - clean
        switch norm {
        case .linf:
            // On the 8-bit grid, keep the step inside ε after rounding too.
            let limit = snap ? (epsilon * 255 + 1e-6).rounded(.down) / 255 : epsilon
            delta = delta.clamped(min: -limit, max: limit)
        case .l2:
            let size = delta.square().sum().sqrt().item()
            if size > epsilon { delta = delta * (epsilon / size) }
        }
        return (clean + delta).clamped(min: 0, max: 1)
    }

    func perturbationNorm(_ image: Tensor, clean: Tensor) -> Double {
        let delta = image - clean
        switch norm {
        case .linf: return delta.abs().max().item()
        case .l2: return delta.square().sum().sqrt().item()
        }
    }

    /// Gaussian noise of the same budget (Mirage's baseline): σ = ε (L∞: clipped to ±ε), seeded.
    public func noise(clean: Tensor) -> Tensor {
        let sample = Tensor.randn(clean.shape, generator: Generator(seed: seed)) * epsilon
        let noisy = project(clean + sample, clean: clean)
        return quantize ? project((noisy * 255).round() / 255, clean: clean, snap: true) : noisy
    }
}
