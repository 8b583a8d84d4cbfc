import ArgumentParser
import Foundation
import LucidGeneration
import LucidModels
import LucidTensor

/// `lucid bench llava`: load time, peak RSS, image-prompt prefill and decode of a LLaVA-1.5
/// checkpoint (the synthetic 7B shape), compared with transformers measured on the same inputs.
struct LlavaBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llava",
        abstract: "LLaVA-1.5 load time, peak RSS, image-prompt prefill and decode tokens/s against transformers.",
        discussion: """
        scripts/bench_llava_reference.py writes the inputs (input_ids with 576 image placeholders and \
        pixel_values, in a safetensors file) and times transformers on them; this command replays the \
        same inputs: load (the directory opened plus one read of every weight, so both sides start the \
        timed prefill with resident weights), prefill (vision tower, projector and the language model \
        over the whole prompt), greedy decode with EOS disabled, then the machine's read bandwidth with \
        the same threads, and prints both sides with ratios. `make bench` runs it on the synthetic \
        LLaVA-1.5-7B-shaped checkpoint (scripts/bench.sh).
        """
    )

    @Option(help: "A llava-hf checkpoint directory.")
    var model: String

    @OptionGroup var runtime: ModelRuntimeOptions

    @Option(help: "safetensors with input_ids [1, T] (int64) and pixel_values [1, 3, S, S] (f32), from the reference script.")
    var inputs: String

    @Option(help: "JSON from scripts/bench_llava_reference.py.")
    var reference: String

    @Option(help: "New tokens (default: the reference's).")
    var newTokens: Int?

    @Option(help: "libtorch intra-op threads (default: the reference's).")
    var threads: Int?

    @Flag(help: "Print JSON.")
    var json = false

    struct Reference: Decodable {
        var threads: Int
        var dtype: String
        var prompt_tokens: Int
        var new_tokens: Int
        var tokens: [Int]
        var load_seconds: Double
        var prefill_seconds: Double
        var decode_tokens_per_second: Double
        var weight_bytes: Int
        var peak_rss_bytes: Int
    }

    func validate() throws {
        if let newTokens, !(2...4096).contains(newTokens) { throw ValidationError("--new-tokens must be in 2…4096 (got \(newTokens))") }
        if let threads, !(1...1024).contains(threads) { throw ValidationError("--threads must be in 1…1024 (got \(threads))") }
    }

    func run() throws {
        let ref: Reference
        do { ref = try JSONDecoder().decode(Reference.self, from: try Data(contentsOf: URL(fileURLWithPath: reference))) } catch {
            throw CLIError("'\(reference)' is not readable bench_llava_reference.py output: \(error)")
        }
        let options = try runtime.loadOptions()
        guard DType(name: ref.dtype) == options.dtype else {
            throw CLIError("the reference was measured in \(ref.dtype) but Lucid would run in \(options.dtype): give --dtype \(ref.dtype) or a reference of that dtype")
        }
        let threadCount = threads ?? ref.threads
        Torch.configureThreads(intraOp: threadCount)
        let count = newTokens ?? ref.new_tokens
        let (ids, pixels) = try Self.readInputs(inputs)

        let loadStart = DispatchTime.now().uptimeNanoseconds
        let llava = try LlavaForConditionalGeneration.load(directory: model, options: options)
        withNoGrad { for (_, parameter) in llava.namedParameters() { _ = parameter.value.sum() } }
        let loadSeconds = Self.seconds(since: loadStart)

        let (result, embedSeconds) = try withNoGrad { () throws -> (GenerationResult, Double) in
            let start = DispatchTime.now().uptimeNanoseconds
            let embeddings = try llava.embed(try llava.segments(ids: ids, images: [pixels]))
            let embedSeconds = Self.seconds(since: start)
            let result = try GenerationDriver(model: llava).generate(.embeddings(embeddings), strategy: .greedy,
                                                                      limits: GenerationLimits(maxNewTokens: count))
            return (result, embedSeconds)
        }
        let stats = result.statistics
        let prefillSeconds = embedSeconds + stats.prefillSeconds
        let decodeRate = Double(count - 1) / stats.decodeSeconds
        let weightBytes = llava.namedParameters().reduce(0) { $0 + $1.parameter.value.count * $1.parameter.value.dtype.byteSize }
        let perToken = DecodeTraffic.weightBytesPerToken(llava.languageModel)
        let read = MemoryBandwidth.measureRead()
        let limit = read.bytesPerSecond / Double(perToken)
        let report = LlavaBenchReport(
            promptTokens: ids.count, newTokens: count, threads: threadCount, dtype: options.dtype.description,
            weightBytes: weightBytes, decodeWeightBytesPerToken: perToken, readBytesPerSecond: read.bytesPerSecond,
            lucid: .init(loadSeconds: loadSeconds, prefillSeconds: prefillSeconds, decodeTokensPerSecond: decodeRate,
                         peakRSSBytes: stats.peakRSSBytes),
            transformers: .init(loadSeconds: ref.load_seconds, prefillSeconds: ref.prefill_seconds,
                                decodeTokensPerSecond: ref.decode_tokens_per_second, peakRSSBytes: ref.peak_rss_bytes),
            sameTokens: result.tokens == ref.tokens, decodeLimitTokensPerSecond: limit, lucidImageSeconds: embedSeconds)
        print(json ? try report.jsonString() : report.table(model: model))
    }

    static func seconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    /// input_ids as Swift ints and pixel_values [1, 3, S, S] from the reference's inputs file.
    static func readInputs(_ path: String) throws -> ([Int], Tensor) {
        let file = try SafetensorsCheckpoint(path: path)
        let ids = try file.tensor(named: "input_ids")
        let pixels = try file.tensor(named: "pixel_values")
        guard ids.shape.count == 2, ids.shape[0] == 1, ids.shape[1] >= 1 else {
            throw CLIError("\(path): input_ids must have shape [1, T] (got \(ids.shape))")
        }
        guard pixels.shape.count == 4, pixels.shape[0] == 1, pixels.shape[1] == 3 else {
            throw CLIError("\(path): pixel_values must have shape [1, 3, S, S] (got \(pixels.shape))")
        }
        return (ids.to(.i64).toArray(Int.self), pixels.to(.f32))
    }
}

/// Both sides of one `lucid bench llava` measurement.
struct LlavaBenchReport: Equatable {
    struct Side: Equatable {
        var loadSeconds: Double
        var prefillSeconds: Double
        var decodeTokensPerSecond: Double
        var peakRSSBytes: Int
    }

    var promptTokens: Int
    var newTokens: Int
    var threads: Int
    var dtype: String
    /// Every parameter's bytes in the model dtype (vision tower included).
    var weightBytes: Int
    var decodeWeightBytesPerToken: Int
    var readBytesPerSecond: Double
    var lucid: Side
    var transformers: Side
    var sameTokens: Bool
    var decodeLimitTokensPerSecond: Double
    /// Lucid's prefill share spent on the image (vision tower, projector, splicing); the rest is the language model.
    var lucidImageSeconds: Double

    var decodeRatio: Double { lucid.decodeTokensPerSecond / transformers.decodeTokensPerSecond }
    /// transformers' prefill time ÷ Lucid's: > 1 when Lucid is faster.
    var prefillRatio: Double { transformers.prefillSeconds / lucid.prefillSeconds }

    func jsonString() throws -> String {
        func side(_ s: Side) -> [String: Any] {
            ["load_seconds": s.loadSeconds, "prefill_seconds": s.prefillSeconds, "decode_tokens_per_second": s.decodeTokensPerSecond,
             "peak_rss_bytes": s.peakRSSBytes, "peak_rss_over_weight_bytes": Double(s.peakRSSBytes) / Double(weightBytes),
             "share_of_read_limit": s.decodeTokensPerSecond / decodeLimitTokensPerSecond]
        }
        let object: [String: Any] = [
            "prompt_tokens": promptTokens, "new_tokens": newTokens, "threads": threads, "dtype": dtype,
            "weight_bytes": weightBytes, "decode_weight_bytes_per_token": decodeWeightBytesPerToken,
            "read_bandwidth_bytes_per_second": readBytesPerSecond, "read_limit_tokens_per_second": decodeLimitTokensPerSecond,
            "lucid": side(lucid), "transformers": side(transformers),
            "decode_ratio": decodeRatio, "prefill_ratio": prefillRatio, "same_tokens_as_reference": sameTokens,
            "lucid_image_seconds": lucidImageSeconds,
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    func table(model: String) -> String {
        func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
        let gb = Double(weightBytes) / 1e9
        func rss(_ s: Side) -> String { "\(f(Double(s.peakRSSBytes) / 1e9, 2)) (\(f(Double(s.peakRSSBytes) / Double(weightBytes), 2))×)" }
        return """
        LLaVA \(model), \(dtype), batch 1: \(promptTokens)-token prompt with an image, \(newTokens) new tokens, \(threads) thread\(threads == 1 ? "" : "s"); weights \(f(gb, 2)) GB

        | measure | lucid | transformers | ratio |
        |---|---|---|---|
        | load s (weights resident) | \(f(lucid.loadSeconds)) | \(f(transformers.loadSeconds)) | \(f(transformers.loadSeconds / lucid.loadSeconds, 2)) |
        | peak RSS GB (× weight bytes) | \(rss(lucid)) | \(rss(transformers)) | |
        | prefill s | \(f(lucid.prefillSeconds)) (image \(f(lucidImageSeconds)) + language model \(f(lucid.prefillSeconds - lucidImageSeconds))) | \(f(transformers.prefillSeconds)) | \(f(prefillRatio, 2)) |
        | decode tokens/s | \(f(lucid.decodeTokensPerSecond, 3)) | \(f(transformers.decodeTokensPerSecond, 3)) | \(f(decodeRatio, 2)) |

        decode reads \(f(Double(decodeWeightBytesPerToken) / 1e9, 2)) GB of weights per token; read bandwidth \(f(readBytesPerSecond / 1e9, 2)) GB/s → limit \(f(decodeLimitTokensPerSecond, 3)) tokens/s: Lucid at \(f(100 * lucid.decodeTokensPerSecond / decodeLimitTokensPerSecond, 0))%, transformers at \(f(100 * transformers.decodeTokensPerSecond / decodeLimitTokensPerSecond, 0))%
        ratios: > 1 means Lucid is faster (load and prefill: transformers' seconds ÷ Lucid's)
        same tokens as the reference: \(sameTokens)
        """
    }
}
