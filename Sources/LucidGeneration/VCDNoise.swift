import Foundation
import LucidTensor

/// VCD's distorted image: forward diffusion noise applied to the already normalised image tensor.
///
/// T = 1000, βₜ = sigmoid(linspace(−6, 6, 1000))·(5e-3 − 1e-5) + 1e-5, ᾱₜ = ∏(1 − β);
/// v′ = √ᾱₜ·v + √(1 − ᾱₜ)·ε with ε ~ N(0, I), computed in f32 as the official code does.
public enum VCDNoise {
    public static let steps = 1000

    /// (√ᾱₜ, √(1 − ᾱₜ)) of step `t` (0-based).
    public static func coefficients(step t: Int) -> (signal: Tensor, noise: Tensor) {
        precondition(t >= 0 && t < steps, "noise step must be in 0..<\(steps)")
        let betas = Tensor.linspace(-6, 6, steps: steps).sigmoid() * (0.5e-2 - 1e-5) + 1e-5
        let alphas = 1.0 - betas
        let product = alphas.cumulativeProduct()
        return (product[t].sqrt(), (1.0 - product[t]).sqrt())
    }

    /// Noises `pixels` at `step` with the given ε (same shape), e.g. for reproducing a reference.
    public static func apply(_ pixels: Tensor, step: Int = 500, noise: Tensor) -> Tensor {
        let (signal, scale) = coefficients(step: step)
        return signal.to(pixels.dtype) * pixels + scale.to(pixels.dtype) * noise
    }

    /// Noises `pixels` at `step` with ε drawn from a seeded generator.
    public static func apply(_ pixels: Tensor, step: Int = 500, generator: Generator) -> Tensor {
        apply(pixels, step: step, noise: Tensor.randn(pixels.shape, dtype: pixels.dtype, generator: generator))
    }
}
