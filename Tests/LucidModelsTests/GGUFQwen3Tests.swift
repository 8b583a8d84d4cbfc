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
}
