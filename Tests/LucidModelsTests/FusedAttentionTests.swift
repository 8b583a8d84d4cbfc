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

    /// A left-padded batch fuses under the boolean causal-and-padding mask: each row's logits are what
    /// the row gives alone (within the f32 tolerance), and so is a cached step after the fused prompt.
    @Test(arguments: LlamaConformanceTests.configurations)
    func aFusedLeftPaddedBatchGivesEachRowWhatItGivesAlone(_ name: String) throws {
        let model = try LlamaForCausalLM.load(path: Fixtures.path("llama", name, "model"))
        model.fusedAttention = true
        let long = [3, 14, 15, 62, 65, 35, 81, 79, 32, 38], short = [9, 22, 51, 4]  // ids below every fixture's vocabulary (89)
        let pad = long.count - short.count
        func mask(_ extra: Int) -> Tensor {
            Tensor(Array(repeating: 1.0, count: long.count + extra) + Array(repeating: 0.0, count: pad)
                   + Array(repeating: 1.0, count: short.count + extra), shape: [2, long.count + extra]).to(.bool)
        }
        var options = ForwardOptions()
        options.paddingMask = mask(0)
        let cache = model.makeCache()
        let batched = try #require(withNoGrad {
            model.forward(tokens: Tensor(long + Array(repeating: 0, count: pad) + short, shape: [2, long.count]), cache: cache, options: options)
        }.logits)
        for (row, tokens) in [long, short].enumerated() {
            let alone = try #require(withNoGrad { model.forward(tokens: Tensor(tokens, shape: [1, tokens.count]), cache: nil, options: .logitsOnly) }.logits)
            let real = batched.narrowed(axis: 0, start: row, length: 1).narrowed(axis: 1, start: long.count - tokens.count, length: tokens.count)
            expectMatches(real, alone, tolerance: LlamaConformanceTests.tolerance, "\(name) row \(row)")
        }
        options.paddingMask = mask(1)
        let step = try #require(withNoGrad { model.forward(tokens: Tensor([7, 7], shape: [2, 1]), cache: cache, options: options) }.logits)
        let shortThenStep = try #require(withNoGrad {
            model.forward(tokens: Tensor(short + [7], shape: [1, short.count + 1]), cache: nil, options: ForwardOptions(logits: .last))
        }.logits)
        expectMatches(step.narrowed(axis: 0, start: 1, length: 1), shortThenStep, tolerance: LlamaConformanceTests.tolerance, "\(name) cached step")
    }
}
