import Foundation
import LucidModels
import LucidTensor

/// Memory bandwidth measurements that bound batch-1 decoding: every new token reads every weight
/// the forward pass uses once, so tokens/s can never exceed bandwidth ÷ weight bytes per token.
public enum MemoryBandwidth {
    /// One read-bandwidth measurement.
    public struct ReadMeasurement: Codable, Equatable, Sendable {
        /// libtorch intra-op threads it ran with.
        public var threads: Int
        /// Bytes read per pass (the buffer's size).
        public var bytes: Int
        /// Passes timed (after one untimed warm-up pass).
        public var repeats: Int
        public var bestSeconds: Double
        public var medianSeconds: Double

        /// Bytes per second of the best pass: the limit decoding is compared with.
        public var bytesPerSecond: Double { Double(bytes) / bestSeconds }
        public var medianBytesPerSecond: Double { Double(bytes) / medianSeconds }

        enum CodingKeys: String, CodingKey {
            case threads, bytes, repeats, bestSeconds = "best_seconds", medianSeconds = "median_seconds"
        }
    }

    /// The default buffer: 512 MiB, 16× this machine's 32 MiB L3 (and far beyond any current
    /// CPU's last-level cache per core), so every pass streams from memory.
    public static let defaultBytes = 512 << 20

    /// The buffer on a GPU: 2 GiB, far beyond its L2 and long enough that a launch is noise.
    public static let deviceBytes = 2 << 30

    /// Reads a `bytes`-long f32 buffer with libtorch's sum (a vectorised, multithreaded pure read:
    /// one load per element, no stores) on the current intra-op threads; best and median of `repeats`
    /// passes after a warm-up. This is the read stream batch-1 decoding does over its weights. On a
    /// GPU (`device`) the buffer lives there and each pass ends by reading the sum on the host.
    public static func measureRead(bytes: Int = defaultBytes, repeats: Int = 10, device: Device = .cpu) -> ReadMeasurement {
        let buffer = Tensor.ones([max(1, bytes / 4)], device: device)
        _ = buffer.sum().item()
        var times: [Double] = []
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = buffer.sum().item()
            times.append(secondsSince(start))
        }
        times.sort()
        return ReadMeasurement(threads: Torch.threads, bytes: buffer.count * 4, repeats: times.count,
                               bestSeconds: times[0], medianSeconds: times[times.count / 2])
    }

    /// `measureRead` once per intra-op thread count, each with that many libtorch threads.
    public static func measureRead(threadCounts: [Int], bytes: Int = defaultBytes, repeats: Int = 10) -> [ReadMeasurement] {
        threadCounts.map { count in
            Torch.configureThreads(intraOp: count)
            return measureRead(bytes: bytes, repeats: repeats)
        }
    }

    /// Bytes of large matrices read per second by matrix-vector multiplication in `dtype` (the
    /// kernel a single decoding row uses): the ceiling of decoding as libtorch's kernels reach it.
    /// Uses four [49152, 576] matrices (SmolLM2's head shape, 432 MiB in f32, far beyond cache) in turn.
    public static func measureGEMVReadBytesPerSecond(dtype: DType = .f32) -> Double {
        let matrices = (0..<4).map { _ in Tensor.ones([49152, 576], dtype: dtype) }
        let vector = Tensor.ones([576], dtype: dtype)
        let bytes = matrices.reduce(0) { $0 + $1.count * dtype.byteSize }
        for m in matrices { _ = m.matmul(vector) }
        var best = Double.infinity
        for _ in 0..<10 {
            let start = DispatchTime.now().uptimeNanoseconds
            for m in matrices { _ = m.matmul(vector) }
            best = Swift.min(best, secondsSince(start))
        }
        return Double(bytes) / best
    }

    /// `{"measurements": [{threads, bytes, repeats, best_seconds, median_seconds,
    /// read_bytes_per_second, median_read_bytes_per_second}, …]}` (`lucid bench bandwidth --json`).
    public static func json(_ results: [ReadMeasurement]) throws -> String {
        let rows: [[String: Any]] = results.map {
            ["threads": $0.threads, "bytes": $0.bytes, "repeats": $0.repeats, "best_seconds": $0.bestSeconds,
             "median_seconds": $0.medianSeconds, "read_bytes_per_second": $0.bytesPerSecond,
             "median_read_bytes_per_second": $0.medianBytesPerSecond]
        }
        return try sortedJSON(["measurements": rows])
    }

    /// A Markdown table, a row per measurement (`lucid bench bandwidth`).
    public static func table(_ results: [ReadMeasurement]) -> String {
        var lines = ["Memory read bandwidth (libtorch sum over an f32 buffer, best and median of the passes)", "",
                     "| threads | buffer MiB | best GB/s | median GB/s |", "|---|---|---|---|"]
        for r in results {
            lines.append("| \(r.threads) | \(r.bytes >> 20) | \(fixed(r.bytesPerSecond / 1e9, 2)) | \(fixed(r.medianBytesPerSecond / 1e9, 2)) |")
        }
        return lines.joined(separator: "\n")
    }
}

/// What one decoded token reads.
public enum DecodeTraffic {
    /// Weight bytes a batch-1 decode step of `model` reads: every parameter of the language model,
    /// except that an untied input embedding contributes only the one row it looks up (a tied one is
    /// read whole as the output projection). Norm weights and biases are included; the KV cache is not.
    public static func weightBytesPerToken(_ model: LlamaForCausalLM) -> Int {
        let all = model.namedParameters().reduce(0) { $0 + $1.parameter.value.count * $1.parameter.value.dtype.byteSize }
        guard model.lmHead != nil else { return all }
        let embedding = model.model.embedTokens.weight.value
        return all - embedding.count * embedding.dtype.byteSize + embedding.size(1) * embedding.dtype.byteSize
    }
}
