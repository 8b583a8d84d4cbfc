import Foundation
import LucidTensor

/// The few-row linear kernels (beams, contrastive branches, OPERA's candidates) on SmolLM2-135M's
/// shapes, each micro-kernel this CPU runs against libtorch's matmul on the same inputs.
///
/// Weights cycle through a pool of about `poolMegabytes` MB so that, as in decoding, each call reads
/// its weight from memory rather than cache.
public struct LinearBenchmark: Sendable {
    /// in → out features of SmolLM2-135M's linear layers: 576→1536, 1536→576, 576→49152.
    public static let shapes = [(576, 1536), (1536, 576), (576, 49152)]

    public var rows: [Int]
    public var poolMegabytes: Int
    /// Minimum seconds per measurement.
    public var seconds: Double

    public init(rows: [Int], poolMegabytes: Int, seconds: Double) {
        (self.rows, self.poolMegabytes, self.seconds) = (rows, poolMegabytes, seconds)
    }

    /// The kernels measured: the scalar fallback only where nothing vectorised runs (it is ~10× slower);
    /// not `avx512bf16`, whose f32 products are `avx512`'s.
    public static func kernels() -> [SmallLinearKernel] {
        let runnable = SmallLinearKernel.allCases.reversed().filter { kernel in
            kernel != .avx512bf16 && SmallLinearKernel.using(kernel) { $0 } == kernel
        }
        return runnable.count > 1 ? runnable.filter { $0 != .scalar } : runnable
    }

    /// Measures every shape and row count, handing each line of a Markdown table to `emit` as soon
    /// as it is known (header first): ms per call and GFLOP/s per kernel, libtorch's ms, the ratio.
    public func run(emit: (String) -> Void) {
        let kernels = Self.kernels()
        let generator = Generator(seed: 5)
        emit("| in → out | rows | " + kernels.map { "\($0) ms (GFLOP/s)" }.joined(separator: " | ") + " | libtorch matmul ms | best / libtorch |")
        emit("|---|---|" + String(repeating: "---|", count: kernels.count + 2))
        for (input, output) in Self.shapes {
            let copies = Swift.max(1, poolMegabytes * 1_000_000 / (input * output * 4))
            let weights = (0..<copies).map { _ in Tensor.randn([output, input], generator: generator) }
            let transposed = weights.map { $0.transposed(0, 1) }
            for count in rows {
                let x = Tensor.randn([count, input], generator: generator)
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
                let reference = secondsPerCall(copies) { i in _ = withNoGrad { x.matmul(transposed[i]) } }
                emit("| \(input) → \(output) | \(count) | " + cells.joined(separator: " | ")
                     + String(format: " | %.3f | %.2f× faster |", reference * 1e3, reference / best))
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
