import Foundation
import LucidTensor

/// Measures square f32 matmul throughput and the per-call overhead of a tiny elementwise op.
///
/// The same protocol is implemented in `scripts/bench_reference.py` for PyTorch from Python:
/// warm up, then repeat until `minimumSeconds` have passed, and report the best of 3 such rounds.
public struct OpsBenchmark: Sendable {
    public var sizes: [Int]
    public var minimumSeconds: Double

    public init(sizes: [Int], minimumSeconds: Double) {
        self.sizes = sizes
        self.minimumSeconds = minimumSeconds
    }

    /// Every thread setting in turn (applied before its measurement); `progress` is called after each.
    public func run(settings: [ThreadSetting], progress: (ThreadSetting) -> Void = { _ in }) -> OpsBenchmarkResults {
        var results = OpsBenchmarkResults(implementation: "lucid", torch: Torch.version, blas: Torch.blasLibrary, configs: [])
        for setting in settings {
            setting.apply()
            results.configs.append(run(threads: setting.intraOp, blasThreads: setting.blas))
            progress(setting)
        }
        return results
    }

    /// One measurement on the threads already configured (`threads`, `blasThreads` are recorded).
    public func run(threads: Int, blasThreads: Int) -> OpsBenchmarkResults.Config {
        var matmul: [String: Double] = [:]
        for n in sizes {
            let a = Tensor.randn([n, n], generator: Generator(seed: 1))
            let b = Tensor.randn([n, n], generator: Generator(seed: 2))
            let seconds = bestSecondsPerCall { _ = a.matmul(b) }
            matmul[String(n)] = 2.0 * Double(n) * Double(n) * Double(n) / seconds / 1e9
        }
        let x = Tensor.ones([16])
        let y = Tensor.ones([16])
        let add = bestSecondsPerCall { _ = x + y }
        var native = Double.infinity
        for _ in 0..<3 { native = min(native, NativeTiming.addSecondsPerCall(x, y, iterations: 200_000)) }
        return .init(threads: threads, blasThreads: blasThreads, matmulGFLOPS: matmul, smallAddMicroseconds: add * 1e6,
                     nativeAddMicroseconds: native * 1e6)
    }

    /// Best mean seconds per call over 3 rounds of at least `minimumSeconds / 3` each, after 0.2 s of
    /// warm-up so thread pools are spun up before timing.
    func bestSecondsPerCall(_ body: () -> Void) -> Double {
        bestMeanSeconds(warmUp: 0.2, roundSeconds: minimumSeconds / 3, body)
    }
}

/// Benchmark results in the JSON shape shared with `scripts/bench_reference.py`.
public struct OpsBenchmarkResults: Codable, Sendable {
    public struct Config: Codable, Sendable {
        public var threads: Int
        public var blasThreads: Int
        public var matmulGFLOPS: [String: Double]
        public var smallAddMicroseconds: Double
        /// libtorch's own time for the same add, looped in C++ (the floor under both bindings).
        public var nativeAddMicroseconds: Double?

        enum CodingKeys: String, CodingKey {
            case threads, blasThreads = "blas_threads", matmulGFLOPS = "matmul_gflops"
            case smallAddMicroseconds = "small_add_us", nativeAddMicroseconds = "native_add_us"
        }

        public init(threads: Int, blasThreads: Int, matmulGFLOPS: [String: Double], smallAddMicroseconds: Double,
                    nativeAddMicroseconds: Double? = nil) {
            (self.threads, self.blasThreads, self.matmulGFLOPS) = (threads, blasThreads, matmulGFLOPS)
            (self.smallAddMicroseconds, self.nativeAddMicroseconds) = (smallAddMicroseconds, nativeAddMicroseconds)
        }
    }

    public var implementation: String
    public var torch: String
    public var blas: String
    public var configs: [Config]

    public init(implementation: String, torch: String, blas: String, configs: [Config]) {
        (self.implementation, self.torch, self.blas, self.configs) = (implementation, torch, blas, configs)
    }

    /// A reference written by `scripts/bench_reference.py --json`.
    public static func load(path: String) throws(BenchError) -> OpsBenchmarkResults {
        try loadReference(OpsBenchmarkResults.self, path: path, script: "bench_reference.py")
    }

    public func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A Markdown table; with a reference, ratios are Lucid ÷ reference for GFLOP/s and
    /// reference ÷ Lucid for overhead (so > 1 always means Lucid is faster).
    public func table(reference: OpsBenchmarkResults?) -> String {
        var lines = ["libtorch \(torch), BLAS \(blas)"]
        if let reference { lines.append("reference: \(reference.implementation) (torch \(reference.torch), BLAS \(reference.blas))") }
        lines.append("")
        lines.append(reference == nil
                     ? "| threads | measure | lucid |"
                     : "| threads | measure | lucid | reference | speed ratio (>1: lucid faster) |")
        lines.append(reference == nil ? "|---|---|---|" : "|---|---|---|---|---|")
        for config in configs {
            // A reference whose BLAS threads cannot be set (−1: MKL inside the torch wheel, no OpenBLAS)
            // matches on intra-op threads alone, its first such config.
            let other = reference?.configs.first { $0.threads == config.threads && ($0.blasThreads == config.blasThreads || $0.blasThreads < 0) }
            let label = "\(config.threads) (BLAS \(config.blasThreads))"
            for size in config.matmulGFLOPS.keys.sorted(by: { (Int($0) ?? 0) < (Int($1) ?? 0) }) {
                let mine = config.matmulGFLOPS[size] ?? 0
                var row = "| \(label) | matmul \(size)² GFLOP/s | \(fixed(mine)) |"
                if reference != nil {
                    if let theirs = other?.matmulGFLOPS[size] {
                        row += " \(fixed(theirs)) | \(fixed(mine / theirs, 2)) |"
                    } else { row += " – | – |" }
                }
                lines.append(row)
            }
            var row = "| \(label) | add of 16 floats, µs/op | \(fixed(config.smallAddMicroseconds, 2)) |"
            if reference != nil {
                if let theirs = other?.smallAddMicroseconds {
                    row += " \(fixed(theirs, 2)) | \(fixed(theirs / config.smallAddMicroseconds, 2)) |"
                } else { row += " – | – |" }
            }
            lines.append(row)
            if let native = config.nativeAddMicroseconds {
                lines.append("| \(label) | same add looped inside libtorch (C++), µs/op | \(fixed(native, 2)) |"
                             + (reference != nil ? " – | – |" : ""))
                let mine = config.smallAddMicroseconds - native
                var overhead = "| \(label) | binding overhead above libtorch, µs/op | \(fixed(mine, 2)) |"
                if reference != nil {
                    if let theirs = other?.smallAddMicroseconds {
                        overhead += " \(fixed(theirs - native, 2)) | \(fixed((theirs - native) / max(mine, 1e-9), 1)) |"
                    } else { overhead += " – | – |" }
                }
                lines.append(overhead)
            }
        }
        return lines.joined(separator: "\n")
    }
}
