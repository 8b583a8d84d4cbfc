import LucidTensor

/// Rotary position embedding as Hugging Face's Llama applies it (rotate-half convention).
///
/// Angles are computed in f32: θ_i = position · base^(−2i/d); q' = q·cos + rotate_half(q)·sin.
/// A `RopeScaling` (linear, Llama 3's) rescales the inverse frequencies once, as transformers does.
public struct RotaryEmbedding {
    public let dimension: Int
    public let base: Double
    public let scaling: RopeScaling?
    let inverseFrequencies: Tensor

    public init(dimension: Int, base: Double, scaling: RopeScaling? = nil) {
        self.dimension = dimension
        self.base = base
        self.scaling = scaling
        let exponents = Tensor.arange(0, dimension, step: 2, dtype: .f32) / Double(dimension)
        let plain = 1.0 / Tensor.pow(base: base, exponents)
        if let scaling {
            let scaled = scaling.scaled(plain.toArray(Float.self))
            inverseFrequencies = Tensor(scaled)
        } else {
            inverseFrequencies = plain
        }
    }

    /// cos and sin tables [T, d] for absolute positions `start ..< start + count`, cast to `dtype`.
    public func tables(start: Int, count: Int, dtype: DType) -> (cos: Tensor, sin: Tensor) {
        tables(positions: Tensor.arange(start, start + count, dtype: .f32), dtype: dtype)
    }

    /// cos and sin tables [T, d] for explicit absolute positions [T] (any numeric dtype), cast to `dtype`.
    public func tables(positions: Tensor, dtype: DType) -> (cos: Tensor, sin: Tensor) {
        let freqs = positions.to(.f32).reshaped(-1).unsqueezed(axis: 1) * inverseFrequencies.unsqueezed(axis: 0)
        let angles = Tensor.cat([freqs, freqs], axis: -1)
        return (angles.cos().to(dtype), angles.sin().to(dtype))
    }

    /// Applies the rotation to x [B, H, T, d] with tables for its T positions.
    public static func apply(_ x: Tensor, cos: Tensor, sin: Tensor) -> Tensor {
        let half = x.size(-1) / 2
        let first = x.narrowed(axis: -1, start: 0, length: half)
        let second = x.narrowed(axis: -1, start: half, length: half)
        let rotated = Tensor.cat([-second, first], axis: -1)
        return x * cos + rotated * sin
    }
}
