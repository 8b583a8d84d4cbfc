import Foundation
import LucidTensor

extension PEFTLoRAAdapter {
    /// Writes `base` (already merged into `model`'s weights) followed by the adapters attached to
    /// `model` as one PEFT adapter, so that merging the written adapter into the original weights
    /// gives the weights `model` computes with.
    ///
    /// For each module, A = [A_base; A_new] ([r_base + r_new, in]) and B = [s_base·B_base, s_new·B_new]
    /// ([out, r_base + r_new]) with `lora_alpha` = rank (scale 1): ΔW = s_base·B_base·A_base +
    /// s_new·B_new·A_new exactly, up to rounding. A module that only one side adapts gets zero rows
    /// and columns for the other. Used when a second LoRA is trained on a model whose first LoRA was
    /// merged at load (Q-MLLM stage 2 on `shapes-smol`), so the result stays one standard adapter.
    /// Returns false (and writes nothing) when neither side has an adapter.
    @discardableResult
    public static func saveStacked(base: PEFTLoRAAdapter?, trainedOn model: any Module, baseModel: String, to directory: URL) throws -> Bool {
        var trained: [String: LoRAAdapter] = [:]
        for (name, module) in model.namedModules() {
            if let linear = module as? Linear, let lora = linear.lora { trained[name] = lora }
        }
        let basePairs = base?.pairs ?? [:]
        let baseRank = base?.rank ?? 0
        let newRank = trained.values.first?.down.outFeatures ?? 0
        guard trained.values.allSatisfy({ $0.down.outFeatures == newRank }) else {
            throw LoRAError.badConfig(path: directory.path, reason: "the trained adapters do not share one rank")
        }
        let modules = Set(basePairs.keys).union(trained.keys).sorted()
        guard !modules.isEmpty else { return false }
        let rank = baseRank + newRank
        var items: [SafetensorsWriter.Item] = []
        try withNoGrad { () throws in
            for module in modules {
                let pair = basePairs[module]
                let lora = trained[module]
                guard let inFeatures = lora?.down.inFeatures ?? pair?.down.size(1),
                      let outFeatures = lora?.up.outFeatures ?? pair?.up.size(0) else { continue }
                if let pair, let lora, pair.down.size(1) != lora.down.inFeatures || pair.up.size(0) != lora.up.outFeatures {
                    throw LoRAError.shapeMismatch(path: directory.path, module: module,
                                                  reason: "the base adapter maps \(pair.down.size(1))→\(pair.up.size(0)) but the trained one \(lora.down.inFeatures)→\(lora.up.outFeatures)")
                }
                var downs: [Tensor] = []
                var ups: [Tensor] = []
                if baseRank > 0 {
                    downs.append(pair.map { $0.down.to(.f32) } ?? Tensor.zeros([baseRank, inFeatures]))
                    ups.append(pair.map { $0.up.to(.f32) * (base?.scale ?? 1) } ?? Tensor.zeros([outFeatures, baseRank]))
                }
                if newRank > 0 {
                    downs.append(lora.map { $0.down.weight.value.to(.f32) } ?? Tensor.zeros([newRank, inFeatures]))
                    ups.append(lora.map { $0.up.weight.value.to(.f32) * $0.scale } ?? Tensor.zeros([outFeatures, newRank]))
                }
                items.append(try .init(name: "base_model.model.\(module).lora_A.weight", tensor: Tensor.cat(downs, axis: 0).detached(), as: .float32))
                items.append(try .init(name: "base_model.model.\(module).lora_B.weight", tensor: Tensor.cat(ups, axis: 1).detached(), as: .float32))
            }
        }
        let targets = Set(modules.compactMap { $0.split(separator: ".").last.map(String.init) }).sorted()
        try write(items, rank: rank, alpha: Double(rank), targets: targets, baseModel: baseModel, to: directory)
        return true
    }
}
