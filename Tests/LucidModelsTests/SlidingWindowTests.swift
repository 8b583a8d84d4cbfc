import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidTensor

/// Sliding-window attention (Mistral's `sliding_window`, Qwen2's `use_sliding_window`) against
/// transformers on checkpoints whose window is shorter than the prompt (fixtures:
/// scripts/make_sliding_window_fixtures.py; fp32, eager, and sdpa for the fused path).
@Suite("sliding-window attention")
struct SlidingWindowTests {
    static let fixtures = ["mistral-window", "qwen2-window"]

    func open(_ name: String) throws -> (LlamaForCausalLM, SafetensorsFile) {
        let directory = Fixtures.path("sliding-window", name)
        return (try LlamaForCausalLM.load(path: directory + "/model"), try Fixtures.golden(directory))
    }

    /// The fixture's weights with the window taken out of its config (a copy in a temporary folder).
    func withoutTheWindow(_ name: String) throws -> LlamaForCausalLM {
        let source = URL(fileURLWithPath: Fixtures.path("sliding-window", name, "model"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("no-window-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"), to: folder.appendingPathComponent("model.safetensors"))
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as? [String: Any])
        config["sliding_window"] = NSNull()
        config["use_sliding_window"] = false
        config["layer_types"] = nil
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))
        let model = try LlamaForCausalLM.load(path: folder.path)
        #expect(model.config.slidingWindow == nil)
        return model
    }

    @Test(arguments: fixtures)
    func logitsAttentionsAndHiddenStatesMatchTransformers(_ name: String) throws {
        let (model, golden) = try open(name)
        #expect(model.config.slidingWindow == (name == "mistral-window" ? 5 : 4))
        #expect(model.config.slidingWindowLayers == (name == "mistral-window" ? [0, 1] : [1]))
        let ids = try golden.loadTensor(named: "input_ids")
        let trace = withNoGrad { model.forward(tokens: ids, cache: nil, options: ForwardOptions(attentionLayers: .all, hiddenStates: .all)) }
        expectMatches(trace.logits, try golden.loadTensor(named: "logits"), tolerance: LlamaConformanceTests.tolerance, "\(name) logits")
        for layer in 0..<model.layerCount {
            expectMatches(trace.attentions[layer], try golden.loadTensor(named: "attentions.\(layer)"), tolerance: LlamaConformanceTests.tolerance,
                          "\(name) attentions.\(layer)")
        }
        for index in 0...model.layerCount {
            expectMatches(trace.hiddenStates[index], try golden.loadTensor(named: "hidden_states.\(index)"),
                          tolerance: LlamaConformanceTests.tolerance, "\(name) hidden_states.\(index)")
        }
        // Without the window the same weights are far from transformers: the test sees the window.
        let unwindowed = try withoutTheWindow(name)
        let full = try #require(withNoGrad { unwindowed.forward(tokens: ids, cache: nil, options: .logitsOnly) }.logits)
        #expect(maxAbs(full, try golden.loadTensor(named: "logits")) > 0.5)
    }

    @Test(arguments: fixtures)
    func cachedStepsGreedyAndBeamTokensMatchTransformers(_ name: String) throws {
        let (model, golden) = try open(name)
        let ids = try golden.loadTensor(named: "input_ids")
        let (cached, _) = cachedDecodeLogits(model, ids: ids)
        expectMatches(cached, try golden.loadTensor(named: "cached_logits"), tolerance: LlamaConformanceTests.tolerance, "\(name) cached logits")
        let prompt = Array(ids.toArray(Int.self).prefix(6))
        let greedy = try GenerationDriver(model: model).generate(.tokens(prompt), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 10))
        #expect(greedy.tokens == (try golden.loadTensor(named: "greedy").toArray(Int.self)), "\(name) greedy")
        let beam = try GenerationDriver(model: model).generate(.tokens(prompt), strategy: .beamSearch(BeamSearchParameters(beams: 3, earlyStopping: .whenFinished)),
                                                               limits: GenerationLimits(maxNewTokens: 8, eosTokenIDs: [2]))
        #expect(beam.tokens == (try golden.loadTensor(named: "beam3").toArray(Int.self)), "\(name) beam")
    }

    /// Where the window hides keys a layer cannot run the fused causal kernel; it takes the explicit
    /// product with the windowed mask, which is what transformers' sdpa computes with its mask.
    @Test(arguments: fixtures)
    func fusedAttentionKeepsTheWindow(_ name: String) throws {
        let (model, golden) = try open(name)
        model.fusedAttention = true
        let ids = try golden.loadTensor(named: "input_ids")
        let logits = try #require(withNoGrad { model.forward(tokens: ids, cache: nil, options: .logitsOnly) }.logits)
        expectMatches(logits, try golden.loadTensor(named: "sdpa_logits"), tolerance: LlamaConformanceTests.tolerance, "\(name) fused logits")
        // A prompt the window does not reach across fuses every layer and gives the full-attention values.
        let short = ids.narrowed(axis: 1, start: 0, length: 4)
        let fused = try #require(withNoGrad { model.forward(tokens: short, cache: nil, options: .logitsOnly) }.logits)
        let plain = try #require(withNoGrad { try withoutTheWindow(name).forward(tokens: short, cache: nil, options: .logitsOnly) }.logits)
        expectMatches(fused, plain, tolerance: LlamaConformanceTests.tolerance, "\(name) short prompt")
    }

    @Test func theWindowHidesKeysAtOrBeforePositionMinusWindow() throws {
        // Queries at positions 2…5 (past 2), window 3: query p sees keys p−2…p.
        let hidden = try #require(LlamaModel.slidingWindowHidden(queries: 4, past: 2, window: 3, parallelCandidates: false))
        #expect(hidden.shape == [4, 6])
        #expect(hidden.to(.i64).toArray(Int.self) == [0, 0, 0, 0, 0, 0,
                                                       1, 0, 0, 0, 0, 0,
                                                       1, 1, 0, 0, 0, 0,
                                                       1, 1, 1, 0, 0, 0])
        #expect(LlamaModel.slidingWindowHidden(queries: 4, past: 2, window: 6, parallelCandidates: false) == nil)
        // OPERA's candidates all sit at position `past` = 4: keys 0…1 are out of a window of 3.
        let candidates = try #require(LlamaModel.slidingWindowHidden(queries: 2, past: 4, window: 3, parallelCandidates: true))
        #expect(candidates.to(.i64).toArray(Int.self) == [1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0])
        #expect(LlamaModel.slidingWindowHidden(queries: 2, past: 2, window: 3, parallelCandidates: true) == nil)
    }

    func config(_ json: String) throws -> LlamaConfig {
        try JSONDecoder().decode(LlamaConfig.self, from: Data(json.utf8))
    }

    @Test func configsNameTheWindowAsTransformersReadsThem() throws {
        let base = "\"vocab_size\": 10, \"hidden_size\": 8, \"intermediate_size\": 16, \"num_hidden_layers\": 4, \"num_attention_heads\": 2"
        // Mistral: every layer, unless the window is null (v0.2 and later).
        let mistral = try config("{\"model_type\": \"mistral\", \(base), \"sliding_window\": 4096}")
        #expect(mistral.slidingWindow == 4096 && mistral.slidingWindowLayers == [0, 1, 2, 3])
        #expect(try config("{\"model_type\": \"mistral\", \(base), \"sliding_window\": null}").slidingWindow == nil)
        // Qwen2: only with use_sliding_window, from max_window_layers on (the released configs set it false).
        #expect(try config("{\"model_type\": \"qwen2\", \(base), \"sliding_window\": 4096, \"use_sliding_window\": false}").slidingWindow == nil)
        let qwen = try config("{\"model_type\": \"qwen2\", \(base), \"sliding_window\": 64, \"use_sliding_window\": true, \"max_window_layers\": 2}")
        #expect(qwen.slidingWindow == 64 && qwen.slidingWindowLayers == [2, 3])
        // Llama has no window; layer_types, where written, decide.
        #expect(try config("{\"model_type\": \"llama\", \(base), \"sliding_window\": 8}").slidingWindow == nil)
        let typed = try config("{\"model_type\": \"qwen2\", \(base), \"sliding_window\": 8, \"use_sliding_window\": true, "
                               + "\"layer_types\": [\"sliding_attention\", \"full_attention\", \"sliding_attention\", \"full_attention\"]}")
        #expect(typed.slidingWindowLayers == [0, 2])
        #expect(throws: (any Error).self) {
            try config("{\"model_type\": \"qwen2\", \(base), \"sliding_window\": 8, \"layer_types\": [\"chunked_attention\", \"full_attention\", \"full_attention\", \"full_attention\"]}")
        }
        #expect(throws: ModelConfigError.self) {
            var zero = mistral
            zero.slidingWindow = 0
            try zero.validate()
        }
        // Written back, it reads the same.
        let written = try JSONEncoder().encode(qwen)
        #expect(try JSONDecoder().decode(LlamaConfig.self, from: written) == qwen)
    }
}
