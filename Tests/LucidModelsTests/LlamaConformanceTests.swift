import Foundation
import Testing
@testable import LucidModels
@testable import LucidNN
@testable import LucidNN
@testable import LucidTensor

/// Lucid's Llama-family decoder against Hugging Face transformers (fp32, eager attention): 4.40.2 for the
/// first three fixtures, 5.23.0 for the RoPE-scaling ones (versions in each fixture's metadata).
/// Fixtures: scripts/make_llama_fixtures.py. Tolerance: max-abs 1e-4 on every captured tensor.
@Suite("Llama conformance with transformers")
struct LlamaConformanceTests {
    static let configurations = ["llama-mha", "llama-gqa", "qwen2", "llama31-rope", "llama-linear-rope", "qwen3"]
    static let tolerance = 1e-4

    @Test(arguments: configurations)
    func logitsAttentionsAndHiddenStatesMatch(_ name: String) throws {
        let directory = Fixtures.path("llama", name)
        let model = try LlamaForCausalLM.load(path: directory + "/model")
        let golden = try Fixtures.golden(directory)
        let ids = try golden.loadTensor(named: "input_ids")
        let trace = withNoGrad {
            model.forward(tokens: ids, cache: nil, options: ForwardOptions(attentionLayers: .all, hiddenStates: .all))
        }
        expectMatches(trace.logits, try golden.loadTensor(named: "logits"), tolerance: Self.tolerance, "\(name) logits")
        for layer in 0..<model.config.numHiddenLayers {
            expectMatches(trace.attentions[layer], try golden.loadTensor(named: "attentions.\(layer)"),
                          tolerance: Self.tolerance, "\(name) attentions.\(layer)")
        }
        for index in 0...model.config.numHiddenLayers {
            expectMatches(trace.hiddenStates[index], try golden.loadTensor(named: "hidden_states.\(index)"),
                          tolerance: Self.tolerance, "\(name) hidden_states.\(index)")
        }
    }

    @Test(arguments: configurations)
    func cachedDecodingMatchesTheReference(_ name: String) throws {
        let directory = Fixtures.path("llama", name)
        let model = try LlamaForCausalLM.load(path: directory + "/model")
        let golden = try Fixtures.golden(directory)
        let ids = try golden.loadTensor(named: "input_ids")
        let (logits, length) = cachedDecodeLogits(model, ids: ids)
        #expect(length == 12)
        expectMatches(logits, try golden.loadTensor(named: "cached_logits"), tolerance: Self.tolerance,
                      "\(name) cached logits")
    }

    @Test func configurationsAreReadFaithfully() throws {
        let gqa = try LlamaForCausalLM.load(path: Fixtures.path("llama", "llama-gqa", "model")).config
        #expect(gqa.numKeyValueHeads == 2 && gqa.numAttentionHeads == 6 && gqa.tieWordEmbeddings)
        #expect(gqa.qkvBias && gqa.outputBias && gqa.ropeTheta == 500000 && gqa.rmsNormEps == 1e-5)
        let qwen = try LlamaForCausalLM.load(path: Fixtures.path("llama", "qwen2", "model")).config
        #expect(qwen.qkvBias && !qwen.outputBias && !qwen.qkNorm)
        let qwen3 = try LlamaForCausalLM.load(path: Fixtures.path("llama", "qwen3", "model")).config
        #expect(qwen3.qkNorm && !qwen3.qkvBias && qwen3.headDim == 16 && qwen3.hiddenSize == 32)
    }
}

/// PEFT LoRA adapters against peft 0.10.0 (fixture: scripts/make_lora_fixtures.py).
@Suite("PEFT LoRA adapters")
struct LoRAAdapterTests {
    @Test(arguments: [false, true])
    func adaptedLogitsMatchPEFT(merge: Bool) throws {
        let model = try LlamaForCausalLM.load(path: Fixtures.path("llama", "llama-mha", "model"))
        let adapter = try PEFTLoRAAdapter(directory: Fixtures.path("lora", "adapter"))
        #expect(adapter.rank == 4 && adapter.scale == 2 && adapter.pairs.count == 6)
        try adapter.apply(to: model, merge: merge)
        let golden = try SafetensorsFile(path: Fixtures.path("lora", "golden.safetensors"))
        let logits = withNoGrad { model.forward(tokens: try! golden.loadTensor(named: "input_ids"), cache: nil, options: .logitsOnly).logits }
        expectMatches(logits, try golden.loadTensor(named: merge ? "merged_logits" : "adapted_logits"), tolerance: 1e-4,
                      "LoRA \(merge ? "merged" : "applied")")
        let base = try LlamaForCausalLM.load(path: Fixtures.path("llama", "llama-mha", "model"))
        let plain = base.forward(tokens: try golden.loadTensor(named: "input_ids"), cache: nil, options: .logitsOnly).logits
        #expect(maxAbs(try #require(plain), try golden.loadTensor(named: "adapted_logits")) > 1e-2, "the adapter must change the logits")
    }

    @Test func adaptersForAnotherModelAreRejected() throws {
        let other = try LlamaForCausalLM.load(path: Fixtures.path("llama", "llama-gqa", "model"))
        let adapter = try PEFTLoRAAdapter(directory: Fixtures.path("lora", "adapter"))
        #expect(throws: LoRAError.self) { try adapter.apply(to: other, merge: false) }
        #expect(other.model.layers[0].selfAttn.qProj.lora == nil, "a failed apply changes nothing")
        #expect(throws: (any Error).self) { try PEFTLoRAAdapter(directory: Fixtures.path("llama", "llama-mha", "model")) }
    }
}

/// `negativeLogLikelihood(of:)` against the same sums taken from transformers' logits.
@Suite("sequence scoring")
struct SequenceScoringTests {
    @Test(arguments: LlamaConformanceTests.configurations)
    func negativeLogLikelihoodMatchesTheReferenceLogits(_ name: String) throws {
        let directory = Fixtures.path("llama", name)
        let model = try LlamaForCausalLM.load(path: directory + "/model")
        let golden = try Fixtures.golden(directory)
        let ids = try golden.loadTensor(named: "input_ids")
        let row = Array(ids.toArray(Int.self).prefix(ids.size(-1)))
        let reference = try golden.loadTensor(named: "logits")[0].to(.f64).logSoftmax(axis: -1)
        var expected = 0.0
        for position in 1..<row.count { expected -= reference[position - 1][row[position]].item() }
        let (nats, tokens) = model.negativeLogLikelihood(of: row)
        #expect(tokens == row.count - 1)
        #expect(Swift.abs(nats - expected) < 1e-4 * Double(tokens), "\(name): \(nats) vs transformers \(expected)")
        #expect(model.negativeLogLikelihood(of: [row[0]]) == (0, 0), "one token scores nothing")
    }
}
