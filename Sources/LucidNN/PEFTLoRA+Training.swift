import Foundation
import LucidTensor

extension PEFTLoRAAdapter {
    /// Attaches fresh trainable adapters (A seeded from `generator`, B zero) to every `Linear` of
    /// `model` whose name ends in `.<target>`, in module order.
    public static func attachTrainable(to model: any Module, targets: [String], rank: Int, alpha: Double, generator: Generator) {
        for (name, module) in model.namedModules() {
            guard let linear = module as? Linear, targets.contains(where: { name.hasSuffix("." + $0) }) else { continue }
            let adapter = LoRAAdapter(inFeatures: linear.inFeatures, outFeatures: linear.outFeatures, rank: rank, alpha: alpha, generator: generator)
            adapter.down.weight.value.requiresGrad = true
            adapter.up.weight.value.requiresGrad = true
            linear.lora = adapter
        }
    }

    /// Writes the adapters attached to `model` as a PEFT directory (`adapter_config.json`,
    /// `adapter_model.safetensors` in f32, keys `base_model.model.<module>.lora_A/B.weight`).
    /// Returns false (and writes nothing) when `model` has no adapters.
    @discardableResult
    public static func save(from model: any Module, rank: Int, alpha: Double, targets: [String], baseModel: String,
                            to directory: URL) throws -> Bool {
        var items: [SafetensorsWriter.Item] = []
        for (name, parameter) in model.namedParameters() where name.contains(".lora_A.") || name.contains(".lora_B.") {
            items.append(try .init(name: "base_model.model." + name, tensor: parameter.value, as: .float32))
        }
        guard !items.isEmpty else { return false }
        try write(items, rank: rank, alpha: alpha, targets: targets, baseModel: baseModel, to: directory)
        return true
    }

    /// Writes a PEFT adapter directory: the tensors as `adapter_model.safetensors` and an
    /// `adapter_config.json` for a plain LoRA of `rank` and `alpha` on `targets`.
    static func write(_ items: [SafetensorsWriter.Item], rank: Int, alpha: Double, targets: [String], baseModel: String, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try SafetensorsWriter.write(items, metadata: ["format": "pt"], to: directory.appendingPathComponent("adapter_model.safetensors").path)
        let config: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": rank, "lora_alpha": alpha, "lora_dropout": 0.0, "bias": "none",
            "target_modules": targets, "fan_in_fan_out": false, "base_model_name_or_path": baseModel, "inference_mode": true,
        ]
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: directory.appendingPathComponent("adapter_config.json"), options: .atomic)
    }
}
