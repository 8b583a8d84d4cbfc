import ArgumentParser
import LucidBench
import LucidTensor

/// `lucid bench linear`: the few-row linear kernels on decoding's shapes, against libtorch.
struct LinearBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linear",
        abstract: "Few-row linear layers (beams, contrastive branches, OPERA's candidates): each micro-kernel against libtorch.",
        discussion: """
        For every shape of --shapes (smollm2: 576→1536, 1536→576, 576→49152; llama-7b: 4096→4096, \
        4096→11008, 11008→4096, 4096→32000) and row count, times x·wᵀ through Lucid's linear with each \
        micro-kernel this CPU runs (SmallLinearKernel) and through libtorch on the same inputs, in one \
        process: in f32 libtorch's matmul (MKL's gemm in the torch wheel), in bf16 libtorch's linear \
        (oneDNN), which is what Lucid falls back to where no kernel of its own applies. Weights cycle \
        through a pool of about --pool-mb MB so that, as in decoding, each call reads its weight from \
        memory rather than cache. Prints ms per call, GFLOP/s and the ratio to libtorch.
        """
    )

    enum Precision: String, ExpressibleByArgument, CaseIterable {
        case f32, bf16
        var dtype: DType { self == .bf16 ? .bf16 : .f32 }
    }

    @Option(help: "Row counts to measure (f32: 2…32; bf16: 1…31).") var rows: [Int] = [2, 5, 10, 25]
    @Option(help: "Element type of inputs and weights: f32 or bf16.") var dtype: Precision = .f32
    @Option(help: ArgumentHelp("Whose layer shapes: smollm2 or llama-7b (also LLaVA-1.5-7B's language model).", valueName: "smollm2|llama-7b"),
            transform: { name in
                guard let shapes = LinearBenchmark.Shapes(rawValue: name) else {
                    throw ValidationError("--shapes must be one of \(LinearBenchmark.Shapes.allCases.map(\.rawValue).joined(separator: ", ")), not \(name)")
                }
                return shapes
            })
    var shapes: LinearBenchmark.Shapes = .smollm2
    @Option(help: "Size of the weight pool in MB (larger than the last-level cache).") var poolMb = 256
    @Option(help: "Minimum seconds per measurement.") var seconds = 0.5

    func validate() throws {
        // bf16 stops below 32 rows: from 32 rows the shim's own widened product would stand in for libtorch's.
        let range = dtype == .bf16 ? 1...31 : 2...32
        guard rows.allSatisfy({ range.contains($0) }) else {
            throw ValidationError("--rows must be in \(range.lowerBound)…\(range.upperBound) for \(dtype.rawValue)")
        }
        guard (16...4096).contains(poolMb) else { throw ValidationError("--pool-mb must be in 16…4096") }
        guard seconds > 0 && seconds <= 60 else { throw ValidationError("--seconds must be in (0, 60]") }
    }

    func run() throws {
        LinearBenchmark(rows: rows, poolMegabytes: poolMb, seconds: seconds, dtype: dtype.dtype, shapes: shapes).run { print($0) }
    }
}
