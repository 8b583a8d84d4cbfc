import Foundation
import Testing
@testable import LucidTensor

@Suite("Linear algebra and neural-network primitives")
struct NeuralOpsTests {
    func naiveMatmul(_ a: [Double], _ b: [Double], n: Int, k: Int, m: Int) -> [Double] {
        var out = [Double](repeating: 0, count: n * m)
        for i in 0..<n { for j in 0..<m { for l in 0..<k { out[i * m + j] += a[i * k + l] * b[l * m + j] } } }
        return out
    }

    @Test func matmulMatchesNaiveProduct() {
        var r = TestRandom(seed: 1)
        let a = r.array(5 * 7), b = r.array(7 * 3)
        let product = Tensor(a, shape: [5, 7]).matmul(Tensor(b, shape: [7, 3]))
        #expect(product.shape == [5, 3])
        expectClose(product, naiveMatmul(a, b, n: 5, k: 7, m: 3), atol: 1e-12)
        // f32 on a larger product exercises the BLAS path.
        let a2 = r.array(64 * 96), b2 = r.array(96 * 48)
        let p32 = Tensor(a2.map(Float.init), shape: [64, 96]).matmul(Tensor(b2.map(Float.init), shape: [96, 48]))
        expectClose(p32, naiveMatmul(a2, b2, n: 64, k: 96, m: 48), atol: 1e-4)
        // Vector and broadcast-batched operands.
        let v = Tensor(r.array(7))
        #expect(Tensor(a, shape: [5, 7]).matmul(v).shape == [5])
        #expect(Tensor.randn([4, 5, 7]).matmul(Tensor.randn([7, 2])).shape == [4, 5, 2])
    }

    @Test func bmmMultipliesEachBatch() {
        var r = TestRandom(seed: 2)
        let a = r.array(2 * 3 * 4), b = r.array(2 * 4 * 5)
        let out = Tensor(a, shape: [2, 3, 4]).bmm(Tensor(b, shape: [2, 4, 5]))
        let expected = naiveMatmul(Array(a[0..<12]), Array(b[0..<20]), n: 3, k: 4, m: 5)
            + naiveMatmul(Array(a[12..<24]), Array(b[20..<40]), n: 3, k: 4, m: 5)
        expectClose(out, expected, atol: 1e-12)
        let viaEinsum = Tensor.einsum("bij,bjk->bik", Tensor(a, shape: [2, 3, 4]), Tensor(b, shape: [2, 4, 5]))
        expectClose(viaEinsum, expected, atol: 1e-12)
    }

    @Test func singleRowLinearAgreesWithTheBatchedPath() {
        let w = Tensor.randn([7, 5], dtype: .f64, generator: Generator(seed: 4))
        let b = Tensor.randn([7], dtype: .f64, generator: Generator(seed: 5))
        let x = Tensor.randn([1, 1, 5], dtype: .f64, generator: Generator(seed: 6))
        let single = x.linear(weight: w, bias: b)
        #expect(single.shape == [1, 1, 7])
        let batched = Tensor.cat([x, x], axis: 1).linear(weight: w, bias: b)[TensorIndex.all, 0..<1]
        #expect(single.maxAbsDifference(batched) < 1e-12)
        #expect(Tensor.randn([5], dtype: .f64).linear(weight: w).shape == [7])
    }

    @Test func linearIsXWTransposedPlusBias() {
        let x = Tensor([1.0, 2.0, 3.0, 4.0], shape: [2, 2])
        let w = Tensor([1.0, 0.0, 1.0, 1.0, 0.0, -1.0], shape: [3, 2])
        let b = Tensor([0.5, 0.5, 0.5])
        expectClose(x.linear(weight: w, bias: b), [1.5, 3.5, -1.5, 3.5, 7.5, -3.5])
        expectClose(x.linear(weight: w), [1, 3, -2, 3, 7, -4])
    }

    @Test func conv2dMatchesDirectSummation() {
        var r = TestRandom(seed: 3)
        let (n, c, h, w, o, kh, kw) = (1, 2, 5, 6, 3, 3, 2)
        let x = r.array(n * c * h * w), k = r.array(o * c * kh * kw), bias = r.array(o)
        let stride = (2, 1), pad = (1, 0)
        let out = Tensor(x, shape: [n, c, h, w]).conv2d(weight: Tensor(k, shape: [o, c, kh, kw]), bias: Tensor(bias),
                                                        stride: stride, padding: pad)
        let oh = (h + 2 * pad.0 - kh) / stride.0 + 1, ow = (w + 2 * pad.1 - kw) / stride.1 + 1
        #expect(out.shape == [n, o, oh, ow])
        var expected = [Double]()
        for oc in 0..<o { for i in 0..<oh { for j in 0..<ow {
            var s = bias[oc]
            for ic in 0..<c { for di in 0..<kh { for dj in 0..<kw {
                let y = i * stride.0 - pad.0 + di, z = j * stride.1 - pad.1 + dj
                if y >= 0 && y < h && z >= 0 && z < w {
                    s += x[(ic * h + y) * w + z] * k[((oc * c + ic) * kh + di) * kw + dj]
                }
            } } }
            expected.append(s)
        } } }
        expectClose(out, expected, atol: 1e-12)
        // Patch embedding as in a ViT: stride = kernel.
        let patches = Tensor.randn([1, 3, 8, 8]).conv2d(weight: Tensor.randn([16, 3, 4, 4]), stride: (4, 4))
        #expect(patches.shape == [1, 16, 2, 2])
    }

    @Test func layerNormAndRMSNormMatchDefinitions() {
        let rows: [[Double]] = [[1, 2, 3, 4], [-1, 0.5, 2, 10]]
        let x = Tensor(rows)
        let gamma = Tensor([1.0, 2.0, 0.5, -1.0]), beta = Tensor([0.0, 0.1, 0.2, 0.3])
        var expectedLN: [Double] = [], expectedRMS: [Double] = []
        for r in rows {
            let mean = r.reduce(0, +) / 4
            let variance = r.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4
            let g = [1.0, 2.0, 0.5, -1.0], b = [0.0, 0.1, 0.2, 0.3]
            expectedLN += r.indices.map { ($0, (r[$0] - mean) / Foundation.sqrt(variance + 1e-5)) }.map { $0.1 * g[$0.0] + b[$0.0] }
            let ms = r.map { $0 * $0 }.reduce(0, +) / 4
            expectedRMS += r.indices.map { r[$0] / Foundation.sqrt(ms + 1e-6) * g[$0] }
        }
        expectClose(x.layerNorm(normalizedShape: [4], weight: gamma, bias: beta), expectedLN)
        expectClose(x.rmsNorm(weight: gamma, eps: 1e-6), expectedRMS)
        let half = x.to(.f16).rmsNorm(weight: gamma.to(.f16), eps: 1e-6)
        #expect(half.dtype == .f16)
        expectClose(half, expectedRMS, atol: 2e-2, rtol: 1e-2)
    }

    /// bf16 RMSNorm of decoding's few rows (up to 8) runs as one fused pass without autograd; it must equal
    /// transformers' steps (f32 statistics, cast back, times the weight in bf16) but for rare one-step rounding
    /// ties. A prompt's rows (more than 8) take those steps themselves: equal to the bit.
    @Test func bf16RMSNormOfAPromptIsTheStepByStepOpsAndOfFewRowsOneFusedPassButForRareTies() {
        let generator = Generator(seed: 31)
        // 2048 wide: at SmolLM2's 576 the two orders of the sum gave the same bf16 values in every entry tried.
        let gamma = Tensor.randn([2048], generator: generator).to(.bf16)
        func steps(_ x: Tensor) -> Tensor {
            let f = x.to(.f32)
            return gamma * (f * (f.square().mean(axis: -1, keepDims: true) + 1e-5).rsqrt()).to(.bf16)
        }
        let prompt = (Tensor.randn([4, 16, 2048], generator: generator) * 3).to(.bf16)
        let normed = withNoGrad { prompt.rmsNorm(weight: gamma, eps: 1e-5) }
        #expect(normed.dtype == .bf16 && normed.shape == [4, 16, 2048])
        #expect((normed.to(.f64) - steps(prompt).to(.f64)).abs().max().item() == 0)
        var differing = 0.0
        for shape in [[1, 2048], [1, 1, 2048], [8, 2048], [2, 4, 2048]] {
            let x = (Tensor.randn(shape, generator: generator) * 3).to(.bf16)
            let fused = withNoGrad { x.rmsNorm(weight: gamma, eps: 1e-5) }
            #expect(fused.dtype == .bf16 && fused.shape == shape)
            let difference = (fused.to(.f64) - steps(x).to(.f64)).abs()
            // One bf16 step is 2⁻⁷ relative at most (2⁻⁸ rounding, twice: the cast and the weight's product).
            #expect(((difference - steps(x).to(.f64).abs() / 64).max().item()) <= 1e-6)
            differing = max(differing, (difference.gt(0)).to(.f64).mean().item())
        }
        #expect(differing < 0.01, "\(differing * 100)% of the entries differ from the step-by-step ops")
        let x = (Tensor.randn([3, 5, 2048], generator: generator) * 3).to(.bf16)
        // With autograd recording, the same values come from the ATen ops (and gradients flow).
        let tracked = x.to(.f32).to(.bf16)
        tracked.requiresGrad = true
        let recorded = tracked.rmsNorm(weight: gamma, eps: 1e-5)
        #expect((recorded.to(.f64) - steps(x).to(.f64)).abs().max().item() == 0)
        recorded.to(.f32).sum().backward()
        #expect(tracked.grad != nil)
    }

    @Test func resizingPreservesConstantsAndShapes() {
        let constant = Tensor.full([1, 3, 5, 7], 0.25, dtype: .f64)
        let up = constant.resizedBicubic(height: 10, width: 14)
        #expect(up.shape == [1, 3, 10, 14])
        expectClose(up.flattened(), [Double](repeating: 0.25, count: 3 * 10 * 14))
        let down = constant.resizedBilinear(height: 2, width: 3, antialias: true)
        expectClose(down.flattened(), [Double](repeating: 0.25, count: 3 * 2 * 3))
        // Bilinear with align_corners on a ramp reproduces the ramp.
        let ramp = Tensor([0.0, 1.0, 2.0, 3.0], shape: [1, 1, 1, 4])
        expectClose(ramp.resizedBilinear(height: 1, width: 7, alignCorners: true).flattened(), [0, 0.5, 1, 1.5, 2, 2.5, 3])
    }
}
