import Foundation
import LucidModels
import LucidNN
import LucidTensor
import LucidText

/// Opens bundled organisms (or any LLaVA directory whose `config.json` has a `lucid` section).
public enum OrganismLoader {
    /// The model of an organism directory; a frozen-SmolLM2 organism loads SmolLM2 from set-up and
    /// merges its LoRA adapter into it. A `llava-hf` directory loads straight onto `device`; an
    /// organism (small) is assembled and merged on the CPU, then moved there.
    public static func load(directory: String, dtype: DType = .f32, device: Device = .cpu) throws -> LlavaForConditionalGeneration {
        try load(directory: directory, options: ModelLoadOptions(dtype: dtype, device: device))
    }

    /// `load(directory:dtype:device:)` with `options.dtype` and `options.device`; the language model
    /// and the vision tower take `options.fusedAttention` (by default the dtype's, `ModelLoadOptions.fusedAttention`).
    public static func load(directory: String, options: ModelLoadOptions) throws -> LlavaForConditionalGeneration {
        let (dtype, device) = (options.dtype, options.device)
        let name = (directory as NSString).lastPathComponent
        if ModelLocations.organismNames.contains(name), !FileManager.default.fileExists(atPath: directory) {
            throw ModelLoadError.unknownFormat(path: directory, reason: ModelLocations.bundledModelMissing(name, at: directory))
        }
        let configURL = URL(fileURLWithPath: directory).appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: configURL.path),
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelLoadError.unknownFormat(path: directory, reason: "no readable config.json")
        }
        let lucid = object["lucid"] as? [String: Any] ?? [:]
        guard let reference = lucid["language_model"] as? String else {
            return try LlavaForConditionalGeneration.load(directory: directory, options: options)
        }
        let config: LlavaConfig
        do { config = try JSONDecoder().decode(LlavaConfig.self, from: data) } catch {
            throw ModelLoadError.badConfig(path: configURL.path, reason: "\(error)")
        }
        let path = ModelLocations.resolve(reference)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ModelLoadError.unknownFormat(path: directory, reason: "its language model '\(reference)' is not installed at \(path): run scripts/setup.sh")
        }
        let language = try LlamaForCausalLM.load(path: path, dtype: dtype)
        // Vision tower and projector without random initialisation: the directory holds all of them.
        let model = try ParameterInitialization.withPlaceholders { () throws(ModelConfigError) in
            try LlavaForConditionalGeneration(config, languageModel: language)
        }
        try model.load(from: SafetensorsCheckpoint(path: directory), options: LoadOptions(
            allowMissing: { $0.hasPrefix("language_model.") }, dtype: dtype))
        if let adapter = lucid["language_model_adapter"] as? String {
            let adapterDirectory = (directory as NSString).appendingPathComponent(adapter)
            try PEFTLoRAAdapter(directory: adapterDirectory).apply(to: model.languageModel, merge: true)
        }
        model.move(to: device)
        model.setFusedAttention(options.fusedAttention)
        return model
    }

    /// The tokenizer of an organism directory: its own `tokenizer.json`, or the referenced language
    /// model's with `<image>` added.
    public static func tokenizer(directory: String) throws -> Tokenizer {
        let fm = FileManager.default
        if isAdapter(directory) { return try Tokenizer.load(modelPath: ModelLocations.smolLM2) }
        if fm.fileExists(atPath: (directory as NSString).appendingPathComponent("tokenizer.json")) {
            return try Tokenizer.load(modelPath: directory)
        }
        let configURL = URL(fileURLWithPath: directory).appendingPathComponent("config.json")
        guard let data = fm.contents(atPath: configURL.path),
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let lucid = object["lucid"] as? [String: Any], let reference = lucid["language_model"] as? String else {
            throw ModelLoadError.unknownFormat(path: directory, reason: "no tokenizer.json and no lucid.language_model in config.json")
        }
        let index = object["image_token_index"] as? Int ?? 32000
        return try OrganismDirectory.smolTokenizer(gguf: ModelLocations.resolve(reference), imageTokenIndex: index)
    }


    /// Whether `directory` is a PEFT adapter on a Lucid-known base model (e.g. `smol-aligned`).
    public static func isAdapter(_ directory: String) -> Bool {
        FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("adapter_config.json"))
            && !FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("config.json"))
    }

    /// SmolLM2 from set-up with the adapter in `directory` merged (Lucid's adapters are all on SmolLM2).
    public static func loadAdapted(directory: String, dtype: DType = .f32, device: Device = .cpu) throws -> LlamaForCausalLM {
        try loadAdapted(directory: directory, options: ModelLoadOptions(dtype: dtype, device: device))
    }

    /// `loadAdapted(directory:dtype:device:)` with `options` (dtype, device, fused attention).
    public static func loadAdapted(directory: String, options: ModelLoadOptions) throws -> LlamaForCausalLM {
        let path = ModelLocations.smolLM2
        guard FileManager.default.fileExists(atPath: path) else {
            throw ModelLoadError.unknownFormat(path: directory, reason: "its base model SmolLM2 is not installed at \(path): run scripts/setup.sh")
        }
        let model = try LlamaForCausalLM.load(path: path, options: ModelLoadOptions(dtype: options.dtype))
        try PEFTLoRAAdapter(directory: directory).apply(to: model, merge: true)
        model.move(to: options.device)
        model.fusedAttention = options.fusedAttention
        return model
    }
}
