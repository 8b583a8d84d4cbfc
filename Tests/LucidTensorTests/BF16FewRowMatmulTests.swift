import Testing
@testable import LucidTensor

/// `matmul` of a few bf16 rows (a bf16 decoder's attention over its cache) against an f64 reference.
@Suite("bf16 few-row matmul")
struct BF16FewRowMatmulTests {
    /// How far `y` is beyond one bf16 rounding of the exact product (8 significant bits: at most 2⁻⁹
    /// relative, 2⁻⁸ allowed), plus the f32 accumulation's own error (1e-4 absolute allowed).
    func excessOverOneRounding(_ y: Tensor, _ a: Tensor, _ b: Tensor) -> Double {
        let exact = a.to(.f64).matmul(b.to(.f64))
        return ((y.to(.f64) - exact).abs() - exact.abs() / 256).max().item()
    }

    @Test func queriesTimesCachedKeysAndProbabilitiesTimesCachedValuesRoundOnce() {
        let generator = Generator(seed: 21)
        withEverySmallLinearKernel { active in
            for (rows, depth, positions) in [(1, 64, 37), (3, 53, 200), (8, 64, 1)] {
                // A cache holds more positions than are valid; attention reads a narrowed view of it.
                let keys = Tensor.randn([2, 3, positions + 11, depth], generator: generator).to(.bf16)
                    .narrowed(axis: 2, start: 0, length: positions)
                let values = Tensor.randn([2, 3, positions + 5, depth], generator: generator).to(.bf16)
                    .narrowed(axis: 2, start: 0, length: positions)
                let queries = Tensor.randn([2, 3, rows, depth], generator: generator).to(.bf16)
                let probabilities = Tensor.randn([2, 3, rows, positions], generator: generator).to(.bf16)

                let scores = withNoGrad { queries.matmul(keys.mT) }
                #expect(scores.shape == [2, 3, rows, positions] && scores.dtype == .bf16)
                let scoreExcess = excessOverOneRounding(scores, queries, keys.mT)
                #expect(scoreExcess <= 1e-4, "\(active), q·kᵀ \(rows)×\(depth)→\(positions): beyond one rounding \(scoreExcess)")

                let context = withNoGrad { probabilities.matmul(values) }
                #expect(context.shape == [2, 3, rows, depth] && context.dtype == .bf16)
                let contextExcess = excessOverOneRounding(context, probabilities, values)
                #expect(contextExcess <= 1e-4, "\(active), p·v \(rows)×\(positions)→\(depth): beyond one rounding \(contextExcess)")
            }
        }
    }

    @Test func broadcastBatchesAndManyRowsStillMatchTheReference() {
        let generator = Generator(seed: 22)
        let keys = Tensor.randn([2, 3, 40, 32], generator: generator).to(.bf16)
        for (queries, label) in [(Tensor.randn([1, 3, 2, 32], generator: generator).to(.bf16), "broadcast batch"),
                                 (Tensor.randn([2, 3, 9, 32], generator: generator).to(.bf16), "nine rows")] {
            let scores = withNoGrad { queries.matmul(keys.mT) }
            #expect(scores.shape == [2, 3, queries.size(2), 40])
            let excess = excessOverOneRounding(scores, queries, keys.mT)
            #expect(excess <= 1e-4, "\(label): beyond one rounding \(excess)")
        }
    }

    @Test func gradientsStillFlowThroughAFewBF16Rows() {
        let generator = Generator(seed: 23)
        let keys = Tensor.randn([1, 2, 5, 16], generator: generator).to(.bf16)
        let queries = Tensor.randn([1, 2, 1, 16], generator: generator).to(.bf16)
        queries.requiresGrad = true
        queries.matmul(keys.mT).to(.f32).sum().backward()
        // d/dq Σ_s q·k_s = Σ_s k_s for every head.
        let expected = keys.to(.f32).sum(axis: 2, keepDims: true)
        let gradient = queries.grad?.to(.f32)
        #expect(gradient.map { ($0 - expected).abs().max().item() < 0.1 } == true)
    }
}
