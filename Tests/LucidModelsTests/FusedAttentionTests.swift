import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidTensor

/// `LlamaForCausalLM.fusedAttention`: a prompt's causal pass through libtorch's fused kernel gives
/// transformers' logits and hidden states (the Llama fixtures: MHA, GQA, Qwen2 biases, RoPE scaling) within
/// the conformance tolerance, the same greedy tokens, and captured attention still comes from the explicit
/// softmax; bf16 stays within bf16's rounding of the explicit path.
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

    /// In bf16 the two paths round differently; against transformers' f32 logits the fused one's error
    /// is of the explicit one's size (within 2× and one bf16 step of the largest logit).
    @Test func bf16FusedPromptsAreAsCloseToTheF32ReferenceAsTheExplicitPath() throws {
        let directory = Fixtures.path("llama", "llama-gqa")
        let model = try LlamaForCausalLM.load(path: directory + "/model", options: ModelLoadOptions(dtype: .bf16))
        let golden = try Fixtures.golden(directory)
        let ids = try golden.loadTensor(named: "input_ids")
        let reference = try golden.loadTensor(named: "logits").to(.f64)
        let explicit = try #require(withNoGrad { model.forward(tokens: ids, cache: nil, options: ForwardOptions()) }.logits).to(.f64)
        model.fusedAttention = true
        let fused = try #require(withNoGrad { model.forward(tokens: ids, cache: nil, options: ForwardOptions()) }.logits).to(.f64)
        let step = Swift.max(1, reference.abs().max().item()) / 128
        let (explicitError, fusedError) = (explicit.maxAbsDifference(reference), fused.maxAbsDifference(reference))
        #expect(fusedError <= 2 * explicitError + step, "fused \(fusedError), explicit \(explicitError)")
    }
}
