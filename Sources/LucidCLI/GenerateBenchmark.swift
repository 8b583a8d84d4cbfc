import ArgumentParser
import Foundation
import LucidGeneration
import LucidModels
import LucidTensor

/// `lucid bench generate`: decode throughput of a Llama-family model, compared with transformers.
struct GenerateBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Greedy decode tokens/s, prefill tokens/s and peak RSS, with ratios against transformers.",
        discussion: """
        The reference (scripts/bench_generate_reference.py, run by `make bench`) tokenizes a chat \
        prompt, times transformers on the same libtorch, and records the prompt ids; Lucid replays \
        exactly those ids with EOS disabled, so both sides do the same work. Also reports the \
        memory-bandwidth bound: weight bytes read per token ÷ measured copy bandwidth.
        """
    )

    @Option(help: "Model: a GGUF file, a Hugging Face directory, or `smollm2`.")
    var model: String = "smollm2"

    @OptionGroup var runtime: ModelRuntimeOptions

    @Option(help: "JSON from scripts/bench_generate_reference.py (gives the prompt ids and the reference numbers).")
    var reference: String

    @Option(help: "New tokens to generate (default: the reference's).")
    var newTokens: Int?

    @Option(help: "Thread setting INTRA:BLAS (default: the reference's).")
    var threads: String?

    @Option(help: "Repetitions; the best is reported.")
    var repeats: Int = 2

    @Flag(help: "Print JSON.")
    var json = false

    struct Reference: Decodable {
        var threads: String
        var prompt_ids: [Int]
        var new_tokens: Int
        var tokens: [Int]
        var prefill_tokens_per_second: Double
        var decode_tokens_per_second: Double
        var peak_rss_bytes: Int
        /// The reference's model dtype (`f32` when absent, as the script wrote before it had one).
        var dtype: String?
    }

    func validate() throws {
        guard repeats >= 1 && repeats <= 100 else { throw ValidationError("--repeats must be in 1…100") }
        if let newTokens, newTokens < 2 { throw ValidationError("--new-tokens must be ≥ 2") }
        if let threads, ThreadSetting(threads) == nil { throw ValidationError("--threads must be INTRA:BLAS, e.g. 1:2") }
    }

    func run() throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: reference)) } catch {
            throw CLIError("cannot read reference '\(reference)': \(error.localizedDescription)")
        }
        let ref: Reference
        do { ref = try JSONDecoder().decode(Reference.self, from: data) } catch {
            throw CLIError("'\(reference)' is not bench_generate_reference.py output: \(error)")
        }
        guard let setting = ThreadSetting(threads ?? ref.threads) else { throw CLIError("bad thread setting '\(ref.threads)'") }
        Torch.configureThreads(intraOp: setting.intraOp, blas: setting.blas)
        let count = newTokens ?? ref.new_tokens
        let options = try runtime.loadOptions()
        let referenceDType = ref.dtype ?? "f32"
        guard DType(name: referenceDType) == options.dtype else {
            throw CLIError("the reference was measured in \(referenceDType) but Lucid would run in \(options.dtype): give --dtype \(referenceDType) or a reference of that dtype")
        }
        let llm = try LlamaForCausalLM.load(path: ModelPaths.resolve(model), options: options)
        let driver = GenerationDriver(model: llm)
        var best: GenerationStatistics?
        var tokens: [Int] = []
        _ = try driver.generate(.tokens(ref.prompt_ids), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 2))
        for _ in 0..<repeats {
            let result = try driver.generate(.tokens(ref.prompt_ids), strategy: .greedy, limits: GenerationLimits(maxNewTokens: count))
            tokens = result.tokens
            if best == nil || result.statistics.decodeSeconds < (best?.decodeSeconds ?? .infinity) { best = result.statistics }
        }
        guard let stats = best else { return }
        // Decode time covers count − 1 forward passes (the first token comes from the prefill logits).
        let decodeRate = Double(count - 1) / stats.decodeSeconds
        let weightBytes = DecodeTraffic.weightBytesPerToken(llm)
        // The limits, measured in this process with the decode's thread count, after decoding.
        let read = MemoryBandwidth.measureRead()
        let limit = read.bytesPerSecond / Double(weightBytes)
        let gemvBandwidth = MemoryBandwidth.measureGEMVReadBytesPerSecond(dtype: options.dtype)
        let gemvLimit = gemvBandwidth / Double(weightBytes)
        let sameTokens = tokens == Array(ref.tokens.prefix(tokens.count))
        let report: [String: Any] = [
            "prompt_tokens": ref.prompt_ids.count, "new_tokens": count, "threads": "\(setting.intraOp):\(setting.blas)",
            "lucid": ["decode_tokens_per_second": decodeRate, "prefill_tokens_per_second": stats.prefillTokensPerSecond,
                      "peak_rss_bytes": stats.peakRSSBytes],
            "transformers": ["decode_tokens_per_second": ref.decode_tokens_per_second,
                             "prefill_tokens_per_second": ref.prefill_tokens_per_second, "peak_rss_bytes": ref.peak_rss_bytes],
            "decode_ratio": decodeRate / ref.decode_tokens_per_second,
            "prefill_ratio": stats.prefillTokensPerSecond / ref.prefill_tokens_per_second,
            "dtype": options.dtype.description, "weight_bytes_per_token": weightBytes,
            "read_bandwidth_bytes_per_second": read.bytesPerSecond, "read_bandwidth_threads": read.threads,
            "read_limit_tokens_per_second": limit, "share_of_read_limit": decodeRate / limit,
            "gemv_read_bytes_per_second": gemvBandwidth, "gemv_limit_tokens_per_second": gemvLimit,
            "share_of_gemv_limit": decodeRate / gemvLimit,
            "same_tokens_as_reference": sameTokens,
        ]
        if json {
            let text = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: text, as: UTF8.self))
            return
        }
        func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
        print("""
        \(model == "smollm2" ? "SmolLM2" : model) greedy decode, \(options.dtype), batch 1: \(ref.prompt_ids.count)-token prompt, \(count) new tokens, threads \(setting.intraOp):\(setting.blas)

        | measure | lucid | transformers | ratio |
        |---|---|---|---|
        | decode tokens/s | \(f(decodeRate)) | \(f(ref.decode_tokens_per_second)) | \(f(decodeRate / ref.decode_tokens_per_second, 2)) |
        | prefill tokens/s | \(f(stats.prefillTokensPerSecond)) | \(f(ref.prefill_tokens_per_second)) | \(f(stats.prefillTokensPerSecond / ref.prefill_tokens_per_second, 2)) |
        | peak RSS MiB | \(f(Double(stats.peakRSSBytes) / 1_048_576, 0)) | \(f(Double(ref.peak_rss_bytes) / 1_048_576, 0)) | |

        weights read per token: \(f(Double(weightBytes) / 1_048_576, 0)) MiB
        read bandwidth (\(read.threads) thread\(read.threads == 1 ? "" : "s")) \(f(read.bytesPerSecond / 1e9, 2)) GB/s → limit \(f(limit)) tokens/s: Lucid decodes at \(f(100 * decodeRate / limit, 0))% of it, transformers at \(f(100 * ref.decode_tokens_per_second / limit, 0))%
        \(options.dtype) gemv reads \(f(gemvBandwidth / 1e9, 2)) GB/s → \(f(gemvLimit)) tokens/s (Lucid at \(f(100 * decodeRate / gemvLimit, 0))%)
        same tokens as the reference: \(sameTokens)
        """)
    }
}
