import Foundation
import LucidFiles
import LucidNN
import LucidSupport
import LucidTensor

/// Why a model could not be opened.
public enum ModelLoadError: Error, CustomStringConvertible {
    case notFound(path: String)
    case unknownFormat(path: String, reason: String)
    case unsupportedArchitecture(path: String, architecture: String, supported: [String])
    case badConfig(path: String, reason: String)
    /// The weights, in the dtype asked for, need more memory than the limit (`MemoryBudget`).
    case insufficientMemory(path: String, needed: Int, available: Int, dtype: DType, device: Device)

    public var description: String {
        switch self {
        case .notFound(let path): return "\(path): no such file or directory"
        case .unknownFormat(let path, let reason): return "\(path): not a model Lucid can read: \(reason)"
        case .unsupportedArchitecture(let path, let architecture, let supported):
            return "\(path): architecture '\(architecture)' is not supported (supported: \(supported.joined(separator: ", ")))"
        case .badConfig(let path, let reason): return "\(path): invalid configuration: \(reason)"
        case .insufficientMemory(let path, let needed, let available, let dtype, let device):
            let smaller = dtype == .f32 ? "; in bf16 it would need half as much (--dtype bf16)" : ""
            let place = device == .cpu ? "of memory is available" : "is free on \(device)"
            return "\(path): the weights need \(MemoryBudget.describe(needed)) in \(dtype) but only \(MemoryBudget.describe(available)) "
                + "\(place), so the model was not loaded\(smaller)"
        }
    }
}

extension LlamaForCausalLM {
    /// Model types whose `config.json` this loader reads.
    public static let supportedModelTypes = ["llama", "mistral", "qwen2", "qwen3"]

    /// Loads a Hugging Face directory (`config.json` + safetensors) or a llama.cpp GGUF file.
    public static func load(path: String, dtype: DType = .f32) throws -> LlamaForCausalLM {
        try load(path: path, options: ModelLoadOptions(dtype: dtype))
    }

    /// Loads a Hugging Face directory (`config.json` + safetensors) or a llama.cpp GGUF file with
    /// its weights in `options.dtype` (validated first).
    public static func load(path: String, options: ModelLoadOptions) throws -> LlamaForCausalLM {
        try options.validate()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelLoadError.notFound(path: path)
        }
        if isDirectory.boolValue { return try loadHuggingFace(directory: path, options: options) }
        let gguf = try GGUFFile(path: path)
        return try load(gguf: gguf, options: options)
    }

    /// Loads `config.json` and the safetensors weights of a Hugging Face model directory.
    ///
    /// Layers are built with placeholder parameters (no random initialisation) and each weight goes
    /// from the memory-mapped file straight into `dtype`.
    public static func loadHuggingFace(directory: String, dtype: DType = .f32) throws -> LlamaForCausalLM {
        try loadHuggingFace(directory: directory, options: ModelLoadOptions(dtype: dtype))
    }

    /// `loadHuggingFace(directory:dtype:)` with `options.dtype`, refused up front (`MemoryBudget`)
    /// when the weights in that dtype exceed `options.memoryLimit` or the memory available.
    public static func loadHuggingFace(directory: String, options: ModelLoadOptions) throws -> LlamaForCausalLM {
        let dtype = options.dtype
        let configPath = (directory as NSString).appendingPathComponent("config.json")
        let data: Data
        do { data = Data(try SafeFile.read(configPath, maxBytes: 16 << 20)) } catch {
            throw ModelLoadError.unknownFormat(path: directory, reason: "no readable config.json (\(error.problem))")
        }
        let config: LlamaConfig
        do {
            if let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
               let type = object["model_type"] as? String, !supportedModelTypes.contains(type) {
                throw ModelLoadError.unsupportedArchitecture(path: configPath, architecture: type, supported: supportedModelTypes)
            }
            config = try JSONDecoder().decode(LlamaConfig.self, from: data)
        } catch let error as ModelLoadError {
            throw error
        } catch {
            throw ModelLoadError.badConfig(path: configPath, reason: Self.describe(error))
        }
        let checkpoint = try SafetensorsCheckpoint(path: directory)
        try MemoryBudget.check(MemoryBudget.weightBytes(checkpoint, dtype: dtype), path: directory, options: options)
        let model: LlamaForCausalLM
        do { model = try ParameterInitialization.withPlaceholders { () throws(ModelConfigError) in try LlamaForCausalLM(config) } } catch {
            throw ModelLoadError.badConfig(path: configPath, reason: error.description)
        }
        try model.load(from: checkpoint, options: LoadOptions(
            ignoreUnexpected: { $0.hasSuffix("rotary_emb.inv_freq") || (config.tieWordEmbeddings && $0 == "lm_head.weight") },
            dtype: dtype, device: options.device))
        model.fusedAttention = options.fusedAttention
        return model
    }

    static func describe(_ error: Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        switch decoding {
        case .keyNotFound(let key, _): return "missing key '\(key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return (path.isEmpty ? "" : "'\(path)': ") + context.debugDescription
        @unknown default: return "\(error)"
        }
    }

    /// Loads a llama.cpp GGUF (architectures `llama` and `qwen2`): config from metadata, weights
    /// dequantised to f32 (or `dtype`), q/k rows un-permuted for `llama`, tied head when `output.weight` is absent.
    public static func load(gguf: GGUFFile, dtype: DType = .f32) throws -> LlamaForCausalLM {
        try load(gguf: gguf, options: ModelLoadOptions(dtype: dtype))
    }

    /// `load(gguf:dtype:)` with `options.dtype`, refused up front (`MemoryBudget`) when the
    /// dequantised weights exceed `options.memoryLimit` or the memory available.
    public static func load(gguf: GGUFFile, options: ModelLoadOptions) throws -> LlamaForCausalLM {
        let dtype = options.dtype
        try MemoryBudget.check(MemoryBudget.weightBytes(gguf, dtype: dtype), path: gguf.path, options: options)
        let config = try LlamaGGUF.config(from: gguf)
        let model: LlamaForCausalLM
        do { model = try ParameterInitialization.withPlaceholders { () throws(ModelConfigError) in try LlamaForCausalLM(config) } } catch {
            throw ModelLoadError.badConfig(path: gguf.path, reason: error.description)
        }
        try model.load(from: LlamaGGUF(file: gguf, config: config), options: LoadOptions(dtype: dtype, device: options.device))
        model.fusedAttention = options.fusedAttention
        return model
    }
}

/// A GGUF file seen through Hugging Face's Llama names, with llama.cpp's q/k permutation undone.
public struct LlamaGGUF: TensorSource {
    public let file: GGUFFile
    public let config: LlamaConfig
    let architecture: String
    let hfToGGUF: [String: String]

    public init(file: GGUFFile, config: LlamaConfig) throws {
        self.file = file
        self.config = config
        architecture = file.metadata["general.architecture"]?.string ?? "llama"
        var map: [String: String] = [:]
        for name in file.tensorNames {
            if let hf = Self.huggingFaceName(name) { map[hf] = name }
        }
        hfToGGUF = map
    }

    /// Architectures this reader maps.
    public static let supportedArchitectures = ["llama", "qwen2", "qwen3"]

    /// The token texts llama.cpp ends generation at whatever the file's ids say (`llama_vocab`'s
    /// end-of-generation set, as in llama.cpp of llama-cpp-python 0.3.9).
    static let endOfGenerationTexts: Set<String> = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                                                    "<|eom_id|>", "<EOT>", "_<EOT>"]

    /// llama.cpp's per-frequency RoPE divisors: read into the config (`ropeScaling`), not a weight.
    static let ropeFrequencies = "rope_freqs.weight"

    /// The configuration stored in GGUF metadata (`<arch>.block_count`, `<arch>.embedding_length`, …).
    public static func config(from file: GGUFFile) throws -> LlamaConfig {
        let arch = file.metadata["general.architecture"]?.string ?? ""
        guard supportedArchitectures.contains(arch) else {
            throw ModelLoadError.unsupportedArchitecture(path: file.path, architecture: arch.isEmpty ? "(none)" : arch,
                                                         supported: supportedArchitectures)
        }
        func int(_ key: String) throws -> Int {
            guard let value = file.metadata["\(arch).\(key)"]?.int else {
                throw ModelLoadError.badConfig(path: file.path, reason: "metadata '\(arch).\(key)' is missing or not an integer")
            }
            return value
        }
        let heads = try int("attention.head_count")
        let hidden = try int("embedding_length")
        let vocab = file.metadata["\(arch).vocab_size"]?.int ?? file.metadata["tokenizer.ggml.tokens"]?.array?.count
        guard let vocab else { throw ModelLoadError.badConfig(path: file.path, reason: "vocabulary size is missing") }
        let tied = !file.tensorNames.contains("output.weight")
        // Generation ends where llama.cpp's ends it (its end-of-generation set): at the EOS, EOT and EOM ids the
        // file names, and at every token whose text is one of `endOfGenerationTexts` (files converted before
        // their EOT had a key, e.g. Llama 3 Instruct with EOS <|end_of_text|>, still end a turn at <|eot_id|>).
        let named = ["eos", "eot", "eom"].compactMap { file.metadata["tokenizer.ggml.\($0)_token_id"]?.int }
        let byText = (file.metadata["tokenizer.ggml.tokens"]?.stringArray ?? []).enumerated()
            .filter { endOfGenerationTexts.contains($0.element) }.map(\.offset)
        let eos = (named + byText).uniqueInOrder()
        let config = LlamaConfig(
            modelType: arch, vocabSize: vocab, hiddenSize: hidden, intermediateSize: try int("feed_forward_length"),
            numHiddenLayers: try int("block_count"), numAttentionHeads: heads,
            numKeyValueHeads: file.metadata["\(arch).attention.head_count_kv"]?.int ?? heads,
            headDim: try headDimension(file, arch: arch, hidden: hidden, heads: heads),
            rmsNormEps: file.metadata["\(arch).attention.layer_norm_rms_epsilon"]?.double ?? 1e-5,
            ropeTheta: file.metadata["\(arch).rope.freq_base"]?.double ?? 10000,
            ropeScaling: try ropeScaling(file, arch: arch),
            maxPositionEmbeddings: file.metadata["\(arch).context_length"]?.int ?? 2048,
            tieWordEmbeddings: tied, qkvBias: arch == "qwen2", outputBias: false,
            bosTokenID: file.metadata["tokenizer.ggml.bos_token_id"]?.int, eosTokenIDs: eos)
        do { try config.validate() } catch { throw ModelLoadError.badConfig(path: file.path, reason: error.description) }
        return config
    }

    /// The head width as llama.cpp reads it: `<arch>.attention.key_length` (what the converter writes from a
    /// config's `head_dim`, e.g. Qwen3's 128 beside hidden / heads = 64), else the rotary width
    /// `<arch>.rope.dimension_count` (the Llama converter writes it), else hidden / heads. Lucid rotates whole
    /// heads with equal key and value widths; a file that says otherwise is refused.
    static func headDimension(_ file: GGUFFile, arch: String, hidden: Int, heads: Int) throws -> Int {
        let key = file.metadata["\(arch).attention.key_length"]?.int
        let value = file.metadata["\(arch).attention.value_length"]?.int
        let rotary = file.metadata["\(arch).rope.dimension_count"]?.int
        let head = key ?? rotary ?? hidden / max(1, heads)
        if let value, value != head {
            throw ModelLoadError.badConfig(path: file.path, reason: "attention.value_length \(value) differs from the key width \(head)")
        }
        if let rotary, rotary != head {
            throw ModelLoadError.badConfig(path: file.path, reason: "rope.dimension_count \(rotary) rotates part of each \(head)-wide head, "
                + "which Lucid does not implement")
        }
        return head
    }

    /// llama.cpp's RoPE scaling as a `RopeScaling`: `<arch>.rope.scaling.type` `linear` with its factor, or a
    /// `rope_freqs.weight` tensor, the per-frequency divisors llama.cpp's converter writes for Llama 3.1–3.3's
    /// `llama3` scaling (`RopeScaling.frequencyDivisors`; `LlamaConfig.validate` checks their count and values).
    static func ropeScaling(_ file: GGUFFile, arch: String) throws -> RopeScaling? {
        let type = file.metadata["\(arch).rope.scaling.type"]?.string ?? "none"
        if let frequencies = file.tensor(named: ropeFrequencies) {
            guard type == "none" else {
                throw ModelLoadError.badConfig(path: file.path, reason: "the GGUF has both rope_freqs.weight and rope scaling '\(type)'; "
                    + "Lucid reads one or the other")
            }
            guard frequencies.shape.count == 1, frequencies.elementCount <= ConfigBudget.maximumWidth else {
                throw ModelLoadError.badConfig(path: file.path, reason: "rope_freqs.weight has shape \(frequencies.shape); it must be one row of divisors")
            }
            return .frequencyDivisors(try file.dequantize(frequencies))
        }
        switch type {
        case "none":
            return nil
        case "linear":
            guard let factor = file.metadata["\(arch).rope.scaling.factor"]?.double else {
                throw ModelLoadError.badConfig(path: file.path, reason: "rope scaling 'linear' without '\(arch).rope.scaling.factor'")
            }
            return .linear(factor: factor)
        default:
            throw ModelLoadError.badConfig(path: file.path, reason: "rope scaling '\(type)' is not supported (none, linear)")
        }
    }

    /// Hugging Face name of a llama.cpp tensor name, or nil when it has none.
    static func huggingFaceName(_ name: String) -> String? {
        switch name {
        case "token_embd.weight": return "model.embed_tokens.weight"
        case "output_norm.weight": return "model.norm.weight"
        case "output.weight": return "lm_head.weight"
        default: break
        }
        let parts = name.split(separator: ".", maxSplits: 2).map(String.init)
        guard parts.count == 3, parts[0] == "blk", let layer = Int(parts[1]) else { return nil }
        let table = [
            "attn_norm.weight": "input_layernorm.weight", "ffn_norm.weight": "post_attention_layernorm.weight",
            "attn_q.weight": "self_attn.q_proj.weight", "attn_k.weight": "self_attn.k_proj.weight",
            "attn_v.weight": "self_attn.v_proj.weight", "attn_output.weight": "self_attn.o_proj.weight",
            "attn_q.bias": "self_attn.q_proj.bias", "attn_k.bias": "self_attn.k_proj.bias",
            "attn_v.bias": "self_attn.v_proj.bias", "attn_output.bias": "self_attn.o_proj.bias",
            "ffn_gate.weight": "mlp.gate_proj.weight", "ffn_up.weight": "mlp.up_proj.weight",
            "ffn_down.weight": "mlp.down_proj.weight",
            "attn_q_norm.weight": "self_attn.q_norm.weight", "attn_k_norm.weight": "self_attn.k_norm.weight",
        ]
        guard let suffix = table[parts[2]] else { return nil }
        return "model.layers.\(layer).\(suffix)"
    }

    /// The file's tensors under Hugging Face names, without `rope_freqs.weight` (part of the config).
    public var tensorNames: [String] {
        file.tensorNames.filter { $0 != Self.ropeFrequencies }.map { Self.huggingFaceName($0) ?? $0 }
    }

    public func shape(of name: String) -> [Int]? {
        guard let stored = hfToGGUF[name] else { return file.shape(of: name) }
        return file.shape(of: stored)
    }

    public func tensor(named name: String) throws -> Tensor {
        guard let stored = hfToGGUF[name] else { return try file.loadTensor(named: name) }
        let raw = try file.loadTensor(named: stored)
        guard architecture == "llama" else { return raw }
        if name.hasSuffix("self_attn.q_proj.weight") || name.hasSuffix("self_attn.q_proj.bias") {
            return Self.unpermute(raw, heads: config.numAttentionHeads)
        }
        if name.hasSuffix("self_attn.k_proj.weight") || name.hasSuffix("self_attn.k_proj.bias") {
            return Self.unpermute(raw, heads: config.numKeyValueHeads)
        }
        return raw
    }

    public var sourceDescription: String { file.path }

    public func releaseStorage(of name: String) { file.releasePages(of: hfToGGUF[name] ?? name) }

    /// Undoes llama.cpp's `permute`, which stored each head's rows as [d/2, 2] instead of [2, d/2].
    static func unpermute(_ w: Tensor, heads: Int) -> Tensor {
        let rows = w.size(0)
        let rest = Array(w.shape.dropFirst())
        return w.reshaped([heads, rows / heads / 2, 2] + rest).transposed(1, 2).reshaped([rows] + rest).contiguous()
    }
}
