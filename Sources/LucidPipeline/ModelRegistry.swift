import Foundation
import LucidFiles
import LucidModels
import LucidNN
import LucidOrganisms
import LucidTensor
import LucidText

/// Opens models by name or path: `model_type` → family (loader, image processor, chat template).
///
/// Routes, in order: bundled names (`smollm2`, the organisms under `Models/`) and Hugging Face
/// repository ids in the local hub cache (`org/name[@revision]`, `HubCache`) resolve to paths; a
/// directory holding only a PEFT adapter opens on SmolLM2 with the adapter merged; a directory's
/// `config.json` `model_type` picks the family; anything else (GGUF files, unknown types) goes to the
/// text family, whose loader names what it supports. Add a family with `register`.
public struct ModelRegistry {
    public private(set) var families: [ModelFamily]
    /// The family of paths no `model_type` selects (GGUF files, unknown types).
    public var fallback: ModelFamily

    public init(families: [ModelFamily], fallback: ModelFamily) {
        self.families = families
        self.fallback = fallback
    }

    /// Lucid's families: Llama-architecture text models, LLaVA-1.5, LLaVA-NeXT, LLaVA-OneVision, Qwen2-VL, Qwen2.5-VL and InstructBLIP.
    public static var standard: ModelRegistry {
        ModelRegistry(families: [.llava, .llavaNext, .llavaOnevision, .qwen2VL, .qwen25VL, .instructBlip, .llama], fallback: .llama)
    }

    /// Adds `family`; it wins over earlier families for the `model_type`s it names.
    public mutating func register(_ family: ModelFamily) { families.insert(family, at: 0) }

    /// The family of `model_type`, if one is registered.
    public func family(modelType: String) -> ModelFamily? { families.first { $0.modelTypes.contains(modelType) } }

    /// Opens a bundled name, a Hugging Face directory or repository id (from the local hub cache), a
    /// Lucid organism, a PEFT adapter directory or a GGUF file.
    ///
    /// `options.load` (dtype and device) is validated first, so an unusable device or a dtype the
    /// device cannot compute in is refused before any file is read.
    public func open(_ name: String, options: ModelOpenOptions = ModelOpenOptions()) throws -> OpenedModel {
        let opened = try openWeights(name, options: options)
        (opened.model as? any Module)?.setFusedAttention(options.load.fusedAttention)
        return opened
    }

    /// `open` without the runtime settings applied after loading.
    func openWeights(_ name: String, options: ModelOpenOptions) throws -> OpenedModel {
        try options.load.validate()
        let path = ModelLocations.resolve(name)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            if name == "smollm2" { throw ModelOpenError("SmolLM2 is not installed at \(path): run scripts/setup.sh") }
            if ModelLocations.organismNames.contains(name) {
                throw ModelOpenError(ModelLocations.bundledModelMissing(name, at: path))
            }
            throw ModelOpenError(ModelLocations.notFound(path))
        }
        if isDirectory.boolValue, OrganismLoader.isAdapter(path) {
            let model = try OrganismLoader.loadAdapted(directory: path, options: options.load)
            return OpenedModel(name: name, path: path, modelType: "peft", family: fallback,
                               weights: LoadedWeights(model: model, eosTokenIDs: model.config.eosTokenIDs, hiddenSize: model.config.hiddenSize))
        }
        let type = isDirectory.boolValue ? Self.modelType(directory: path) : nil
        let family = type.flatMap { self.family(modelType: $0) } ?? fallback
        return OpenedModel(name: name, path: path, modelType: type ?? (path.hasSuffix(".gguf") ? "gguf" : "unknown"), family: family,
                           weights: try family.load(path, options))
    }

    /// The tokenizer of a bundled name, directory (its own, or an organism's language model's) or GGUF file.
    public func tokenizer(for name: String) throws -> Tokenizer {
        let path = ModelLocations.resolve(name)
        do {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                return try OrganismLoader.tokenizer(directory: path)
            }
            return try Tokenizer.load(modelPath: path)
        } catch let error as TokenizerError {
            throw ModelOpenError("\(path): \(error.description)")
        }
    }

    /// `model_type` of a directory's `config.json`, if readable.
    public static func modelType(directory: String) -> String? { HuggingFaceDirectory.modelType(directory: directory) }
}
