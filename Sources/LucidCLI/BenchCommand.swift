import ArgumentParser
import Foundation
import LucidBench
import LucidTensor

/// `lucid bench …`: performance measurements (never part of the test suite).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Lucid's performance against a reference measured on the same machine.",
        subcommands: [OpsBenchCommand.self, GenerateBenchCommand.self, LinearBenchCommand.self, BandwidthBenchCommand.self,
                      LlavaBenchCommand.self]
    )
}

/// `lucid bench ops`: matmul throughput and per-op overhead, optionally compared with PyTorch.
struct OpsBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "Matmul GFLOP/s and small-op overhead, with ratios against a PyTorch reference.",
        discussion: """
        Produce the reference with `scripts/bench_reference.py --json` (PyTorch from Python, same \
        thread settings) and pass it with --reference to print ratios; `make bench` does both.
        """
    )

    @Option(help: "Matrix sizes for the square f32 matmul.")
    var sizes: [Int] = [512, 1024, 2048]

    @Option(help: "Thread settings to measure, each INTRA:BLAS (libtorch intra-op threads : OpenBLAS threads).")
    var threads: [String] = ["1:1", "2:2", "1:2", "2:1"]

    @Option(help: "Minimum seconds spent per measurement.")
    var seconds: Double = 1.0

    @Option(help: "JSON written by scripts/bench_reference.py to compare against.")
    var reference: String?

    @Flag(help: "Print machine-readable JSON instead of a table.")
    var json = false

    func validate() throws {
        guard sizes.allSatisfy({ $0 > 0 && $0 <= 16384 }) else { throw ValidationError("--sizes must be in 1…16384") }
        for setting in threads where ThreadSetting(setting) == nil {
            throw ValidationError("--threads '\(setting)' is not INTRA:BLAS with two positive counts, e.g. 1:2")
        }
        guard seconds > 0 && seconds <= 600 else { throw ValidationError("--seconds must be in (0, 600]") }
    }

    func run() throws {
        let referenceResults = try reference.map { try OpsBenchmarkResults.load(path: $0) }
        let results = OpsBenchmark(sizes: sizes, minimumSeconds: seconds).run(settings: threads.compactMap(ThreadSetting.init)) { setting in
            if !json { FileHandle.standardError.write(Data("measured threads \(setting)\n".utf8)) }
        }
        print(json ? try results.jsonString() : results.table(reference: referenceResults))
    }
}
