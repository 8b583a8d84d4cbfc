import Foundation
import LucidFiles
import LucidDefense
import LucidModels
import LucidNN
import LucidTensor
import LucidTraining

/// What `lucid defend qmllm train` records next to the weights.
public struct QMLLMRecord: Codable, Sendable {
    public var name: String
    public var recipe: QMLLMRecipe
    public var scale: Double
    public var dataHash: String
    public var stage: StageSummary
    /// Stage 2 (LoRA on quantised inputs); nil when it did not run (older records, or `stage2: nil`).
    public var stage2: StageSummary?
    public var report: QMLLMReport?
    public var version: String

    public init(name: String, recipe: QMLLMRecipe, scale: Double, dataHash: String, stage: StageSummary, stage2: StageSummary? = nil,
                report: QMLLMReport?, version: String) {
        self.name = name
        self.recipe = recipe
        self.scale = scale
        self.dataHash = dataHash
        self.stage = stage
        self.stage2 = stage2
        self.report = report
        self.version = version
    }
}

/// A Q-MLLM organism directory: the base organism's files (its config, LoRA adapter), the
/// re-trained projector with the vision tower, and the defence in `qmllm/` (`qmllm.safetensors`,
/// `qmllm.json`; a subdirectory, so that LLaVA loaders reading every top-level safetensors file
/// do not meet the codebooks).
/// `load` gives the defended model (`QMLLMDefense.installWithGate`: quantiser and gate).
public enum QMLLMDirectory {
    public static let recordFile = "qmllm-record.json"
    public static let defenseSubdirectory = "qmllm"

    /// Where the defence of a model directory lives.
    public static func defenseDirectory(of directory: URL) -> URL { directory.appendingPathComponent(defenseSubdirectory) }

    /// Whether `directory` holds a Q-MLLM model.
    public static func isQMLLM(_ directory: String) -> Bool { QMLLMDefense.exists(in: defenseDirectory(of: URL(fileURLWithPath: directory))) }

    /// The training record of a Q-MLLM directory (`qmllm-record.json`); nil when it has none.
    public static func record(in directory: URL) throws -> QMLLMRecord? {
        let url = directory.appendingPathComponent(recordFile)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try JSONDecoder.records().decode(QMLLMRecord.self, from: Data(SafeFile.read(url.path, maxBytes: 16 << 20)))
        } catch {
            throw TrainingError("\(url.path): not a Q-MLLM record (\(error))")
        }
    }

    /// Writes a Q-MLLM directory from `baseDirectory`'s files and `model`. A LoRA still attached to
    /// the language model (stage 2) is written with the base's adapter as one stacked PEFT adapter
    /// when the base references its language model, else merged into the stored weights.
    public static func save(model: LlavaForConditionalGeneration, defense: QMLLMDefense, baseDirectory: String,
                            record: QMLLMRecord?, to directory: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        let base = URL(fileURLWithPath: baseDirectory)
        let baseConfigURL = base.appendingPathComponent("config.json")
        var config = (try JSONSerialization.jsonObject(with: Data(SafeFile.read(baseConfigURL.path, maxBytes: 16 << 20)))) as? [String: Any] ?? [:]
        var lucid = config["lucid"] as? [String: Any] ?? [:]
        // A base that references its language model (SmolLM2 + adapter) stores only the vision side.
        let referencesLanguageModel = lucid["language_model"] != nil
        let trained = model.languageModel.namedModules().contains { ($0.module as? Linear)?.lora != nil }
        let adapterTarget = directory.appendingPathComponent(OrganismDirectory.adapterDirectory)
        let configTarget = directory.appendingPathComponent("config.json")
        if fm.fileExists(atPath: configTarget.path) { try fm.removeItem(at: configTarget) }
        if trained && referencesLanguageModel {
            let baseAdapter = (lucid["language_model_adapter"] as? String).map { base.appendingPathComponent($0) }
            let stackedBase = try baseAdapter.map { try PEFTLoRAAdapter(directory: $0.path) }
            let staging = directory.appendingPathComponent(OrganismDirectory.adapterDirectory + ".partial")
            if fm.fileExists(atPath: staging.path) { try fm.removeItem(at: staging) }
            try PEFTLoRAAdapter.saveStacked(base: stackedBase, trainedOn: model.languageModel,
                                            baseModel: lucid["language_model"] as? String ?? "", to: staging)
            if fm.fileExists(atPath: adapterTarget.path) { try fm.removeItem(at: adapterTarget) }
            try fm.moveItem(at: staging, to: adapterTarget)
            if lucid["language_model_adapter"] as? String == OrganismDirectory.adapterDirectory {
                try fm.copyItem(at: baseConfigURL, to: configTarget)
            } else {
                lucid["language_model_adapter"] = OrganismDirectory.adapterDirectory
                config["lucid"] = lucid
                try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys]).write(to: configTarget, options: .atomic)
            }
        } else {
            if trained { for (_, module) in model.languageModel.namedModules() { (module as? Linear)?.mergeLoRA() } }
            try fm.copyItem(at: baseConfigURL, to: configTarget)
            let source = base.appendingPathComponent(OrganismDirectory.adapterDirectory)
            if fm.fileExists(atPath: source.path) {
                if fm.fileExists(atPath: adapterTarget.path) { try fm.removeItem(at: adapterTarget) }
                try fm.copyItem(at: source, to: adapterTarget)
            }
        }
        for name in ["tokenizer.json", "tokenizer_config.json"] {
            let source = base.appendingPathComponent(name)
            let target = directory.appendingPathComponent(name)
            guard fm.fileExists(atPath: source.path) else { continue }
            if fm.fileExists(atPath: target.path) { try fm.removeItem(at: target) }
            try fm.copyItem(at: source, to: target)
        }
        var items: [SafetensorsWriter.Item] = []
        for (name, parameter) in model.namedParameters() where !(referencesLanguageModel && name.hasPrefix("language_model.")) {
            items.append(try .init(name: name, tensor: parameter.value, as: .float16))
        }
        try SafetensorsWriter.write(items, metadata: ["format": "pt"], to: directory.appendingPathComponent("model.safetensors").path)
        try FileManager.default.createDirectory(at: defenseDirectory(of: directory), withIntermediateDirectories: true)
        try defense.save(to: defenseDirectory(of: directory))
        if let record {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(record).write(to: directory.appendingPathComponent(recordFile), options: .atomic)
        }
    }

    /// The defended model of a directory written by `save`: quantiser installed, gate set. The
    /// model opens in `dtype`; the quantiser's codebooks stay f32 (features are cast to f32 to be
    /// quantised and back to the model's dtype) and go to `device` with it, so no quantisation, gate
    /// reading or attack step copies them from the host.
    public static func load(directory: String, dtype: DType = .f32, device: Device = .cpu) throws -> (LlavaForConditionalGeneration, QMLLMDefense) {
        try load(directory: directory, options: ModelLoadOptions(dtype: dtype, device: device))
    }

    /// `load(directory:dtype:device:)` with `options` (dtype, device, fused attention: `OrganismLoader.load`).
    public static func load(directory: String, options: ModelLoadOptions) throws -> (LlavaForConditionalGeneration, QMLLMDefense) {
        let model = try OrganismLoader.load(directory: directory, options: options)
        let defense = try QMLLMDefense.load(from: defenseDirectory(of: URL(fileURLWithPath: directory)))
        defense.move(to: options.device)
        try defense.installWithGate(on: model)
        return (model, defense)
    }
}

extension QMLLMRecord {
    /// snake_case keys (docs/json.md); files with the camelCase keys of before read through `JSONDecoder.records()`.
    enum CodingKeys: String, CodingKey {
        case name, recipe, scale, dataHash = "data_hash"
        case stage, stage2, report, version
    }
}
