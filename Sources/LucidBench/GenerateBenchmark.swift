import Foundation
import LucidGeneration
import LucidModels
import LucidTensor

/// Greedy decode of a Llama-family model on the prompt ids a transformers reference recorded
/// (`scripts/bench_generate_reference.py`), EOS disabled so both sides do the same work, with the
/// memory-bandwidth bounds measured in the same process after decoding.
public enum GenerateBenchmark {
    /// What `scripts/bench_generate_reference.py` writes.
    public struct Reference: Decodable, Sendable {
        /// `INTRA:BLAS`.
        public var threads: String
        public var promptIDs: [Int]
        public var newTokens: Int
        public var tokens: [Int]
        public var prefillTokensPerSecond: Double
        public var decodeTokensPerSecond: Double
        public var peakRSSBytes: Int
        /// The reference's model dtype (`f32` when absent, as the script wrote before it had one).
        public var dtype: String?

        enum CodingKeys: String, CodingKey {
            case threads, promptIDs = "prompt_ids", newTokens = "new_tokens", tokens, dtype
            case prefillTokensPerSecond = "prefill_tokens_per_second", decodeTokensPerSecond = "decode_tokens_per_second"
            case peakRSSBytes = "peak_rss_bytes"
        }

        public static func load(path: String) throws(BenchError) -> Reference {
            try loadReference(Reference.self, path: path, script: "bench_generate_reference.py")
        }

        /// Refuses to compare with a reference measured in another dtype than `dtype`.
        public func check(dtype: DType) throws(BenchError) {
            let measured = self.dtype ?? "f32"
            guard DType(name: measured) == dtype else { throw .dtypeMismatch(reference: measured, lucid: dtype.description) }
        }
    }

    /// Decodes `newTokens` greedily from the reference's prompt `repeats` times (after a 2-token warm-up)
    /// and keeps the fastest decode; then measures read and gemv bandwidth on the current threads.
    public static func run(_ model: LlamaForCausalLM, reference: Reference, newTokens: Int, repeats: Int, dtype: DType,
                           threads: ThreadSetting) throws -> GenerateBenchReport {
        let driver = GenerationDriver(model: model)
        var best: GenerationStatistics?
        var tokens: [Int] = []
        _ = try driver.generate(.tokens(reference.promptIDs), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 2))
        for _ in 0..<max(1, repeats) {
            let result = try driver.generate(.tokens(reference.promptIDs), strategy: .greedy, limits: GenerationLimits(maxNewTokens: newTokens))
            tokens = result.tokens
            if best == nil || result.statistics.decodeSeconds < (best?.decodeSeconds ?? .infinity) { best = result.statistics }
        }
        let stats = best ?? GenerationStatistics()
        return GenerateBenchReport(
            reference: reference, newTokens: newTokens, threads: threads, dtype: dtype,
            // Decode time covers count − 1 forward passes (the first token comes from the prefill logits).
            decodeTokensPerSecond: Double(newTokens - 1) / stats.decodeSeconds,
            decodeThreadCPUSecondsPerToken: stats.decodeThreadCPUSeconds / Double(max(1, newTokens - 1)),
            prefillTokensPerSecond: stats.prefillTokensPerSecond, peakRSSBytes: stats.peakRSSBytes,
            weightBytesPerToken: DecodeTraffic.weightBytesPerToken(model),
            // The limits, measured in this process with the decode's thread count, after decoding.
            read: MemoryBandwidth.measureRead(), gemvBytesPerSecond: MemoryBandwidth.measureGEMVReadBytesPerSecond(dtype: dtype),
            firstDifference: zip(tokens, reference.tokens).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? (reference.tokens.count < tokens.count ? reference.tokens.count : nil))
    }
}

/// One `lucid bench generate` measurement beside its transformers reference.
public struct GenerateBenchReport: Sendable {
    public var reference: GenerateBenchmark.Reference
    public var newTokens: Int
    public var threads: ThreadSetting
    public var dtype: DType
    public var decodeTokensPerSecond: Double
    /// CPU seconds per decoded token of the decoding thread, in the fastest repeat: on a busy machine,
    /// where wall-clock tok/s also counts waiting for a core, this is the comparable figure (with one
    /// intra-op thread it covers all of the decode's work).
    public var decodeThreadCPUSecondsPerToken: Double
    public var prefillTokensPerSecond: Double
    public var peakRSSBytes: Int
    public var weightBytesPerToken: Int
    public var read: MemoryBandwidth.ReadMeasurement
    public var gemvBytesPerSecond: Double
    /// The first new token (0-based) where Lucid's greedy tokens leave the reference's; nil: the same.
    public var firstDifference: Int?
    /// Lucid's tokens equal the reference's first tokens.
    public var sameTokens: Bool { firstDifference == nil }

    /// Read bandwidth ÷ weight bytes per token.
    public var readLimit: Double { read.bytesPerSecond / Double(weightBytesPerToken) }
    /// Gemv bandwidth ÷ weight bytes per token.
    public var gemvLimit: Double { gemvBytesPerSecond / Double(weightBytesPerToken) }

    /// The `--json` object (keys sorted).
    public func jsonString() throws -> String {
        let decodeRate = decodeTokensPerSecond
        let object: [String: Any] = [
            "prompt_tokens": reference.promptIDs.count, "new_tokens": newTokens, "threads": threads.description,
            "lucid": ["decode_tokens_per_second": decodeRate, "prefill_tokens_per_second": prefillTokensPerSecond,
                      "peak_rss_bytes": peakRSSBytes, "decode_thread_cpu_seconds_per_token": decodeThreadCPUSecondsPerToken],
            "transformers": ["decode_tokens_per_second": reference.decodeTokensPerSecond,
                             "prefill_tokens_per_second": reference.prefillTokensPerSecond, "peak_rss_bytes": reference.peakRSSBytes],
            "decode_ratio": decodeRate / reference.decodeTokensPerSecond,
            "prefill_ratio": prefillTokensPerSecond / reference.prefillTokensPerSecond,
            "dtype": dtype.description, "weight_bytes_per_token": weightBytesPerToken,
            "read_bandwidth_bytes_per_second": read.bytesPerSecond, "read_bandwidth_threads": read.threads,
            "read_limit_tokens_per_second": readLimit, "share_of_read_limit": decodeRate / readLimit,
            "gemv_read_bytes_per_second": gemvBytesPerSecond, "gemv_limit_tokens_per_second": gemvLimit,
            "share_of_gemv_limit": decodeRate / gemvLimit,
            "same_tokens_as_reference": sameTokens, "first_token_difference": firstDifference.map { $0 as Any } ?? NSNull(),
        ]
        return try sortedJSON(object)
    }

    /// The Markdown report; `model` is the name given on the command line (`smollm2` reads SmolLM2).
    public func table(model: String) -> String {
        let (decodeRate, ref) = (decodeTokensPerSecond, reference)
        let f = fixed
        return """
        \(model == "smollm2" ? "SmolLM2" : model) greedy decode, \(dtype), batch 1: \(ref.promptIDs.count)-token prompt, \(newTokens) new tokens, threads \(threads)

        | measure | lucid | transformers | ratio |
        |---|---|---|---|
        | decode tokens/s | \(f(decodeRate, 1)) | \(f(ref.decodeTokensPerSecond, 1)) | \(f(decodeRate / ref.decodeTokensPerSecond, 2)) |
        | prefill tokens/s | \(f(prefillTokensPerSecond, 1)) | \(f(ref.prefillTokensPerSecond, 1)) | \(f(prefillTokensPerSecond / ref.prefillTokensPerSecond, 2)) |
        | peak RSS MiB | \(f(Double(peakRSSBytes) / 1_048_576, 0)) | \(f(Double(ref.peakRSSBytes) / 1_048_576, 0)) | |

        decode CPU time (decoding thread): \(f(1000 * decodeThreadCPUSecondsPerToken, 2)) ms per token\(decodeThreadCPUSecondsPerToken > 0 ? " = \(f(1 / decodeThreadCPUSecondsPerToken, 1)) tokens/s of CPU" : "")
        weights read per token: \(f(Double(weightBytesPerToken) / 1_048_576, 0)) MiB
        read bandwidth (\(read.threads) thread\(read.threads == 1 ? "" : "s")) \(f(read.bytesPerSecond / 1e9, 2)) GB/s → limit \(f(readLimit, 1)) tokens/s: Lucid decodes at \(f(100 * decodeRate / readLimit, 0))% of it, transformers at \(f(100 * ref.decodeTokensPerSecond / readLimit, 0))%
        \(dtype) gemv reads \(f(gemvBytesPerSecond / 1e9, 2)) GB/s → \(f(gemvLimit, 1)) tokens/s (Lucid at \(f(100 * decodeRate / gemvLimit, 0))%)
        same tokens as the reference: \(firstDifference.map { "false (from new token \($0 + 1) of \(newTokens))" } ?? "true")
        """
    }
}
