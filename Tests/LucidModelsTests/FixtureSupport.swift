import Foundation
import Testing
@testable import LucidModels
@testable import LucidTensor

/// Paths of committed fixtures (Tests/LucidModelsTests/Fixtures, copied as test resources).
enum Fixtures {
    static var root: String {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("test resources are missing the Fixtures folder")
        }
        return url.path
    }

    static func path(_ components: String...) -> String {
        components.reduce(root) { ($0 as NSString).appendingPathComponent($1) }
    }

    /// A JSON fixture decoded as `type`.
    static func decoded<Value: Decodable>(_ type: Value.Type, _ components: String...) throws -> Value {
        try JSONDecoder().decode(type, from: Data(contentsOf: URL(fileURLWithPath: components.reduce(root) { ($0 as NSString).appendingPathComponent($1) })))
    }

    /// The golden tensors of a fixture directory.
    static func golden(_ directory: String) throws -> SafetensorsFile {
        try SafetensorsFile(path: (directory as NSString).appendingPathComponent("golden.safetensors"))
    }
}

/// Largest absolute difference between two tensors of equal shape (as f64).
func maxAbs(_ a: Tensor, _ b: Tensor) -> Double {
    precondition(a.shape == b.shape, "shapes differ: \(a.shape) vs \(b.shape)")
    return (a.to(.f64) - b.to(.f64)).abs().max().item()
}

/// Expects equal shapes and max-abs difference within `tolerance` × max(1, max |expected|).
///
/// f32 rounding error grows with the magnitude of the values: a residual stream of magnitude 47
/// (the `llama31-rope` fixture's first hidden state) differs from transformers' by 1.07e-4 on an
/// AVX-512 machine (2.3e-6 relative) and by less elsewhere, as libtorch picks other kernels. Below
/// magnitude 1 the tolerance is absolute, as before.
func expectMatches(_ actual: Tensor?, _ expected: Tensor, tolerance: Double, _ what: String,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    guard let actual else {
        Issue.record("\(what): nothing captured", sourceLocation: sourceLocation)
        return
    }
    guard actual.shape == expected.shape else {
        Issue.record("\(what): shape \(actual.shape), expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    let difference = maxAbs(actual, expected)
    let scale = Swift.max(1, expected.count == 0 ? 0 : expected.to(.f64).abs().max().item())
    #expect(difference <= tolerance * scale, "\(what): max-abs difference \(difference) > \(tolerance) × \(scale)", sourceLocation: sourceLocation)
}

/// A tiny randomly initialised LLaVA: 4 patches per image (32 px, patch 16), placeholder id 0,
/// vocabulary 40, hidden width 16.
func tinyLlava(seed: UInt64, dtype: DType = .f32) throws -> LlavaForConditionalGeneration {
    let text = LlamaConfig(vocabSize: 40, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, maxPositionEmbeddings: 128)
    let vision = CLIPVisionConfig(hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, imageSize: 32, patchSize: 16)
    let model = try LlavaForConditionalGeneration(LlavaConfig(visionConfig: vision, textConfig: text, imageTokenIndex: 0, visionFeatureLayer: -1))
    model.initializeForTraining(std: 0.3, generator: Generator(seed: seed))
    if dtype != .f32 { model.convert(to: dtype) }
    return model
}

/// Logits of the fixtures' incremental decode: a prefill of the first 8 ids, then one cached step
/// per remaining id, concatenated along the sequence ([1, T, V]); also returns the cache length.
func cachedDecodeLogits(_ model: LlamaForCausalLM, ids: Tensor, prefill: Int = 8) -> (logits: Tensor, cacheLength: Int) {
    let cache = model.makeCache()
    var pieces: [Tensor] = []
    withNoGrad {
        pieces.append(model.forward(tokens: ids[TensorIndex.all, 0..<prefill], cache: cache, options: .logitsOnly).logits!)
        for t in prefill..<ids.size(1) {
            pieces.append(model.forward(tokens: ids[TensorIndex.all, t..<(t + 1)], cache: cache, options: .logitsOnly).logits!)
        }
    }
    return (Tensor.cat(pieces, axis: 1), cache.length)
}
