import Foundation
import Testing
@testable import LucidModels
@testable import LucidNN
@testable import LucidTensor

/// Qwen3 as llama.cpp's converter writes it (`qwen3` architecture: q/k rows not permuted, the per-head norms as
/// `attn_q_norm` / `attn_k_norm`): `qwen3/model.gguf` from scripts/make_llama31_gguf_fixture.py against
/// transformers' goldens of the safetensors checkpoint.
@Suite("GGUF Qwen3")
struct GGUFQwen3Tests {
    @Test func aQwen3GGUFGivesTransformersLogitsOfItsSafetensorsCheckpoint() throws {
        let directory = Fixtures.path("llama", "qwen3")
        let model = try LlamaForCausalLM.load(path: (directory as NSString).appendingPathComponent("model.gguf"))
        #expect(model.config.modelType == "qwen3" && model.config.qkNorm && !model.config.qkvBias && model.config.headDim == 16)
        let golden = try Fixtures.golden(directory)
        let ids = try golden.loadTensor(named: "input_ids")
        let output = withNoGrad { model.forward(tokens: ids, cache: nil, options: .logitsOnly) }
        expectMatches(output.logits, try golden.loadTensor(named: "logits"), tolerance: 1e-4, "logits")
    }

    /// The converter gives a Qwen3 file its head width as `attention.key_length` only (no rotary width): Lucid
    /// reads 16, not hidden / heads = 8. A rotary or value width other than the key width is refused.
    @Test func theHeadWidthIsTheKeyLengthAndOtherWidthsAreRefused() throws {
        let file = try GGUFFile(path: (Fixtures.path("llama", "qwen3") as NSString).appendingPathComponent("model.gguf"))
        #expect(file.metadata["qwen3.rope.dimension_count"] == nil && file.metadata["qwen3.attention.key_length"]?.int == 16)
        #expect(try LlamaGGUF.config(from: file).headDim == 16)
        for (key, message) in [("llama.rope.dimension_count", "rotates part of each 16-wide head"),
                               ("llama.attention.value_length", "value_length 8 differs from the key width 16")] {
            let path = try MiniGGUF(metadata: MiniGGUF.llamaHeader + [("llama.attention.key_length", .u32(16)), (key, .u32(8))]).write()
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect { _ = try LlamaGGUF.config(from: try GGUFFile(path: path)) } throws: { "\($0)".contains(message) }
        }
    }
}
