import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidTensor

/// `LlamaForCausalLM.fusedAttention`: a prompt's causal pass through libtorch's fused kernel (and the
/// explicit decoding steps after it) give transformers' logits and hidden states (the Llama fixtures: MHA, GQA, Qwen2 biases, RoPE scaling) within
/// the conformance tolerance, the same greedy tokens, and captured attention still comes from the explicit
/// softmax. In bf16 and f16 the fused path is compared with transformers' sdpa attention
/// (`ReducedPrecisionConformanceTests`).
@Suite("fused attention for prompts")
struct FusedAttentionTests {
    @Test(arguments: LlamaConformanceTests.configurations)
    func fusedPromptsMatchTheReference(_ name: String) throws {
        let directory = Fixtures.path("llama", name)
        let model = try LlamaForCausalLM.load(path: directory + "/model")
        model.fusedAttention = true
        let golden = try Fixtures.golden(directory)
        let ids = try golden.loadTensor(named: "input_ids")
        let trace = withNoGrad { model.forward(tokens: ids, cache: nil, options: ForwardOptions(hiddenStates: .all)) }
        expectMatches(trace.logits, try golden.loadTensor(named: "logits"), tolerance: LlamaConformanceTests.tolerance, "\(name) logits")
        for index in 0...model.config.numHiddenLayers {
            expectMatches(trace.hiddenStates[index], try golden.loadTensor(named: "hidden_states.\(index)"),
                          tolerance: LlamaConformanceTests.tolerance, "\(name) hidden_states.\(index)")
        }
        // A fused prompt, then explicit decoding steps over its cache.
        let (cached, _) = cachedDecodeLogits(model, ids: ids)
        expectMatches(cached, try golden.loadTensor(named: "cached_logits"), tolerance: LlamaConformanceTests.tolerance, "\(name) cached logits")
        // Capturing attention takes the explicit path, whatever the setting.
        let captured = withNoGrad { model.forward(tokens: ids, cache: nil, options: ForwardOptions(attentionLayers: .all)) }
        expectMatches(captured.attentions[0], try golden.loadTensor(named: "attentions.0"), tolerance: LlamaConformanceTests.tolerance,
                      "\(name) attentions.0")
        let prompt = ids.toArray(Int.self)
        let fused = try GenerationDriver(model: model).generate(.tokens(prompt), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 6))
        model.fusedAttention = false
        let explicit = try GenerationDriver(model: model).generate(.tokens(prompt), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 6))
        #expect(fused.tokens == explicit.tokens)
    }
}
