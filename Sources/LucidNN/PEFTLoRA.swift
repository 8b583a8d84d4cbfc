import Foundation
import LucidTensor

/// A PEFT LoRA adapter directory (`adapter_config.json` + `adapter_model.safetensors`).
///
/// Weights are named `base_model.model.<module path>.lora_A.weight` ([r, in]) and `…lora_B.weight`
/// ([out, r]); the update is ΔW = scale·B·A with scale = α/r (α/√r with rsLoRA).
public struct PEFTLoRAAdapter {
    public let directory: String
    public let rank: Int
    public let alpha: Double
    public let useRSLoRA: Bool
    public let targetModules: [String]
    /// Module path → (A, B).
    public let pairs: [String: (down: Tensor, up: Tensor)]

    /// α/r, or α/√r with rsLoRA.
    public var scale: Double { useRSLoRA ? alpha / Double(rank).squareRoot() : alpha / Double(rank) }

    /// Reads and validates an adapter directory.
    public init(directory: String) throws {
        self.directory = directory
        let configPath = (directory as NSString).appendingPathComponent("adapter_config.json")
        guard let data = FileManager.default.contents(atPath: configPath),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw LoRAError.badConfig(path: configPath, reason: "missing or not a JSON object")
        }
        guard (object["peft_type"] as? String ?? "LORA") == "LORA" else {
            throw LoRAError.badConfig(path: configPath, reason: "peft_type '\(object["peft_type"] ?? "")' is not LORA")
        }
        guard let r = object["r"] as? Int, r > 0, let alpha = (object["lora_alpha"] as? NSNumber)?.doubleValue else {
            throw LoRAError.badConfig(path: configPath, reason: "'r' and 'lora_alpha' must be present and positive")
        }
        if object["use_dora"] as? Bool == true { throw LoRAError.badConfig(path: configPath, reason: "DoRA adapters are not supported") }
        if object["fan_in_fan_out"] as? Bool == true {
            throw LoRAError.badConfig(path: configPath, reason: "fan_in_fan_out adapters (GPT-2 Conv1D) are not supported")
        }
        if let pattern = object["rank_pattern"] as? [String: Any], !pattern.isEmpty {
            throw LoRAError.badConfig(path: configPath, reason: "per-module rank_pattern is not supported")
        }
        rank = r
        self.alpha = alpha
        useRSLoRA = object["use_rslora"] as? Bool ?? false
        targetModules = object["target_modules"] as? [String] ?? []
        let weightsPath = (directory as NSString).appendingPathComponent("adapter_model.safetensors")
        let file = try SafetensorsFile(path: weightsPath)
        var downs: [String: Tensor] = [:]
        var ups: [String: Tensor] = [:]
        for name in file.names {
            var path = name
            if path.hasPrefix("base_model.model.") { path.removeFirst("base_model.model.".count) }
            if path.hasSuffix(".lora_A.weight") {
                downs[String(path.dropLast(".lora_A.weight".count))] = try file.loadTensor(named: name).to(.f32)
            } else if path.hasSuffix(".lora_B.weight") {
                ups[String(path.dropLast(".lora_B.weight".count))] = try file.loadTensor(named: name).to(.f32)
            } else {
                throw LoRAError.unexpectedTensor(path: weightsPath, name: name)
            }
        }
        var pairs: [String: (down: Tensor, up: Tensor)] = [:]
        for (module, down) in downs {
            guard let up = ups[module] else { throw LoRAError.unpaired(path: weightsPath, module: module) }
            guard down.rank == 2, up.rank == 2, down.size(0) == r, up.size(1) == r else {
                throw LoRAError.shapeMismatch(path: weightsPath, module: module,
                                              reason: "lora_A \(down.shape) / lora_B \(up.shape) do not have rank \(r)")
            }
            pairs[module] = (down, up)
        }
        if let orphan = ups.keys.first(where: { downs[$0] == nil }) { throw LoRAError.unpaired(path: weightsPath, module: orphan) }
        if pairs.isEmpty { throw LoRAError.badConfig(path: weightsPath, reason: "no LoRA weights found") }
        self.pairs = pairs
    }

    /// Attaches the adapter to the matching `Linear` layers of `model` (or folds it into their
    /// weights when `merge`); every adapted module must exist and have matching shapes.
    public func apply(to model: any Module, merge: Bool) throws {
        var linears: [String: Linear] = [:]
        for (name, module) in model.namedModules() { if let linear = module as? Linear { linears[name] = linear } }
        var plan: [(Linear, (down: Tensor, up: Tensor))] = []
        for (module, pair) in pairs.sorted(by: { $0.key < $1.key }) {
            guard let linear = linears[module] else { throw LoRAError.unknownModule(path: directory, module: module) }
            guard pair.down.size(1) == linear.inFeatures, pair.up.size(0) == linear.outFeatures else {
                throw LoRAError.shapeMismatch(path: directory, module: module,
                    reason: "adapter maps \(pair.down.size(1))→\(pair.up.size(0)) but the layer is \(linear.inFeatures)→\(linear.outFeatures)")
            }
            plan.append((linear, pair))
        }
        for (linear, pair) in plan {
            let adapter = LoRAAdapter(inFeatures: linear.inFeatures, outFeatures: linear.outFeatures, rank: rank, alpha: alpha)
            adapter.down.weight.value = pair.down.to(linear.weight.value.dtype)
            adapter.up.weight.value = pair.up.to(linear.weight.value.dtype)
            adapter.scaleOverride = scale
            linear.lora = adapter
            if merge { linear.mergeLoRA() }
        }
    }
}

/// A LoRA adapter that does not fit its model or is malformed.
public enum LoRAError: Error, CustomStringConvertible, Equatable {
    case badConfig(path: String, reason: String)
    case unexpectedTensor(path: String, name: String)
    case unpaired(path: String, module: String)
    case unknownModule(path: String, module: String)
    case shapeMismatch(path: String, module: String, reason: String)

    public var description: String {
        switch self {
        case .badConfig(let path, let reason): return "\(path): \(reason)"
        case .unexpectedTensor(let path, let name): return "\(path): '\(name)' is not a LoRA weight (lora_A / lora_B)"
        case .unpaired(let path, let module): return "\(path): module '\(module)' has only one of lora_A / lora_B"
        case .unknownModule(let path, let module): return "\(path): the model has no linear layer '\(module)'"
        case .shapeMismatch(let path, let module, let reason): return "\(path): '\(module)': \(reason)"
        }
    }
}
