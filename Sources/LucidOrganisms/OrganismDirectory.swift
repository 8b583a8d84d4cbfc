import Foundation
import LucidModels
import LucidNN
import LucidTensor
import LucidText
import LucidTraining

/// A bundled model organism on disk: a Hugging Face LLaVA directory (`config.json` +
/// `model.safetensors` in f16, `tokenizer.json` when the tokenizer is its own) plus
/// `organism.json` (recipe, seed, data hash, stage summaries, metrics) and `loss.svg`.
///
/// An organism on frozen SmolLM2 stores only the vision tower and projector; `config.json`'s
/// `lucid.language_model` names the set-up model they plug into, and its LoRA is a PEFT adapter in
/// `language_model_adapter/`.
public enum OrganismDirectory {
    public static let recordFile = "organism.json"
    public static let adapterDirectory = "language_model_adapter"
    /// The chat template the organisms are trained with: chatml without a default system prompt.
    public static let chatTemplate = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

    /// Whether `directory` holds an organism (its `config.json` names a Lucid language model, or it has `organism.json`).
    public static func isOrganism(_ directory: String) -> Bool {
        FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(recordFile))
    }

    /// Writes `model` (and, for a frozen language model, only what was trained) to `directory`.
    public static func save(_ model: LlavaForConditionalGeneration, languageModelReference: String?, tokenizerJSON: Data?,
                            record: OrganismRecord, lossSVG: String?, to directory: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        var items: [SafetensorsWriter.Item] = []
        for (name, parameter) in model.namedParameters() {
            if name.contains(".lora_A.") || name.contains(".lora_B.") { continue }
            if languageModelReference != nil && name.hasPrefix("language_model.") { continue }
            items.append(try .init(name: name, tensor: parameter.value, as: .float16))
        }
        try SafetensorsWriter.write(items, metadata: ["format": "pt"], to: directory.appendingPathComponent("model.safetensors").path)
        let adapterURL = directory.appendingPathComponent(adapterDirectory)
        if fm.fileExists(atPath: adapterURL.path) { try fm.removeItem(at: adapterURL) }
        let hasAdapter = try PEFTLoRAAdapter.save(from: model.languageModel, rank: record.recipe.loraRank, alpha: record.recipe.loraAlpha,
                                                  targets: record.recipe.loraTargets, baseModel: "HuggingFaceTB/SmolLM2-135M-Instruct",
                                                  to: adapterURL)
        try writeJSON(try configObject(model.config, languageModelReference: languageModelReference,
                                       adapter: hasAdapter ? adapterDirectory : nil),
                      to: directory.appendingPathComponent("config.json"))
        if let tokenizerJSON {
            try tokenizerJSON.write(to: directory.appendingPathComponent("tokenizer.json"), options: .atomic)
            let tokenizerConfig: [String: Any] = ["chat_template": chatTemplate, "eos_token": "<|im_end|>",
                                                  "model_max_length": model.config.textConfig.maxPositionEmbeddings,
                                                  "tokenizer_class": "PreTrainedTokenizerFast"]
            try writeJSON(tokenizerConfig, to: directory.appendingPathComponent("tokenizer_config.json"))
        }
        try writeRecord(record, to: directory)
        if let lossSVG { try lossSVG.write(to: directory.appendingPathComponent("loss.svg"), atomically: true, encoding: .utf8) }
    }

    /// Writes `record` as the directory's `organism.json` (indented, sorted keys, atomically).
    public static func writeRecord(_ record: some Encodable, to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(record).write(to: directory.appendingPathComponent(recordFile), options: .atomic)
    }

    /// `config.json` as transformers writes a LLaVA config, plus Lucid's `lucid` section.
    static func configObject(_ config: LlavaConfig, languageModelReference: String?, adapter: String?) throws -> [String: Any] {
        let data = try JSONEncoder().encode(config)
        guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TrainingError("cannot encode the model configuration")
        }
        object["model_type"] = "llava"
        object["architectures"] = ["LlavaForConditionalGeneration"]
        object["torch_dtype"] = "float16"
        if var vision = object["vision_config"] as? [String: Any] {
            vision["model_type"] = "clip_vision_model"
            object["vision_config"] = vision
        }
        var lucid: [String: Any] = [:]
        if let languageModelReference { lucid["language_model"] = languageModelReference }
        if let adapter { lucid["language_model_adapter"] = adapter }
        if !lucid.isEmpty { object["lucid"] = lucid }
        return object
    }

    static func writeJSON(_ object: [String: Any], to url: URL) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: url, options: .atomic)
    }

    /// The tokenizer SmolLM2-based organisms use: SmolLM2's, with `<image>` after its vocabulary and
    /// the organisms' chat template.
    public static func smolTokenizer(gguf path: String, imageTokenIndex: Int) throws -> Tokenizer {
        try Tokenizer.load(modelPath: path).adding([AddedToken(id: imageTokenIndex, content: "<image>", special: true)],
                                                   chatTemplate: chatTemplate)
    }
}
