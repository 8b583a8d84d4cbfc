import ArgumentParser
import Foundation
import LucidTensor

/// `lucid bench linear`: the few-row linear kernels on decoding's shapes, against libtorch's matmul.
struct LinearBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linear",
        abstract: "Few-row linear layers (beams, contrastive branches, OPERA's candidates): each micro-kernel against libtorch's matmul.",
        discussion: """
        For every shape (SmolLM2-135M's: 576→1536, 1536→576, 576→49152) and row count, times x·wᵀ through \
        Lucid's linear with each micro-kernel this CPU runs (SmallLinearKernel) and through libtorch's \
        matmul on the same inputs (OpenBLAS gemm), in one process. Weights cycle through a pool of about \
        --pool-mb MB so that, as in decoding, each call reads its weight from memory rather than cache. \
        Prints ms per call, GFLOP/s and the ratio to libtorch.
        """
    )

    @Option(help: "Row counts to measure.") var rows: [Int] = [2, 5, 10, 25]
    @Option(help: "Size of the weight pool in MB (larger than the last-level cache).") var poolMb = 256
    @Option(help: "Minimum seconds per measurement.") var seconds = 0.5

    func validate() throws {
        guard rows.allSatisfy({ (2...32).contains($0) }) else { throw ValidationError("--rows must be in 2…32 (the kernel's range)") }
        guard (16...4096).contains(poolMb) else { throw ValidationError("--pool-mb must be in 16…4096") }
        guard seconds > 0 && seconds <= 60 else { throw ValidationError("--seconds must be in (0, 60]") }
    }

    func run() throws {
        let shapes = [(576, 1536), (1536, 576), (576, 49152)]
        // The scalar fallback only where nothing vectorised runs (it is ~10× slower).
        let runnable = SmallLinearKernel.allCases.reversed().filter { SmallLinearKernel.force($0) == $0 }
        let kernels = runnable.count > 1 ? runnable.filter { $0 != .scalar } : runnable
        defer { SmallLinearKernel.force(nil) }
        let generator = Generator(seed: 5)
        print("| in → out | rows | " + kernels.map { "\($0) ms (GFLOP/s)" }.joined(separator: " | ") + " | libtorch matmul ms | best / libtorch |")
        print("|---|---|" + String(repeating: "---|", count: kernels.count + 2))
        for (input, output) in shapes {
            let copies = Swift.max(1, poolMb * 1_000_000 / (input * output * 4))
            let weights = (0..<copies).map { _ in Tensor.randn([output, input], generator: generator) }
            let transposed = weights.map { $0.transposed(0, 1) }
            for count in rows {
                let x = Tensor.randn([count, input], generator: generator)
                let flops = 2.0 * Double(count * input * output)
                var cells: [String] = []
                var best = Double.infinity
                for kernel in kernels {
                    SmallLinearKernel.force(kernel)
                    let time = secondsPerCall(copies) { i in _ = withNoGrad { x.linear(weight: weights[i]) } }
                    best = Swift.min(best, time)
                    cells.append(String(format: "%.3f (%.0f)", time * 1e3, flops / time / 1e9))
                }
                let reference = secondsPerCall(copies) { i in _ = withNoGrad { x.matmul(transposed[i]) } }
                print("| \(input) → \(output) | \(count) | " + cells.joined(separator: " | ")
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
