import Foundation
import LucidGeneration
import LucidModels
import LucidNN
import LucidTensor

/// Load time, peak RSS, image-prompt prefill and decode of a LLaVA checkpoint (`llava`: LLaVA-1.5 or a
/// SigLIP LLaVA; `llava_next`, `llava_onevision`: a tiled image) on the inputs a transformers reference
/// measured (`scripts/bench_llava_reference.py`): load (the directory opened
/// plus one read of every weight, so both sides start the timed prefill with resident weights),
/// prefill (vision tower, projector and the language model over the whole prompt), greedy decode
/// with EOS disabled, then the read bandwidth of the memory the weights live in (host, or GPU).
public enum LlavaBenchmark {
    /// What `scripts/bench_llava_reference.py` writes.
    public struct Reference: Decodable, Sendable {
        public var threads: Int
        public var dtype: String
        public var promptTokens: Int
        public var newTokens: Int
        public var tokens: [Int]
        /// transformers' side: load, prefill, decode and peak RSS.
        public var measured: LlavaBenchReport.Side
        public var weightBytes: Int
        /// Where transformers ran (`cpu` when the reference predates the field).
        public var device: String

        enum CodingKeys: String, CodingKey {
            case threads, dtype, device, promptTokens = "prompt_tokens", newTokens = "new_tokens", tokens, weightBytes = "weight_bytes"
            case loadSeconds = "load_seconds", prefillSeconds = "prefill_seconds"
            case decodeTokensPerSecond = "decode_tokens_per_second", peakRSSBytes = "peak_rss_bytes"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            threads = try c.decode(Int.self, forKey: .threads)
            dtype = try c.decode(String.self, forKey: .dtype)
            promptTokens = try c.decode(Int.self, forKey: .promptTokens)
            newTokens = try c.decode(Int.self, forKey: .newTokens)
            tokens = try c.decode([Int].self, forKey: .tokens)
            weightBytes = try c.decode(Int.self, forKey: .weightBytes)
            device = try c.decodeIfPresent(String.self, forKey: .device) ?? "cpu"
            measured = LlavaBenchReport.Side(
                loadSeconds: try c.decode(Double.self, forKey: .loadSeconds), prefillSeconds: try c.decode(Double.self, forKey: .prefillSeconds),
                decodeTokensPerSecond: try c.decode(Double.self, forKey: .decodeTokensPerSecond),
                peakRSSBytes: try c.decode(Int.self, forKey: .peakRSSBytes))
        }

        public static func load(path: String) throws(BenchError) -> Reference {
            try loadReference(Reference.self, path: path, script: "bench_llava_reference.py")
        }

        /// Refuses to compare with a reference measured in another dtype than `dtype`.
        public func check(dtype: DType) throws(BenchError) {
            guard DType(name: self.dtype) == dtype else { throw .dtypeMismatch(reference: self.dtype, lucid: dtype.description) }
        }

        /// Refuses to compare with a reference measured on another device than `device`.
        public func check(device: Device) throws(BenchError) {
            guard Device(name: self.device) == device else { throw .deviceMismatch(reference: self.device, lucid: device.description) }
        }
    }

    /// What the reference's inputs file holds: input_ids, pixel_values ([1, 3, S, S], or an anyres
    /// model's tiles [1, 1 + tiles, 3, S, S]) and, for the tiles, the image's (height, width).
    public struct Inputs {
        public var ids: [Int]
        public var pixels: Tensor
        public var imageSize: (height: Int, width: Int)?
    }

    /// The inputs file `scripts/bench_llava_reference.py` writes, shapes checked.
    public static func readInputs(_ path: String) throws -> Inputs {
        let file = try SafetensorsCheckpoint(path: path)
        let ids = try file.tensor(named: "input_ids")
        let pixels = try file.tensor(named: "pixel_values")
        guard ids.shape.count == 2, ids.shape[0] == 1, ids.shape[1] >= 1 else {
            throw BenchError.badInputs(path: path, reason: "input_ids must have shape [1, T] (got \(ids.shape))")
        }
        guard file.tensorNames.contains("image_sizes") else {
            guard pixels.shape.count == 4, pixels.shape[0] == 1, pixels.shape[1] == 3 else {
                throw BenchError.badInputs(path: path, reason: "pixel_values must have shape [1, 3, S, S] (got \(pixels.shape))")
            }
            return Inputs(ids: ids.to(.i64).toArray(Int.self), pixels: pixels.to(.f32), imageSize: nil)
        }
        let sizes = try file.tensor(named: "image_sizes")
        guard pixels.shape.count == 5, pixels.shape[0] == 1, pixels.shape[2] == 3, sizes.shape == [1, 2] else {
            throw BenchError.badInputs(path: path, reason: "tiled inputs need pixel_values [1, tiles, 3, S, S] and image_sizes [1, 2] "
                                       + "(got \(pixels.shape) and \(sizes.shape))")
        }
        let size = sizes.to(.i64).toArray(Int.self)
        guard size.allSatisfy({ (1...(1 << 16)).contains($0) }) else {
            throw BenchError.badInputs(path: path, reason: "image_sizes \(size) must be in 1…65536")
        }
        return Inputs(ids: ids.to(.i64).toArray(Int.self), pixels: pixels.to(.f32).selected(axis: 0, index: 0), imageSize: (size[0], size[1]))
    }

    /// The checkpoint in `directory` as a vision-language model and its decoder: LLaVA's class for `llava`,
    /// LLaVA-NeXT's for `llava_next` and `llava_onevision` (with the inputs' image size set).
    static func open(directory: String, options: ModelLoadOptions, inputs: Inputs,
                     path: String) throws -> (model: any VisionLanguageModel & Module, languageModel: LlamaForCausalLM) {
        let type = HuggingFaceDirectory.modelType(directory: directory)
        guard type == "llava_next" || type == "llava_onevision" else {
            guard inputs.imageSize == nil else { throw BenchError.badInputs(path: path, reason: "tiled inputs need a llava_next or llava_onevision model") }
            let llava = try LlavaForConditionalGeneration.load(directory: directory, options: options)
            return (llava, llava.languageModel)
        }
        guard let size = inputs.imageSize else {
            throw BenchError.badInputs(path: path, reason: "a \(type ?? "") model needs tiled inputs with image_sizes")
        }
        let next = try LlavaNextForConditionalGeneration.load(directory: directory, options: options)
        next.originalImageSize = size
        return (next, next.languageModel)
    }

    /// Loads the checkpoint in `directory` (timed, weights read once), prefills the inputs' prompt and
    /// image and decodes `newTokens` greedily on the threads already configured (`threads` is recorded).
    public static func run(directory: String, options: ModelLoadOptions, inputs path: String, reference: Reference,
                           newTokens: Int, threads: Int) throws -> LlavaBenchReport {
        let inputs = try readInputs(path)
        let loadStart = DispatchTime.now().uptimeNanoseconds
        let (model, languageModel) = try open(directory: directory, options: options, inputs: inputs, path: path)
        // One read of every weight; the last sum read on the host waits for a device's queue to drain.
        withNoGrad { _ = model.namedParameters().map { $0.parameter.value.sum() }.last?.item() }
        let loadSeconds = secondsSince(loadStart)

        let (result, embedSeconds) = try withNoGrad { () throws -> (GenerationResult, Double) in
            let start = DispatchTime.now().uptimeNanoseconds
            try model.checkImage(inputs.pixels)
            let embeddings = try model.embed(try model.segments(ids: inputs.ids, images: [inputs.pixels]))
            let embedSeconds = secondsSince(start)
            let result = try GenerationDriver(model: model).generate(.embeddings(embeddings), strategy: .greedy,
                                                                      limits: GenerationLimits(maxNewTokens: newTokens))
            return (result, embedSeconds)
        }
        let stats = result.statistics
        let perToken = DecodeTraffic.weightBytesPerToken(languageModel)
        // The limit is the memory the weights are read from: the host's, or the GPU's.
        let read = options.device == .cpu ? MemoryBandwidth.measureRead()
            : MemoryBandwidth.measureRead(bytes: MemoryBandwidth.deviceBytes, device: options.device)
        return LlavaBenchReport(
            promptTokens: inputs.ids.count, newTokens: newTokens, threads: threads, dtype: options.dtype.description,
            weightBytes: model.namedParameters().reduce(0) { $0 + $1.parameter.value.count * $1.parameter.value.dtype.byteSize },
            decodeWeightBytesPerToken: perToken, readBytesPerSecond: read.bytesPerSecond,
            lucid: .init(loadSeconds: loadSeconds, prefillSeconds: embedSeconds + stats.prefillSeconds,
                         decodeTokensPerSecond: Double(newTokens - 1) / stats.decodeSeconds, peakRSSBytes: stats.peakRSSBytes),
            transformers: reference.measured, sameTokens: result.tokens == reference.tokens,
            decodeLimitTokensPerSecond: read.bytesPerSecond / Double(perToken), lucidImageSeconds: embedSeconds)
    }
}

/// Both sides of one `lucid bench llava` measurement.
public struct LlavaBenchReport: Equatable, Sendable {
    /// One side's load, prefill, decode and peak RSS.
    public struct Side: Equatable, Sendable {
        public var loadSeconds: Double
        public var prefillSeconds: Double
        public var decodeTokensPerSecond: Double
        public var peakRSSBytes: Int

        public init(loadSeconds: Double, prefillSeconds: Double, decodeTokensPerSecond: Double, peakRSSBytes: Int) {
            (self.loadSeconds, self.prefillSeconds) = (loadSeconds, prefillSeconds)
            (self.decodeTokensPerSecond, self.peakRSSBytes) = (decodeTokensPerSecond, peakRSSBytes)
        }
    }

    public var promptTokens: Int
    public var newTokens: Int
    public var threads: Int
    public var dtype: String
    /// Every parameter's bytes in the model dtype (vision tower included).
    public var weightBytes: Int
    public var decodeWeightBytesPerToken: Int
    public var readBytesPerSecond: Double
    public var lucid: Side
    public var transformers: Side
    public var sameTokens: Bool
    public var decodeLimitTokensPerSecond: Double
    /// Lucid's prefill share spent on the image (vision tower, projector, splicing); the rest is the language model.
    public var lucidImageSeconds: Double

    public var decodeRatio: Double { lucid.decodeTokensPerSecond / transformers.decodeTokensPerSecond }
    /// transformers' prefill time ÷ Lucid's: > 1 when Lucid is faster.
    public var prefillRatio: Double { transformers.prefillSeconds / lucid.prefillSeconds }

    public func jsonString() throws -> String {
        func side(_ s: Side) -> [String: Any] {
            ["load_seconds": s.loadSeconds, "prefill_seconds": s.prefillSeconds, "decode_tokens_per_second": s.decodeTokensPerSecond,
             "peak_rss_bytes": s.peakRSSBytes, "peak_rss_over_weight_bytes": Double(s.peakRSSBytes) / Double(weightBytes),
             "share_of_read_limit": s.decodeTokensPerSecond / decodeLimitTokensPerSecond]
        }
        return try sortedJSON([
            "prompt_tokens": promptTokens, "new_tokens": newTokens, "threads": threads, "dtype": dtype,
            "weight_bytes": weightBytes, "decode_weight_bytes_per_token": decodeWeightBytesPerToken,
            "read_bandwidth_bytes_per_second": readBytesPerSecond, "read_limit_tokens_per_second": decodeLimitTokensPerSecond,
            "lucid": side(lucid), "transformers": side(transformers),
            "decode_ratio": decodeRatio, "prefill_ratio": prefillRatio, "same_tokens_as_reference": sameTokens,
            "lucid_image_seconds": lucidImageSeconds,
        ] as [String: Any])
    }

    public func table(model: String) -> String {
        let f = fixed
        let gb = Double(weightBytes) / 1e9
        func rss(_ s: Side) -> String { "\(f(Double(s.peakRSSBytes) / 1e9, 2)) (\(f(Double(s.peakRSSBytes) / Double(weightBytes), 2))×)" }
        return """
        LLaVA \(model), \(dtype), batch 1: \(promptTokens)-token prompt with an image, \(newTokens) new tokens, \(threads) thread\(threads == 1 ? "" : "s"); weights \(f(gb, 2)) GB

        | measure | lucid | transformers | ratio |
        |---|---|---|---|
        | load s (weights resident) | \(f(lucid.loadSeconds, 1)) | \(f(transformers.loadSeconds, 1)) | \(f(transformers.loadSeconds / lucid.loadSeconds, 2)) |
        | peak RSS GB (× weight bytes) | \(rss(lucid)) | \(rss(transformers)) | |
        | prefill s | \(f(lucid.prefillSeconds, 1)) (image \(f(lucidImageSeconds, 1)) + language model \(f(lucid.prefillSeconds - lucidImageSeconds, 1))) | \(f(transformers.prefillSeconds, 1)) | \(f(prefillRatio, 2)) |
        | decode tokens/s | \(f(lucid.decodeTokensPerSecond, 3)) | \(f(transformers.decodeTokensPerSecond, 3)) | \(f(decodeRatio, 2)) |

        decode reads \(f(Double(decodeWeightBytesPerToken) / 1e9, 2)) GB of weights per token; read bandwidth \(f(readBytesPerSecond / 1e9, 2)) GB/s → limit \(f(decodeLimitTokensPerSecond, 3)) tokens/s: Lucid at \(f(100 * lucid.decodeTokensPerSecond / decodeLimitTokensPerSecond, 0))%, transformers at \(f(100 * transformers.decodeTokensPerSecond / decodeLimitTokensPerSecond, 0))%
        ratios: > 1 means Lucid is faster (load and prefill: transformers' seconds ÷ Lucid's)
        same tokens as the reference: \(sameTokens)
        """
    }
}
