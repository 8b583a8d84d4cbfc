import LucidTensor

/// Rotary position embedding as Hugging Face's Llama applies it (rotate-half convention).
///
/// Angles are computed in f32: θ_i = position · base^(−2i/d); q' = q·cos + rotate_half(q)·sin.
public struct RotaryEmbedding {
    public let dimension: Int
    public let base: Double
    let inverseFrequencies: Tensor

    public init(dimension: Int, base: Double) {
        self.dimension = dimension
        self.base = base
        let exponents = Tensor.arange(0, dimension, step: 2, dtype: .f32) / Double(dimension)
        inverseFrequencies = 1.0 / Tensor.pow(base: base, exponents)
    }

    /// cos and sin tables [T, d] for absolute positions `start ..< start + count`, cast to `dtype`.
    public func tables(start: Int, count: Int, dtype: DType) -> (cos: Tensor, sin: Tensor) {
        tables(positions: Tensor.arange(start, start + count, dtype: .f32), dtype: dtype)
    }

    /// cos and sin tables [T, d] for explicit absolute positions [T] (any numeric dtype), cast to `dtype`;
    /// per-row positions [B, T] give tables [B, 1, T, d], which broadcast over the heads of [B, H, T, d].
    public func tables(positions: Tensor, dtype: DType) -> (cos: Tensor, sin: Tensor) {
        if positions.rank == 2 {
            let (rows, count) = (positions.size(0), positions.size(1))
            let (cos, sin) = tables(positions: positions.reshaped(-1), dtype: dtype)
            return (cos.reshaped([rows, 1, count, dimension]), sin.reshaped([rows, 1, count, dimension]))
        }
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
