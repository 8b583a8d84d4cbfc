import Testing
@testable import LucidTensor

/// `Tensor.rotaryEmbedding` (one shim pass) against the op-by-op rotate-half formula it replaces.
@Suite("Rotary embedding kernel")
struct RotaryEmbeddingKernelTests {
    /// x·cos + rotate_half(x)·sin, one ATen op at a time (what RotaryEmbedding.apply did before).
    func opByOp(_ x: Tensor, _ cos: Tensor, _ sin: Tensor) -> Tensor {
        let half = x.size(-1) / 2
        let rotated = Tensor.cat([-x.narrowed(axis: -1, start: half, length: half), x.narrowed(axis: -1, start: 0, length: half)],
                                 axis: -1)
        return x * cos + rotated * sin
    }

    /// Bit-identity: the same values in every element (compared as f64, which holds every f32/bf16/f16 exactly).
    func identical(_ a: Tensor, _ b: Tensor) -> Bool {
        a.shape == b.shape && a.dtype == b.dtype && (a.to(.f64) - b.to(.f64)).abs().max().item() == 0
    }

    @Test(arguments: [DType.f32, .bf16, .f16])
    func onePassEqualsTheOpsBitForBitOnDecoderShapes(_ dtype: DType) {
        let generator = Generator(seed: 31)
        // A decoder's q/k: [B, T, H, d] projections transposed to [B, H, T, d] (not contiguous), with
        // [T, d] tables and per-row [B, 1, T, d] tables; values large enough that bf16/f16 round often.
        for (batch, heads, steps, depth) in [(1, 9, 1, 64), (2, 3, 7, 32), (1, 2, 45, 8)] {
            let x = (Tensor.randn([batch, steps, heads, depth], generator: generator) * 3).to(dtype).transposed(1, 2)
            let angles = Tensor.randn([steps, depth], generator: generator) * 4
            for (cos, sin) in [(angles.cos().to(dtype), angles.sin().to(dtype)),
                               (angles.cos().to(dtype).reshaped([1, 1, steps, depth]).expanded([batch, 1, steps, depth]),
                                angles.sin().to(dtype).reshaped([1, 1, steps, depth]).expanded([batch, 1, steps, depth]))] {
                let fused = withNoGrad { x.rotaryEmbedding(cos: cos, sin: sin) }
                let reference = withNoGrad { opByOp(x, cos, sin) }
                #expect(identical(fused, reference), "\(dtype) [\(batch), \(heads), \(steps), \(depth)] tables \(cos.shape)")
            }
        }
    }

    @Test func theRotationIsTheRotateHalfFormula() {
        // d = 4, one position: x = [1, 2, 3, 4], cos = 0, sin = 1 gives rotate_half(x) = [−3, −4, 1, 2];
        // cos = 1, sin = 0 gives x back.
        let x = Tensor([Float(1), 2, 3, 4]).reshaped([1, 1, 1, 4])
        let zeros = Tensor([Float(0), 0, 0, 0]).reshaped([1, 4])
        let ones = Tensor([Float(1), 1, 1, 1]).reshaped([1, 4])
        let rotated = withNoGrad { x.rotaryEmbedding(cos: zeros, sin: ones) }
        #expect(rotated.reshaped(-1).toArray(Float.self) == [-3, -4, 1, 2])
        #expect(withNoGrad { x.rotaryEmbedding(cos: ones, sin: zeros) }.reshaped(-1).toArray(Float.self) == [1, 2, 3, 4])
    }

    @Test func mixedDTypesAndTablesThatWidenTheResultTakeTheOps() {
        let generator = Generator(seed: 32)
        let x = Tensor.randn([1, 2, 3, 8], generator: generator).to(.bf16)
        let angles = Tensor.randn([3, 8], generator: generator)
        // f32 tables promote a bf16 x to f32, as the ATen ops do.
        let mixed = withNoGrad { x.rotaryEmbedding(cos: angles.cos(), sin: angles.sin()) }
        #expect(mixed.dtype == .f32 && identical(mixed, withNoGrad { opByOp(x, angles.cos(), angles.sin()) }))
        // Tables with a batch axis that x lacks widen the result to [2, 2, 3, 8].
        let wide = Tensor.randn([2, 1, 3, 8], generator: generator).to(.bf16)
        let widened = withNoGrad { x.rotaryEmbedding(cos: wide, sin: wide) }
        #expect(widened.shape == [2, 2, 3, 8] && identical(widened, withNoGrad { opByOp(x, wide, wide) }))
    }

    @Test func gradientsFlowThroughTheRotation() {
        let generator = Generator(seed: 33)
        let x = Tensor.randn([1, 2, 3, 8], generator: generator)
        x.requiresGrad = true
        let angles = Tensor.randn([3, 8], generator: generator)
        let (cos, sin) = (angles.cos(), angles.sin())
        x.rotaryEmbedding(cos: cos, sin: sin).sum().backward()
        // d/dx_j Σ y = cos_j + (j < d/2 ? sin_{j+d/2} : −sin_{j−d/2}), the same for every head.
        let half = 4
        let expected = cos + Tensor.cat([sin.narrowed(axis: -1, start: half, length: half),
                                         -sin.narrowed(axis: -1, start: 0, length: half)], axis: -1)
        let gradient = x.grad
        #expect(gradient.map { ($0 - expected).abs().max().item() < 1e-6 } == true)
    }
}
