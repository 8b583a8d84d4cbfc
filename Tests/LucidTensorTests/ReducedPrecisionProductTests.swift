import Foundation
import Testing
@testable import LucidTensor

/// bf16/f16 linear, matmul and conv2d beyond the decoding kernels — prefill batches and products under
/// autograd — against an f64 reference, on every small-linear kernel this CPU can run, each with the
/// products widened to f32 by the shim (widened_products.cpp, the default below `avx512`) and with
/// libtorch's own kernels (`ReducedPrecisionProducts`); all must be within one rounding of the exact
/// product, values and gradients.
@Suite("bf16/f16 batch products")
struct ReducedPrecisionProductTests {
    /// One rounding: 2⁻⁹ relative in bf16 (8 significant bits), 2⁻¹² in f16 (11); twice that allowed.
    func relativeRounding(_ dtype: DType) -> Double { dtype == .bf16 ? 1.0 / 256 : 1.0 / 2048 }

    /// How far `y` is beyond one rounding of `exact`, plus the f32 accumulation's own error (allowed 1e-3
    /// absolute by the callers: sums of up to 80 products of magnitude ~3).
    func excessOverOneRounding(_ y: Tensor, _ exact: Tensor, _ dtype: DType) -> Double {
        ((y.to(.f64) - exact).abs() - exact.abs() * relativeRounding(dtype)).max().item()
    }

    /// `y` (a value or a gradient; nil fails) is within one rounding of `exact`, 1e-3 absolute allowed.
    func expectOneRounding(_ y: Tensor?, _ exact: Tensor, _ dtype: DType, _ label: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        let excess = y.map { excessOverOneRounding($0.detached(), exact, dtype) } ?? .infinity
        #expect(excess <= 1e-3, "\(label): beyond one rounding \(excess)", sourceLocation: sourceLocation)
    }

    /// Runs `body` on every small-linear kernel this CPU has, each with products widened and on libtorch's
    /// own kernels, handing it a label of the path.
    func withEveryProductPath(_ body: (String) -> Void) {
        withEverySmallLinearKernel { kernel in
            for widened in [false, true] {
                ReducedPrecisionProducts.computed(widened: widened) {
                    #expect(ReducedPrecisionProducts.areWidened == widened)
                    body("\(kernel)\(widened ? " widened" : "")")
                }
            }
        }
    }

    @Test(arguments: [DType.bf16, .f16])
    func aPrefillBatchRoundsOnceFromTheExactProduct(_ dtype: DType) {
        let generator = Generator(seed: 31)
        withEveryProductPath { active in
            for (rows, input, output) in [(32, 53, 37), (75, 80, 33)] {
                let w = Tensor.randn([output, input], generator: generator).to(dtype)
                let b = Tensor.randn([output], generator: generator).to(dtype)
                let x = Tensor.randn([1, rows, input], generator: generator).to(dtype)
                for bias in [nil, b] {
                    let y = withNoGrad { x.linear(weight: w, bias: bias) }
                    #expect(y.shape == [1, rows, output] && y.dtype == dtype)
                    var exact = x.to(.f64).matmul(w.to(.f64).mT)
                    if let bias { exact = exact + bias.to(.f64) }
                    expectOneRounding(y, exact, dtype, "\(active) \(dtype), \(rows) × \(input) → \(output), bias \(bias != nil)")
                }
            }
        }
    }

    /// The gradients of input, weight and bias of a reduced-precision linear layer (a PGD step's and a
    /// fine-tune's backward) are the exact gradients of the rounded upstream gradient, rounded once.
    @Test(arguments: [DType.bf16, .f16])
    func linearGradientsRoundOnceFromTheExactGradients(_ dtype: DType) {
        let generator = Generator(seed: 32)
        withEveryProductPath { active in
            for (rows, withBias) in [(1, true), (6, false), (40, true), (40, false)] {
                let (input, output) = (24, 16)
                let x = Tensor.randn([rows, input], generator: generator).to(dtype)
                let w = Tensor.randn([output, input], generator: generator).to(dtype)
                let b = Tensor.randn([output], generator: generator).to(dtype)
                for leaf in [x, w, b] { leaf.requiresGrad = true }
                let upstream = Tensor.randn([rows, output], generator: generator)
                (x.linear(weight: w, bias: withBias ? b : nil).to(.f32) * upstream).sum().backward()
                // The cast's backward hands the layer the upstream gradient rounded to its dtype.
                let g = upstream.to(dtype).to(.f64)
                var expected = [
                    ("input", x.grad, g.matmul(w.detached().to(.f64))),
                    ("weight", w.grad, g.mT.matmul(x.detached().to(.f64))),
                ]
                if withBias { expected.append(("bias", b.grad, g.sum(axis: 0))) } else { #expect(b.grad == nil) }
                for (name, gradient, exact) in expected {
                    #expect(gradient?.dtype == dtype, "\(active) \(dtype) \(name): gradient dtype")
                    expectOneRounding(gradient, exact, dtype, "\(active) \(dtype), \(rows) rows, bias \(withBias), \(name)")
                }
            }
        }
    }

    /// Attention's products over a whole prompt (more rows than the few-row kernel takes), forward and
    /// backward.
    @Test(arguments: [DType.bf16, .f16])
    func attentionProductsAndTheirGradientsRoundOnce(_ dtype: DType) {
        let generator = Generator(seed: 33)
        withEveryProductPath { active in
            let queries = Tensor.randn([1, 3, 20, 16], generator: generator).to(dtype)
            let keys = Tensor.randn([1, 3, 20, 16], generator: generator).to(dtype)
            queries.requiresGrad = true
            let scores = queries.matmul(keys.mT)
            #expect(scores.shape == [1, 3, 20, 20] && scores.dtype == dtype)
            let exact = queries.detached().to(.f64).matmul(keys.to(.f64).mT)
            expectOneRounding(scores, exact, dtype, "\(active) \(dtype): scores")
            scores.to(.f32).sum().backward()
            // d/dq Σ_s q·k_s = Σ_s k_s for every query row.
            let expected = keys.to(.f64).sum(axis: 2, keepDims: true).expanded([1, 3, 20, 16])
            expectOneRounding(queries.grad, expected, dtype, "\(active) \(dtype): query gradient")
        }
    }

    /// A vision tower's patch embedding with a differentiable image (the pixel path of every attack).
    @Test(arguments: [DType.bf16, .f16])
    func patchEmbeddingAndItsPixelGradientRoundOnce(_ dtype: DType) {
        let generator = Generator(seed: 34)
        withEveryProductPath { active in
            let image = Tensor.randn([1, 3, 16, 16], generator: generator).to(dtype)
            let kernel = Tensor.randn([8, 3, 4, 4], generator: generator).to(dtype)
            let bias = Tensor.randn([8], generator: generator).to(dtype)
            image.requiresGrad = true
            let patches = image.conv2d(weight: kernel, bias: bias, stride: (4, 4))
            #expect(patches.shape == [1, 8, 4, 4] && patches.dtype == dtype)
            let exact = image.detached().to(.f64).conv2d(weight: kernel.to(.f64), bias: bias.to(.f64), stride: (4, 4))
            expectOneRounding(patches, exact, dtype, "\(active) \(dtype): patches")
            patches.to(.f32).sum().backward()
            // Stride = kernel: every pixel meets one kernel position, summed over the 8 output channels.
            let perPosition = kernel.to(.f64).sum(axis: 0, keepDims: true)  // [1, 3, 4, 4]
            let expected = perPosition.repeated([1, 1, 4, 4])
            expectOneRounding(image.grad, expected, dtype, "\(active) \(dtype): pixel gradient")
        }
    }

    /// `computed(widened:)` sets the calling thread's choice only, nests, and restores the previous one.
    @Test func theWidenedChoiceBelongsToTheCallingThreadAndIsRestored() {
        final class Seen: @unchecked Sendable { var widened: Bool? }
        let before = ReducedPrecisionProducts.areWidened
        ReducedPrecisionProducts.computed(widened: !before) {
            #expect(ReducedPrecisionProducts.areWidened == !before)
            ReducedPrecisionProducts.computed(widened: before) { #expect(ReducedPrecisionProducts.areWidened == before) }
            #expect(ReducedPrecisionProducts.areWidened == !before)
            let (seen, done) = (Seen(), DispatchSemaphore(value: 0))
            Thread {
                seen.widened = ReducedPrecisionProducts.areWidened
                done.signal()
            }.start()
            done.wait()
            #expect(seen.widened == before, "another thread keeps the process's choice")
        }
        #expect(ReducedPrecisionProducts.areWidened == before)
    }
}
