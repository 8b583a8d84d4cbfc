import Foundation
import LucidTensor

/// Measures square f32 matmul throughput and the per-call overhead of a tiny elementwise op.
///
/// The same protocol is implemented in `scripts/bench_reference.py` for PyTorch from Python:
/// warm up, then repeat until `minimumSeconds` have passed, and report the best of 3 such rounds.
struct OpsBenchmark {
    var sizes: [Int]
    var minimumSeconds: Double

    func run(threads: Int, blasThreads: Int) -> OpsBenchmarkResults.Config {
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

/// The best of `rounds` mean seconds per call of `body`, each round calling it for at least
/// `roundSeconds`, after `warmUp` seconds of untimed calls (`bench` and `bench linear`).
func bestMeanSeconds(rounds: Int = 3, warmUp: Double, roundSeconds: Double, _ body: () -> Void) -> Double {
    func elapsed(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
    let warmStart = DispatchTime.now().uptimeNanoseconds
    repeat { body() } while elapsed(since: warmStart) < warmUp
    var best = Double.infinity
    for _ in 0..<rounds {
        var (calls, seconds) = (0, 0.0)
        let start = DispatchTime.now().uptimeNanoseconds
        repeat {
            body()
            calls += 1
            seconds = elapsed(since: start)
        } while seconds < roundSeconds
        best = min(best, seconds / Double(calls))
    }
    return best
}

/// Benchmark results in the JSON shape shared with `scripts/bench_reference.py`.
struct OpsBenchmarkResults: Codable {
    struct Config: Codable {
        var threads: Int
        var blasThreads: Int
        var matmulGFLOPS: [String: Double]
        var smallAddMicroseconds: Double
        /// libtorch's own time for the same add, looped in C++ (the floor under both bindings).
        var nativeAddMicroseconds: Double?

        enum CodingKeys: String, CodingKey {
            case threads, blasThreads = "blas_threads", matmulGFLOPS = "matmul_gflops"
            case smallAddMicroseconds = "small_add_us", nativeAddMicroseconds = "native_add_us"
        }
    }

    var implementation: String
    var torch: String
    var blas: String
    var configs: [Config]

    static func load(path: String) throws -> OpsBenchmarkResults {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CLIError("cannot read reference '\(path)': \(error.localizedDescription)")
        }
        do { return try JSONDecoder().decode(OpsBenchmarkResults.self, from: data) } catch {
            throw CLIError("reference '\(path)' is not bench_reference.py output: \(error)")
        }
    }

    func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A Markdown table; with a reference, ratios are Lucid ÷ reference for GFLOP/s and
    /// reference ÷ Lucid for overhead (so > 1 always means Lucid is faster).
    func table(reference: OpsBenchmarkResults?) -> String {
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
                var row = "| \(label) | matmul \(size)² GFLOP/s | \(format(mine)) |"
                if reference != nil {
                    if let theirs = other?.matmulGFLOPS[size] {
                        row += " \(format(theirs)) | \(format(mine / theirs, digits: 2)) |"
                    } else { row += " – | – |" }
                }
                lines.append(row)
            }
            var row = "| \(label) | add of 16 floats, µs/op | \(format(config.smallAddMicroseconds, digits: 2)) |"
            if reference != nil {
                if let theirs = other?.smallAddMicroseconds {
                    row += " \(format(theirs, digits: 2)) | \(format(theirs / config.smallAddMicroseconds, digits: 2)) |"
                } else { row += " – | – |" }
            }
            lines.append(row)
            if let native = config.nativeAddMicroseconds {
                lines.append("| \(label) | same add looped inside libtorch (C++), µs/op | \(format(native, digits: 2)) |"
                             + (reference != nil ? " – | – |" : ""))
                let mine = config.smallAddMicroseconds - native
                var overhead = "| \(label) | binding overhead above libtorch, µs/op | \(format(mine, digits: 2)) |"
                if reference != nil {
                    if let theirs = other?.smallAddMicroseconds {
                        overhead += " \(format(theirs - native, digits: 2)) | \(format((theirs - native) / max(mine, 1e-9), digits: 1)) |"
                    } else { overhead += " – | – |" }
                }
                lines.append(overhead)
            }
        }
        return lines.joined(separator: "\n")
    }

    private func format(_ value: Double, digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
}
