import Testing
@testable import LucidTensor

/// `linear` for the few-row inputs of decoding (the shim's weight-streaming kernel) against an f64 reference.
@Suite("small-batch linear")
struct SmallLinearTests {
    func reference(_ x: Tensor, _ w: Tensor, _ b: Tensor?) -> Tensor {
        var y = x.to(.f64).matmul(w.to(.f64).transposed(0, 1))
        if let b { y = y + b.to(.f64) }
        return y
    }

    @Test func everyRowCountUpToTheChunkedLimitMatchesTheReference() {
        let generator = Generator(seed: 11)
        let w = Tensor.randn([37, 53], generator: generator)  // odd widths exercise the tails
        let b = Tensor.randn([37], generator: generator)
        // Every kernel this CPU can run, on the same inputs.
        let seen = withEverySmallLinearKernel { active in
            for rows in [1, 2, 3, 5, 8, 9, 17, 25, 32, 33] {
                let x = Tensor.randn([rows, 53], generator: generator)
                for bias in [nil, b] {
                    let y = withNoGrad { x.linear(weight: w, bias: bias) }
                    #expect(y.shape == [rows, 37])
                    let error = (y.to(.f64) - reference(x, w, bias)).abs().max().item()
                    #expect(error < 1e-4, "\(active), rows \(rows), bias \(bias != nil): max error \(error)")
                }
            }
            // Large enough for the helper thread and the cache blocking; 16-wide rows have no tail.
            let big = Tensor.randn([600, 256], generator: generator)
            let x = Tensor.randn([25, 256], generator: generator)
            let error = (withNoGrad { x.linear(weight: big) }.to(.f64) - reference(x, big, nil)).abs().max().item()
            #expect(error < 1e-4, "\(active), 25 × 256 → 600: max error \(error)")
        }
        #expect(seen.contains(.scalar))
    }

    /// One bf16 row (batch-1 decoding in bf16): f32 accumulation and one rounding at the end, on every
    /// kernel this CPU has (AVX-512 widens the weights in registers or multiplies bf16 pairs, AVX2 makes
    /// pairs f32 by a shift and a mask; scalar uses at::linear).
    @Test func aSingleBF16RowRoundsOnceFromTheExactProduct() {
        let generator = Generator(seed: 12)
        withEverySmallLinearKernel { active in
            for (input, output) in [(53, 37), (256, 600), (576, 1536)] {
                let w = Tensor.randn([output, input], generator: generator).to(.bf16)
                let b = Tensor.randn([output], generator: generator).to(.bf16)
                let x = Tensor.randn([1, 1, input], generator: generator).to(.bf16)
                for bias in [nil, b] {
                    let y = withNoGrad { x.linear(weight: w, bias: bias) }
                    #expect(y.shape == [1, 1, output] && y.dtype == .bf16)
                    let exact = reference(x.reshaped([1, input]), w, bias).reshaped([1, 1, output])
                    // bf16 keeps 8 significant bits: one rounding is at most 2⁻⁹ relative (2⁻⁸ allowed), plus
                    // the f32 accumulation's own error (1e-4 absolute allowed).
                    let excess = ((y.to(.f64) - exact).abs() - exact.abs() / 256).max().item()
                    #expect(excess <= 1e-4, "\(active), \(input) → \(output), bias \(bias != nil): error beyond one rounding \(excess)")
                }
            }
        }
    }

    /// 2–8 bf16 rows (beams, contrastive branches) read each weight row once for all of them, with
    /// the same arithmetic as one row; 9 rows go back to libtorch. Every kernel this CPU has.
    @Test func upToEightBF16RowsRoundOnceFromTheExactProduct() {
        let generator = Generator(seed: 14)
        withEverySmallLinearKernel { active in
            for (input, output) in [(53, 37), (200, 70), (576, 1536)] {
                let w = Tensor.randn([output, input], generator: generator).to(.bf16)
                let b = Tensor.randn([output], generator: generator).to(.bf16)
                for rows in [2, 3, 4, 5, 6, 7, 8, 9] {
                    let x = Tensor.randn([rows, 1, input], generator: generator).to(.bf16)
                    for bias in [nil, b] {
                        let y = withNoGrad { x.linear(weight: w, bias: bias) }
                        #expect(y.shape == [rows, 1, output] && y.dtype == .bf16)
                        let exact = reference(x.reshaped([rows, input]), w, bias).reshaped([rows, 1, output])
                        let excess = ((y.to(.f64) - exact).abs() - exact.abs() / 256).max().item()
                        #expect(excess <= 1e-4, "\(active), \(rows) rows, \(input) → \(output), bias \(bias != nil): beyond one rounding \(excess)")
                        // Each row as if alone: the rows do not mix.
                        let alone = withNoGrad { x.narrowed(axis: 0, start: rows - 1, length: 1).linear(weight: w, bias: bias) }
                        let last = y.narrowed(axis: 0, start: rows - 1, length: 1)
                        #expect((alone.to(.f64) - last.to(.f64)).abs().max().item() <= exact.abs().max().item() / 128,
                                "\(active), \(rows) rows: the last row differs from itself alone")
                    }
                }
            }
        }
    }

    /// 2–7 f32 rows that spill from half the L1 cache take the AVX-512 tiles (one read of the inputs
    /// per 4 weight rows) instead of the AVX2 kernel: every row count, odd widths, on every kernel.
    @Test func fewF32RowsWiderThanHalfTheL1CacheMatchTheReference() {
        let generator = Generator(seed: 16)
        withEverySmallLinearKernel { active in
            for rows in 2...7 {
                let input = SmallLinearKernel.l1DataCacheBytes / 2 / 4 / rows + 3  // just over, and a tail
                let w = Tensor.randn([45, input], generator: generator)
                let b = Tensor.randn([45], generator: generator)
                let x = Tensor.randn([rows, input], generator: generator)
                let error = (withNoGrad { x.linear(weight: w, bias: b) }.to(.f64) - reference(x, w, b)).abs().max().item()
                #expect(error < 1e-4 * Double(input).squareRoot(), "\(active), \(rows) rows of \(input): max error \(error)")
            }
        }
    }

    /// On AVX-512, fewer than 8 f32 rows run the AVX2 kernel (bit for bit the `avx2` level's result)
    /// while they fit in half the L1 cache, and the AVX-512 tiles (another summation order) once
    /// they spill from it.
    @Test(.enabled(if: SmallLinearKernel.using(.avx512) { $0 } == .avx512, "needs an AVX-512 CPU"))
    func fewF32RowsSwitchToTheAVX512TilesWhenTheySpillFromL1() {
        let generator = Generator(seed: 17)
        let l1 = SmallLinearKernel.l1DataCacheBytes
        for (rows, input) in [(3, l1 / 2 / 4 / 3 - 5), (3, l1 / 2 / 4 / 3 + 5)] {
            let w = Tensor.randn([64, input], generator: generator)
            let x = Tensor.randn([rows, input], generator: generator)
            let tiles = SmallLinearKernel.using(.avx512) { _ in withNoGrad { x.linear(weight: w) } }
            let avx2 = SmallLinearKernel.using(.avx2) { _ in withNoGrad { x.linear(weight: w) } }
            let spills = rows * input * 4 > l1 / 2
            #expect((difference(tiles, avx2) > 0) == spills, "\(rows) rows of \(input): spills \(spills), difference \(difference(tiles, avx2))")
        }
    }

    /// bf16 sums whose rounding depends on the order of the f32 additions: small terms (~2⁻¹²) and,
    /// in every weight row, one +4096 and one −4096 at seeded places, so terms added next to a big
    /// one lose their low bits. Two orders of summation then give other bf16 values.
    func orderSensitive(rows: Int, input: Int, seed: UInt64) -> (x: Tensor, w: Tensor) {
        var random = TestRandom(seed: seed)
        var weights = (0..<(256 * input)).map { _ in Float(random.uniform(-1, 1)) / 4096 }
        for row in 0..<256 {
            weights[row * input + Int(random.next() % UInt64(input))] = 4096
            weights[row * input + Int(random.next() % UInt64(input))] = -4096
        }
        return (Tensor.ones([rows, input]).to(.bf16), Tensor(weights, shape: [256, input]).to(.bf16))
    }

    func difference(_ a: Tensor, _ b: Tensor) -> Double { (a.to(.f64) - b.to(.f64)).abs().max().item() }

    /// Runs `body` with `count` intra-op threads on this thread (oneDNN's, which the bf16 dispatch
    /// weighs), then restores the count; synchronous, so it cannot move to another thread midway.
    @discardableResult
    func withIntraOpThreads<Result>(_ count: Int, _ body: () -> Result) -> Result {
        let before = Torch.threads
        Torch.threads = count
        defer { Torch.threads = before }
        return body()
    }

    /// 2–8 bf16 rows wider than half the L1 cache go to libtorch's linear, bit for bit (the shim's
    /// kernel re-reads every input row for each weight row, which is slower than oneDNN once they
    /// spill from L1: docs/engine.md); a single row of that width stays on the shim's kernel.
    @Test(.enabled(if: SmallLinearKernel.active.rawValue >= SmallLinearKernel.avx2.rawValue, "needs the shim's bf16 kernels (x86-64 with AVX2 or AVX-512)"))
    func bf16RowsWiderThanHalfTheL1CacheUseLibtorchsLinear() {
        let input = SmallLinearKernel.l1DataCacheBytes / 8 + 40  // two bf16 rows just over half the L1, with a tail
        let (x, w) = orderSensitive(rows: 2, input: input, seed: 15)
        let libtorch = withIntraOpThreads(2) { SmallLinearKernel.using(.scalar) { _ in withNoGrad { x.linear(weight: w) } } }
        withIntraOpThreads(2) {
            withEverySmallLinearKernel { active in
                guard active != .scalar else { return }
                #expect(difference(withNoGrad { x.linear(weight: w) }, libtorch) == 0, "\(active)")
            }
        }
        // One row of the same width takes the shim's kernel and gives other values: so the equality
        // above is the dispatch, not two kernels that happen to agree.
        let first = x.narrowed(axis: 0, start: 0, length: 1)
        #expect(difference(withNoGrad { first.linear(weight: w) }, libtorch.narrowed(axis: 0, start: 0, length: 1)) > 0)
    }

    /// Below the bf16 dot-product level the kernel reads an f32 copy of the rows, so rows that fit in
    /// half the L1 cache as bf16 but not as f32 go to libtorch there, and stay on the kernel where
    /// VDPBF16PS reads them as they are.
    @Test(.enabled(if: SmallLinearKernel.active.rawValue >= SmallLinearKernel.avx2.rawValue, "needs the shim's bf16 kernels (x86-64 with AVX2 or AVX-512)"))
    func bf16RowsCountTheirF32CopyBelowTheBF16DotProductLevel() {
        let input = SmallLinearKernel.l1DataCacheBytes / 16 + 40  // 2 rows: under half the L1 in bf16, over it in f32
        let (x, w) = orderSensitive(rows: 2, input: input, seed: 18)
        let libtorch = withIntraOpThreads(2) { SmallLinearKernel.using(.scalar) { _ in withNoGrad { x.linear(weight: w) } } }
        withIntraOpThreads(2) {
            withEverySmallLinearKernel { active in
                guard active != .scalar else { return }
                let lucid = withNoGrad { x.linear(weight: w) }
                if active == .avx512bf16 {
                    #expect(difference(lucid, libtorch) > 0, "the bf16 rows kernel, in its own order")
                } else {
                    #expect(difference(lucid, libtorch) == 0, "\(active)")
                }
            }
        }
    }

    /// With one intra-op thread oneDNN has one core as the kernel does, and the kernel keeps 2–8 rows
    /// up to the whole L1 cache (2 rows of 11,008 bf16: 2.99 against oneDNN's 4.76 ms); with more
    /// threads, up to half of it.
    @Test(.enabled(if: SmallLinearKernel.active.rawValue >= SmallLinearKernel.avx2.rawValue, "needs the shim's bf16 kernels (x86-64 with AVX2 or AVX-512)"))
    func oneIntraOpThreadLetsTheBF16RowsKernelUseTheWholeL1Cache() {
        let entry = SmallLinearKernel.active == .avx512bf16 ? 2 : 4  // what the kernel reads per entry
        let input = SmallLinearKernel.l1DataCacheBytes * 3 / 4 / (2 * entry)  // 2 rows fill three quarters of the L1
        let (x, w) = orderSensitive(rows: 2, input: input, seed: 19)
        for threads in [1, 2] {
            let libtorch = withIntraOpThreads(threads) { SmallLinearKernel.using(.scalar) { _ in withNoGrad { x.linear(weight: w) } } }
            let lucid = withIntraOpThreads(threads) { withNoGrad { x.linear(weight: w) } }
            #expect((difference(lucid, libtorch) > 0) == (threads == 1), "\(threads) threads: difference \(difference(lucid, libtorch))")
        }
    }

    @Test func leadingAxesAndNonContiguousInputsKeepTheirShape() {
        let generator = Generator(seed: 12)
        let w = Tensor.randn([16, 24], generator: generator)
        let x = Tensor.randn([2, 3, 24], generator: generator)
        let y = withNoGrad { x.linear(weight: w) }
        #expect(y.shape == [2, 3, 16])
        #expect((y.to(.f64) - reference(x.reshaped([6, 24]), w, nil).reshaped([2, 3, 16])).abs().max().item() < 1e-4)
        let transposed = Tensor.randn([24, 4], generator: generator).transposed(0, 1)  // [4, 24], not contiguous
        let z = withNoGrad { transposed.linear(weight: w) }
        #expect((z.to(.f64) - reference(transposed.contiguous(), w, nil)).abs().max().item() < 1e-4)
    }

    @Test func gradientsStillFlowThroughSingleRowsAndBatches() {
        let generator = Generator(seed: 13)
        let w = Tensor.randn([8, 12], generator: generator)
        w.requiresGrad = true
        for rows in [1, 4] {
            let x = Tensor.randn([rows, 12], generator: generator)
            x.requiresGrad = true
            x.linear(weight: w).sum().backward()
            // d/dx Σ x·wᵀ = Σ_o w[o, :] for every row.
            let expected = w.detached().sum(axis: 0)
            #expect((x.grad! - expected.unsqueezed(axis: 0)).abs().max().item() < 1e-5)
            w.zeroGrad()
        }
    }
}
