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

    /// cos and sin tables [T, d] for absolute positions `start ..< start + count`, cast to `dtype`, on `device`.
    public func tables(start: Int, count: Int, dtype: DType, device: Device = .cpu) -> (cos: Tensor, sin: Tensor) {
        tables(positions: Tensor.arange(start, start + count, dtype: .f32, device: device), dtype: dtype)
    }

    /// cos and sin tables [T, d] for explicit absolute positions [T] (any numeric dtype), cast to `dtype`;
    /// per-row positions [B, T] give tables [B, 1, T, d], which broadcast over the heads of [B, H, T, d].
    public func tables(positions: Tensor, dtype: DType) -> (cos: Tensor, sin: Tensor) {
        if positions.rank == 2 {
            let (rows, count) = (positions.size(0), positions.size(1))
            let (cos, sin) = tables(positions: positions.reshaped(-1), dtype: dtype)
            return (cos.reshaped([rows, 1, count, dimension]), sin.reshaped([rows, 1, count, dimension]))
        }
        let freqs = positions.to(.f32).reshaped(-1).unsqueezed(axis: 1) * inverseFrequencies.to(positions.device).unsqueezed(axis: 0)
        let angles = Tensor.cat([freqs, freqs], axis: -1)
        return (angles.cos().to(dtype), angles.sin().to(dtype))
    }

    /// M-RoPE tables [T, d] (Qwen2-VL) for positions [3, 1, T] (temporal, height, width rows of one
    /// sequence): the rotary half-dimension is cut into `sections`, section i rotating by row i mod 3, as
    /// transformers' `recomposition_frequencies` does. With three equal rows this is plain RoPE.
    public func tables(positions: Tensor, sections: [Int], dtype: DType) -> (cos: Tensor, sin: Tensor) {
        precondition(positions.rank == 3 && positions.size(0) == 3 && positions.size(1) == 1
                     && sections.reduce(0, +) == dimension / 2,
                     "M-RoPE needs positions [3, 1, T] and sections summing to \(dimension / 2)")
        let freqs = positions.to(.f32).reshaped([3, -1, 1]) * inverseFrequencies.to(positions.device).reshaped([1, 1, -1])
        var pieces: [Tensor] = []
        var start = 0
        for (index, width) in sections.enumerated() {
            pieces.append(freqs.selected(axis: 0, index: index % 3).narrowed(axis: -1, start: start, length: width))
            start += width
        }
        let half = Tensor.cat(pieces, axis: -1)
        let angles = Tensor.cat([half, half], axis: -1)
        return (angles.cos().to(dtype), angles.sin().to(dtype))
    }

    /// Applies the rotation to x [B, H, T, d] with tables for its T positions.
    ///
    /// One shim call (`Tensor.rotaryEmbedding`): bit-identical to x·cos + rotate_half(x)·sin done op by op.
    public static func apply(_ x: Tensor, cos: Tensor, sin: Tensor) -> Tensor {
        x.rotaryEmbedding(cos: cos, sin: sin)
    }
}
