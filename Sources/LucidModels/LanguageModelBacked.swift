import Foundation
import LucidFiles
import LucidNN
import LucidTensor

/// A multimodal model whose text side is a Llama-family decoder: the `CausalLanguageModel`
/// requirements forward to `languageModel`, so generation strategies drive it like a text model
/// once the prompt (with image features spliced in) is embedded.
public protocol LanguageModelBacked: CausalLanguageModel {
    var languageModel: LlamaForCausalLM { get }
}

extension LanguageModelBacked {
    public var vocabularySize: Int { languageModel.vocabularySize }
    public var layerCount: Int { languageModel.layerCount }
    public var contextLength: Int? { languageModel.contextLength }
    public func makeCache() -> KVCache { languageModel.makeCache() }
    public func embed(_ tokens: Tensor) -> Tensor { languageModel.embed(tokens) }
    public func vocabularyLogits(_ hidden: Tensor) -> Tensor { languageModel.vocabularyLogits(hidden) }

    public func forward(tokens: Tensor, cache: KVCache?, options: ForwardOptions) -> ForwardTrace {
        languageModel.forward(tokens: tokens, cache: cache, options: options)
    }

    public func forward(embeddings: Tensor, cache: KVCache?, options: ForwardOptions) -> ForwardTrace {
        languageModel.forward(embeddings: embeddings, cache: cache, options: options)
    }

    /// Runs prompt embeddings through the decoder and adds its logits, attentions and hidden states to
    /// `trace` (which already holds the vision captures of embedding the images).
    func decode(_ embeddings: Tensor, cache: KVCache?, options: ForwardOptions, into trace: ForwardTrace) -> ForwardTrace {
        let text = languageModel.forward(embeddings: embeddings, cache: cache, options: options)
        trace.logits = text.logits
        trace.attentions = text.attentions
        trace.hiddenStates = text.hiddenStates
        return trace
    }
}

/// Opening a Hugging Face model directory: `config.json` checked for its `model_type` and decoded,
/// layers built without random initialisation, weights loaded strictly.
public enum HuggingFaceDirectory {
    /// `model_type` of a directory's `config.json` (read with the size cap of `SafeFile`), nil when
    /// it is missing, unreadable or has none.
    public static func modelType(directory: String) -> String? {
        let path = (directory as NSString).appendingPathComponent("config.json")
        guard let bytes = try? SafeFile.read(path, maxBytes: 16 << 20),
              let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return nil }
        return object["model_type"] as? String
    }

    /// The decoded `config.json` of `directory` and its path; another `model_type` is refused.
    static func config<Config: Decodable>(_ type: Config.Type, directory: String, modelType: String) throws -> (Config, String) {
        try config(type, directory: directory, modelTypes: [modelType])
    }

    /// `config(_:directory:modelType:)` for a configuration that reads any of `modelTypes`.
    static func config<Config: Decodable>(_ type: Config.Type, directory: String, modelTypes: [String]) throws -> (Config, String) {
        let path = (directory as NSString).appendingPathComponent("config.json")
        let data: Data
        do { data = Data(try SafeFile.read(path, maxBytes: 16 << 20)) } catch {
            throw ModelLoadError.unknownFormat(path: directory, reason: "no readable config.json (\(error.problem))")
        }
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let found = object["model_type"] as? String,
           !modelTypes.contains(found) {
            throw ModelLoadError.unsupportedArchitecture(path: path, architecture: found, supported: modelTypes)
        }
        do { return (try JSONDecoder().decode(Config.self, from: data), path) } catch {
            throw ModelLoadError.badConfig(path: path, reason: LlamaForCausalLM.describe(error))
        }
    }

    /// Builds a model with placeholder parameters and loads every weight of `directory` into it, after
    /// refusing weights larger than the memory budget (`MemoryBudget`); its decoder, towers and
    /// Q-Former take `options.fusedAttention` (`Module.setFusedAttention`).
    static func build<Model: Module>(directory: String, configPath: String, options: ModelLoadOptions, renames: [KeyRename],
                                     ignoring: @escaping (String) -> Bool,
                                     _ make: () throws(ModelConfigError) -> Model) throws -> Model {
        let checkpoint = try SafetensorsCheckpoint(path: directory)
        try MemoryBudget.check(MemoryBudget.weightBytes(checkpoint, dtype: options.dtype), path: directory, options: options)
        let model: Model
        do { model = try ParameterInitialization.withPlaceholders(make) } catch {
            throw ModelLoadError.badConfig(path: configPath, reason: error.description)
        }
        try model.load(from: checkpoint, options: LoadOptions(renames: renames, ignoreUnexpected: ignoring, dtype: options.dtype,
                                                               device: options.device))
        model.setFusedAttention(options.fusedAttention)
        return model
    }
}

extension CausalLanguageModel {
    /// The Llama-family decoder that runs this model: itself, or a vision-language model's language
    /// model; nil for any other kind.
    public var llamaDecoder: LlamaForCausalLM? { (self as? LlamaForCausalLM) ?? (self as? any LanguageModelBacked)?.languageModel }
}
