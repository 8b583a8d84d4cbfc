import Foundation
import LucidModels
import LucidNN
import LucidTensor
import Testing

/// `PEFTLoRAAdapter.saveStacked`: a LoRA trained on top of a merged one is written with it as one
/// PEFT adapter whose merge gives the same weights (Q-MLLM stage 2 on `shapes-smol`).
@Suite("stacked LoRA adapters")
struct PEFTLoRAStackingTests {
    func tinyModel() throws -> LlamaForCausalLM {
        let model = try LlamaForCausalLM(LlamaConfig(vocabSize: 48, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 2,
                                                     numAttentionHeads: 4, maxPositionEmbeddings: 64))
        model.initializeForTraining(std: 0.3, generator: Generator(seed: 4))
        return model
    }

    /// Attaches adapters and gives every B random values (a fresh adapter's B is zero, which would hide a wrong stack).
    func attachRandom(_ model: LlamaForCausalLM, targets: [String], rank: Int, alpha: Double, seed: UInt64) {
        let generator = Generator(seed: seed)
        PEFTLoRAAdapter.attachTrainable(to: model, targets: targets, rank: rank, alpha: alpha, generator: generator)
        withNoGrad {
            for (_, module) in model.namedModules() {
                guard let lora = (module as? Linear)?.lora else { continue }
                lora.up.weight.value = Tensor.randn(lora.up.weight.value.shape, generator: generator) * 0.2
            }
        }
    }

    func directory(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("lucid-stack-\(name)-\(UUID().uuidString)")
    }

    func parameters(_ model: LlamaForCausalLM) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.name, $0.parameter.value) })
    }

    @Test func mergingTheStackedAdapterGivesTheWeightsOfBothMergedInTurn() throws {
        let baseDirectory = directory("base")
        let stackedDirectory = directory("stacked")
        defer { try? FileManager.default.removeItem(at: baseDirectory); try? FileManager.default.removeItem(at: stackedDirectory) }
        // The base adapter, as a recipe's instruct stage writes it.
        let first = try tinyModel()
        attachRandom(first, targets: ["q_proj", "v_proj"], rank: 4, alpha: 8, seed: 7)
        #expect(try PEFTLoRAAdapter.save(from: first, rank: 4, alpha: 8, targets: ["q_proj", "v_proj"], baseModel: "tiny", to: baseDirectory))
        // Loaded merged, then a second adapter on other modules too (o_proj, down_proj only in the new one, v_proj only in the base).
        let base = try PEFTLoRAAdapter(directory: baseDirectory.path)
        let second = try tinyModel()
        try base.apply(to: second, merge: true)
        attachRandom(second, targets: ["q_proj", "o_proj", "down_proj"], rank: 2, alpha: 6, seed: 8)
        #expect(try PEFTLoRAAdapter.saveStacked(base: base, trainedOn: second, baseModel: "tiny", to: stackedDirectory))
        for (_, module) in second.namedModules() { (module as? Linear)?.mergeLoRA() }
        let expected = parameters(second)

        let stacked = try PEFTLoRAAdapter(directory: stackedDirectory.path)
        #expect(stacked.rank == 6 && stacked.alpha == 6 && stacked.scale == 1)
        #expect(Set(stacked.targetModules) == ["q_proj", "v_proj", "o_proj", "down_proj"])
        let third = try tinyModel()
        try stacked.apply(to: third, merge: true)
        let actual = parameters(third)
        #expect(Set(actual.keys) == Set(expected.keys))
        var largest = 0.0
        for (name, value) in expected { largest = max(largest, try #require(actual[name]).maxAbsDifference(value)) }
        #expect(largest < 1e-5, "largest weight difference \(largest)")
        // The stack changed the weights (a no-op stack would also match an unmodified model).
        let untouched = parameters(try tinyModel())
        let moved = expected.filter { name, value in (untouched[name].map { $0.maxAbsDifference(value) } ?? 0) > 1e-3 }
        #expect(moved.count == 4 * 2)  // q, v (base) and q, o, down (new): four modules in each of two layers
    }

    @Test func withoutABaseTheTrainedAdaptersAreWrittenAlone() throws {
        let out = directory("alone")
        defer { try? FileManager.default.removeItem(at: out) }
        let model = try tinyModel()
        #expect(try PEFTLoRAAdapter.saveStacked(base: nil, trainedOn: model, baseModel: "tiny", to: out) == false)
        #expect(!FileManager.default.fileExists(atPath: out.path))
        attachRandom(model, targets: ["k_proj"], rank: 3, alpha: 3, seed: 9)
        #expect(try PEFTLoRAAdapter.saveStacked(base: nil, trainedOn: model, baseModel: "tiny", to: out))
        let adapter = try PEFTLoRAAdapter(directory: out.path)
        #expect(adapter.rank == 3 && adapter.pairs.count == 2)
    }
}
