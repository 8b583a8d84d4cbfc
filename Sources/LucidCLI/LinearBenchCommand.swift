import ArgumentParser
import LucidBench

/// `lucid bench linear`: the few-row linear kernels on decoding's shapes, against libtorch's matmul.
struct LinearBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linear",
        abstract: "Few-row linear layers (beams, contrastive branches, OPERA's candidates): each micro-kernel against libtorch's matmul.",
        discussion: """
        For every shape (SmolLM2-135M's: 576→1536, 1536→576, 576→49152) and row count, times x·wᵀ through \
        Lucid's linear with each micro-kernel this CPU runs (SmallLinearKernel) and through libtorch's \
        matmul on the same inputs (MKL's gemm in the torch wheel), in one process. Weights cycle through a pool of about \
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
        LinearBenchmark(rows: rows, poolMegabytes: poolMb, seconds: seconds).run { print($0) }
    }
}
