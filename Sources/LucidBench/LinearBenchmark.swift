import Foundation
import LucidTensor

/// The few-row linear kernels (beams, contrastive branches, OPERA's candidates) on a model's shapes,
/// each micro-kernel this CPU runs against libtorch on the same inputs.
///
/// Weights cycle through a pool of about `poolMegabytes` MB so that, as in decoding, each call reads
/// its weight from memory rather than cache. In f32 the reference is libtorch's matmul (MKL's gemm);
/// in bf16 it is libtorch's linear (oneDNN), which is what Lucid's linear falls back to where no
/// kernel of its own applies.
public struct LinearBenchmark: Sendable {
    /// The linear layers' shapes of a model family, in → out features.
    public enum Shapes: String, Sendable, CaseIterable {
        /// SmolLM2-135M: 576→1536, 1536→576, 576→49152.
        case smollm2
        /// Llama-2-7B and the language model of LLaVA-1.5-7B: 4096→4096, 4096→11008, 11008→4096, 4096→32000.
        case llama7b = "llama-7b"

        public var pairs: [(input: Int, output: Int)] {
            switch self {
            case .smollm2: return [(576, 1536), (1536, 576), (576, 49152)]
            case .llama7b: return [(4096, 4096), (4096, 11008), (11008, 4096), (4096, 32000)]
            }
        }
    }

    public var rows: [Int]
    public var poolMegabytes: Int
    /// Minimum seconds per measurement.
    public var seconds: Double
    public var dtype: DType
    public var shapes: Shapes

    public init(rows: [Int], poolMegabytes: Int, seconds: Double, dtype: DType = .f32, shapes: Shapes = .smollm2) {
        (self.rows, self.poolMegabytes, self.seconds, self.dtype, self.shapes) = (rows, poolMegabytes, seconds, dtype, shapes)
    }

    /// The kernels measured for `dtype`: the scalar fallback only where nothing vectorised runs in
    /// f32 (it is ~10× slower) and never in bf16 (it has no bf16 kernel: that is libtorch's linear);
    /// `avx512bf16` only in bf16, since its f32 products are `avx512`'s.
    public static func kernels(for dtype: DType = .f32) -> [SmallLinearKernel] {
        let runnable = SmallLinearKernel.allCases.reversed().filter { kernel in
            SmallLinearKernel.using(kernel) { $0 } == kernel
        }
        if dtype == .bf16 { return runnable.filter { $0 != .scalar } }
        let f32 = runnable.filter { $0 != .avx512bf16 }
        return f32.count > 1 ? f32.filter { $0 != .scalar } : f32
    }

    /// Measures every shape and row count, handing each line of a Markdown table to `emit` as soon
    /// as it is known (header first): ms per call and GFLOP/s per kernel, libtorch's ms, the ratio.
    public func run(emit: (String) -> Void) {
        let kernels = Self.kernels(for: dtype)
        let generator = Generator(seed: 5)
        let reference = dtype == .bf16 ? "libtorch linear" : "libtorch matmul"
        emit("| in → out | rows | " + kernels.map { "\($0) ms (GFLOP/s)" }.joined(separator: " | ") + " | \(reference) ms | best / libtorch |")
        emit("|---|---|" + String(repeating: "---|", count: kernels.count + 2))
        for (input, output) in shapes.pairs {
            let copies = Swift.max(1, poolMegabytes * 1_000_000 / (input * output * dtype.byteSize))
            let weights = (0..<copies).map { _ in Tensor.randn([output, input], generator: generator).to(dtype) }
            let transposed = dtype == .bf16 ? [] : weights.map { $0.transposed(0, 1) }  // f32's matmul reference
            for count in rows {
                let x = Tensor.randn([count, input], generator: generator).to(dtype)
                let flops = 2.0 * Double(count * input * output)
                var cells: [String] = []
                var best = Double.infinity
                for kernel in kernels {
                    let time = SmallLinearKernel.using(kernel) { _ in
                        secondsPerCall(copies) { i in _ = withNoGrad { x.linear(weight: weights[i]) } }
                    }
                    best = Swift.min(best, time)
                    cells.append(String(format: "%.3f (%.0f)", time * 1e3, flops / time / 1e9))
                }
                // bf16: the scalar level turns Lucid's bf16 kernels off, so linear is libtorch's own.
                let libtorch = dtype == .bf16
                    ? SmallLinearKernel.using(.scalar) { _ in secondsPerCall(copies) { i in _ = withNoGrad { x.linear(weight: weights[i]) } } }
                    : secondsPerCall(copies) { i in _ = withNoGrad { x.matmul(transposed[i]) } }
                emit("| \(input) → \(output) | \(count) | " + cells.joined(separator: " | ")
                     + String(format: " | %.3f | %.2f× faster |", libtorch * 1e3, libtorch / best))
            }
        }
    }

    /// Mean seconds per call, cycling through the pool, best of 3 rounds after a warm-up round.
    func secondsPerCall(_ pool: Int, _ body: (Int) -> Void) -> Double {
        var index = 0
        return bestMeanSeconds(warmUp: seconds / 3, roundSeconds: seconds / 3) {
            body(index)
            index = (index + 1) % pool
        }
    }
}
