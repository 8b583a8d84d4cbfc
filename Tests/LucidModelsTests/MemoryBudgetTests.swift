import Foundation
import Testing
@testable import LucidModels
@testable import LucidTensor

/// The loaders' up-front memory check, on the small fixtures with a stated limit and on a
/// LLaMA-13B-shaped sharded checkpoint whose shards are sparse files (headers only on disk).
@Suite("memory budget", .serialized)
struct MemoryBudgetTests {
    static let gib = 1 << 30

    @Test func weightBytesFollowTheTargetDType() throws {
        let checkpoint = try SafetensorsCheckpoint(path: Fixtures.path("llama", "llama-mha", "model"))
        let f32 = MemoryBudget.weightBytes(checkpoint, dtype: .f32)
        let elements = checkpoint.files.flatMap(\.entries).reduce(0) { $0 + $1.elementCount }
        #expect(f32 == elements * 4)
        #expect(MemoryBudget.weightBytes(checkpoint, dtype: .bf16) * 2 == f32)
        #expect(MemoryBudget.available().map { $0 > 0 } ?? true)
    }

    @Test func aCUDADevicesBudgetIsItsFreeMemoryNotTheHosts() throws {
        guard Torch.cudaAvailable else {
            #expect(MemoryBudget.available(on: .cuda(0)) == nil)
            print("memory budget: the CUDA case skipped (needs a CUDA device, and this libtorch sees none)")
            return
        }
        let memory = try #require(Torch.cudaMemory(index: 0))
        let free = try #require(MemoryBudget.available(on: .cuda(0)))
        #expect(free > 0 && free <= memory.total)
        #expect(MemoryBudget.available(on: .cuda(Torch.cudaDeviceCount)) == nil)
        let refusal = ModelLoadError.insufficientMemory(path: "m", needed: memory.total + 1, available: free, dtype: .bf16, device: .cuda(0))
        #expect(refusal.description.contains("is free on cuda:0, so the model was not loaded"), "\(refusal)")
    }

    @Test func aModelLargerThanTheLimitIsRefusedAndOneThatFitsLoads() throws {
        let path = Fixtures.path("llama", "llama-mha", "model")
        let bytes = MemoryBudget.weightBytes(try SafetensorsCheckpoint(path: path), dtype: .bf16)
        do {
            _ = try LlamaForCausalLM.load(path: path, options: ModelLoadOptions(dtype: .bf16, memoryLimit: bytes - 1))
            Issue.record("loaded past the limit")
        } catch let error as ModelLoadError {
            guard case .insufficientMemory(let at, let needed, let available, let dtype, let device) = error else { throw error }
            #expect(at == path && needed == bytes && available == bytes - 1 && dtype == .bf16 && device == .cpu)
            #expect(error.description.contains("of memory is available, so the model was not loaded"))
        }
        let model = try LlamaForCausalLM.load(path: path, options: ModelLoadOptions(dtype: .bf16, memoryLimit: bytes))
        #expect(model.namedParameters().allSatisfy { $0.parameter.value.dtype == .bf16 })
    }

    /// LLaMA-13B's shapes and key names in three index-listed shards, as the Hub ships them; each
    /// shard is a sparse file (its header, then a hole as long as its tensors).
    static func write13BShapedCheckpoint(to directory: URL) throws -> Int {
        let (hidden, intermediate, vocab, layers) = (5120, 13824, 32000, 40)
        var tensors: [(String, [Int])] = [("model.embed_tokens.weight", [vocab, hidden])]
        for layer in 0..<layers {
            let prefix = "model.layers.\(layer)."
            for projection in ["q_proj", "k_proj", "v_proj", "o_proj"] { tensors.append((prefix + "self_attn.\(projection).weight", [hidden, hidden])) }
            tensors.append((prefix + "mlp.gate_proj.weight", [intermediate, hidden]))
            tensors.append((prefix + "mlp.up_proj.weight", [intermediate, hidden]))
            tensors.append((prefix + "mlp.down_proj.weight", [hidden, intermediate]))
            tensors.append((prefix + "input_layernorm.weight", [hidden]))
            tensors.append((prefix + "post_attention_layernorm.weight", [hidden]))
        }
        tensors += [("model.norm.weight", [hidden]), ("lm_head.weight", [vocab, hidden])]
        let shardOf: (String) -> Int = { name in
            guard let layer = name.split(separator: ".").dropFirst(2).first.flatMap({ Int($0) }) else { return name.hasPrefix("model.embed") ? 0 : 2 }
            return layer * 3 / layers
        }
        let shardNames = (1...3).map { String(format: "model-%05d-of-00003.safetensors", $0) }
        var weightMap: [String: String] = [:]
        var total = 0
        for (shard, shardName) in shardNames.enumerated() {
            var header: [String: Any] = ["__metadata__": ["format": "pt"]]
            var offset = 0
            for (name, shape) in tensors where shardOf(name) == shard {
                let bytes = shape.reduce(2, *)
                header[name] = ["dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + bytes]]
                offset += bytes
                weightMap[name] = shardName
            }
            total += offset
            var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
            while json.count % 8 != 0 { json.append(0x20) }
            var length = UInt64(json.count).littleEndian
            let url = directory.appendingPathComponent(shardName)
            try (Data(bytes: &length, count: 8) + json).write(to: url)
            let handle = try FileHandle(forWritingTo: url)
            try handle.truncate(atOffset: UInt64(8 + json.count + offset))
            try handle.close()
        }
        let index: [String: Any] = ["metadata": ["total_size": total], "weight_map": weightMap]
        try JSONSerialization.data(withJSONObject: index, options: [.sortedKeys])
            .write(to: directory.appendingPathComponent("model.safetensors.index.json"))
        let config: [String: Any] = ["model_type": "llama", "hidden_size": hidden, "intermediate_size": intermediate,
                                     "num_hidden_layers": layers, "num_attention_heads": 40, "num_key_value_heads": 40,
                                     "vocab_size": vocab, "rms_norm_eps": 1e-5, "max_position_embeddings": 4096,
                                     "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": 2]
        try JSONSerialization.data(withJSONObject: config).write(to: directory.appendingPathComponent("config.json"))
        return total
    }

    @Test func aThirteenBillionParameterCheckpointIsRefusedUpFrontWithin24GiB() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("budget-13b-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bytes = try Self.write13BShapedCheckpoint(to: directory)
        #expect(bytes == 13_015_864_320 * 2)  // LLaMA-13B's parameter count, 2 bytes each
        let before = LeanLoadingTests.residentBytes()
        #expect {
            _ = try LlamaForCausalLM.load(path: directory.path, options: ModelLoadOptions(dtype: .bf16, memoryLimit: 24 * Self.gib))
        } throws: { error in
            guard case ModelLoadError.insufficientMemory(_, let needed, _, .bf16, .cpu)? = error as? ModelLoadError else { return false }
            return needed == bytes
        }
        if let before, let after = LeanLoadingTests.residentBytes() {
            #expect(after - before < Self.gib, "refusing grew resident memory by \(after - before) bytes")
        }
        // In f32 the message suggests bf16.
        do {
            _ = try LlamaForCausalLM.load(path: directory.path, options: ModelLoadOptions(dtype: .f32, memoryLimit: 24 * Self.gib))
            Issue.record("loaded past the limit")
        } catch let error as ModelLoadError {
            #expect(error.description.contains("52.06 GB") && error.description.contains("--dtype bf16"), "\(error)")
        }
        // A shard the index names is missing: a clear error naming it, before any size is counted.
        try FileManager.default.removeItem(at: directory.appendingPathComponent("model-00002-of-00003.safetensors"))
        #expect(throws: CheckpointError.missingShard(path: directory.appendingPathComponent("model.safetensors.index.json").path,
                                                     shard: "model-00002-of-00003.safetensors")) {
            _ = try LlamaForCausalLM.load(path: directory.path, options: ModelLoadOptions(dtype: .bf16, memoryLimit: 24 * Self.gib))
        }
    }
}
