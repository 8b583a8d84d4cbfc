import Foundation
import LucidModels
import LucidNN
import LucidTensor
import LucidTraining

/// Whitening of the frozen vision features in front of a LLaVA projector, used while training and
/// folded into the projector's first linear layer afterwards.
///
/// A frozen ShapesWorld ViT puts most of its feature variance into a few directions (object vs
/// empty cell); the category of a cell lives in low-variance directions. A projector trained on the
/// raw features passed "there is an object" to a from-scratch Llama but rarely which one, and the
/// tiny organism then counted objects right and named them wrong. Training the projector on
/// whitened features, z = L⁻¹ (x − μ) with L Lᵀ = Σ + s·(tr Σ / n)·I, gives every direction the same
/// scale. Because z is affine in x, `fold(into:)` turns the trained projector into a plain LLaVA
/// projector on raw features: W₁' = W₁ L⁻¹, b₁' = b₁ − W₁ L⁻¹ μ; saved models need no extra module.
public struct VisionFeatureWhitening {
    /// μ [n] (f32).
    public let mean: Tensor
    /// L⁻¹ [n, n] (f32).
    public let matrix: Tensor

    public init(mean: Tensor, matrix: Tensor) {
        self.mean = mean
        self.matrix = matrix
    }

    /// Estimates μ and Σ from the selected vision features of `scenes` scenes of `pool` (every
    /// patch token counts as a sample) with shrinkage `shrinkage` times the mean eigenvalue.
    public static func estimate(model: LlavaForConditionalGeneration, pool: ScenePool, scenes: Int, shrinkage: Double,
                                batchSize: Int = 64) throws -> VisionFeatureWhitening {
        let count = Swift.min(scenes, pool.count)
        guard count > 0 else { throw TrainingError("feature whitening needs at least one scene") }
        var sum: Tensor?
        var outer: Tensor?
        var samples = 0
        try withNoGrad { () throws(TrainingError) in
            var start = 0
            while start < count {
                let indices = Array(start..<Swift.min(count, start + batchSize))
                let features = model.selectedVisionFeatures(pool.pixels(indices)).to(.f64)
                let flat = features.reshaped([-1, features.size(2)])
                samples += flat.size(0)
                let s = flat.sum(axis: 0)
                let o = flat.transposed(0, 1).matmul(flat)
                sum = sum.map { $0 + s } ?? s
                outer = outer.map { $0 + o } ?? o
                start += batchSize
            }
        }
        guard let sum, let outer, samples > 1 else { throw TrainingError("feature whitening: no features") }
        let n = sum.size(0)
        let mu = sum / Double(samples)
        let covariance = (outer - mu.reshaped([n, 1]).matmul(mu.reshaped([1, n])) * Double(samples)) / Double(samples - 1)
        var values = covariance.toArray(Double.self)
        let trace = (0..<n).reduce(0) { $0 + values[$1 * n + $1] }
        for i in 0..<n { values[i * n + i] += shrinkage * trace / Double(n) }
        let factor: CholeskyFactor
        do { factor = try CholeskyFactor(values, size: n) } catch {
            throw TrainingError("feature whitening: the covariance is not positive definite (raise the shrinkage)")
        }
        return VisionFeatureWhitening(mean: mu.to(.f32), matrix: Tensor(factor.inverseLower(), shape: [n, n]).to(.f32))
    }

    /// z = (x − μ) L⁻ᵀ over the last axis.
    public func callAsFunction(_ x: Tensor) -> Tensor { (x - mean).matmul(matrix.transposed(0, 1)) }

    /// Rewrites `projector.linear1` so that projector(x) equals the trained projector(whiten(x)).
    public func fold(into projector: LlavaProjector) {
        withNoGrad {
            let weight = projector.linear1.weight.value
            let folded = weight.to(.f64).matmul(matrix.to(.f64))
            let shift = folded.matmul(mean.to(.f64).reshaped([-1, 1])).reshaped([-1])
            weight.copy(from: folded.to(weight.dtype))
            if let bias = projector.linear1.bias?.value { bias.copy(from: (bias.to(.f64) - shift).to(bias.dtype)) }
        }
    }

    /// Saves μ and L⁻¹ (so a resumed run whitens exactly as the interrupted one did).
    public func save(to url: URL) throws {
        try SafetensorsWriter.write([try .init(name: "mean", tensor: mean), try .init(name: "matrix", tensor: matrix)], to: url.path)
    }

    public static func load(from url: URL) throws -> VisionFeatureWhitening {
        let file = try SafetensorsFile(path: url.path)
        return VisionFeatureWhitening(mean: try file.loadTensor(named: "mean"), matrix: try file.loadTensor(named: "matrix"))
    }
}
