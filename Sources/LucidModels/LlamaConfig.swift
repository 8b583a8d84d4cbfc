import Foundation
import LucidFiles

/// Hyper-parameters of a Llama-family decoder (Llama 1/2/3, Vicuna, Mistral, Qwen2, SmolLM).
///
/// Decodes Hugging Face `config.json` (`LlamaConfig`, `MistralConfig`, `Qwen2Config`) and is built
/// from GGUF metadata by `LlamaGGUF`. Absent keys fall back to Hugging Face's defaults; an explicit
/// `null` is refused as transformers 5 refuses it, except where transformers reads it as "not set"
/// (`num_key_value_heads`, `head_dim`, `rope_scaling`/`rope_parameters`, `bos_token_id`, `eos_token_id`).
public struct LlamaConfig: Codable, Sendable, Equatable {
    public var modelType: String
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var numKeyValueHeads: Int
    public var headDim: Int
    public var rmsNormEps: Double
    public var ropeTheta: Double
    /// Long-context frequency scaling (`rope_scaling` / `rope_parameters`); nil is plain RoPE.
    public var ropeScaling: RopeScaling?
    /// M-RoPE sections (temporal, height, width) of the rotary half-dimension (Qwen2-VL); nil: 1-D RoPE.
    public var mropeSection: [Int]?
    public var maxPositionEmbeddings: Int
    public var tieWordEmbeddings: Bool
    /// Bias on q/k/v projections (Qwen2; Llama's `attention_bias`).
    public var qkvBias: Bool
    /// Bias on the attention output projection (Llama's `attention_bias`, not Qwen2).
    public var outputBias: Bool
    public var hiddenAct: String
    public var bosTokenID: Int?
    public var eosTokenIDs: [Int]
    /// Sliding-window attention (Mistral's `sliding_window`; Qwen2's with `use_sliding_window`): each
    /// query of a layer in `slidingWindowLayers` sees at most this many keys, itself included; nil: none.
    public var slidingWindow: Int?
    /// The layers that attend through `slidingWindow` (every layer for Mistral, layers from
    /// `max_window_layers` on for Qwen2, or as `layer_types` says).
    public var slidingWindowLayers: [Int] = []
    /// Whether each head's queries and keys are RMS-normalised before RoPE (Qwen3's `q_norm` / `k_norm`).
    public var qkNorm: Bool { modelType == "qwen3" }

    public init(modelType: String = "llama", vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int,
                numAttentionHeads: Int, numKeyValueHeads: Int? = nil, headDim: Int? = nil, rmsNormEps: Double = 1e-6,
                ropeTheta: Double = 10000, ropeScaling: RopeScaling? = nil, maxPositionEmbeddings: Int = 2048, tieWordEmbeddings: Bool = false,
                qkvBias: Bool = false, outputBias: Bool = false, hiddenAct: String = "silu",
                bosTokenID: Int? = nil, eosTokenIDs: [Int] = []) {
        self.modelType = modelType
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.numKeyValueHeads = numKeyValueHeads ?? numAttentionHeads
        self.headDim = headDim ?? hiddenSize / max(1, numAttentionHeads)
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.ropeScaling = ropeScaling
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.tieWordEmbeddings = tieWordEmbeddings
        self.qkvBias = qkvBias
        self.outputBias = outputBias
        self.hiddenAct = hiddenAct
        self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs
    }

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", vocabSize = "vocab_size", hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", numKeyValueHeads = "num_key_value_heads", headDim = "head_dim"
        case rmsNormEps = "rms_norm_eps", ropeTheta = "rope_theta", maxPositionEmbeddings = "max_position_embeddings"
        case tieWordEmbeddings = "tie_word_embeddings", attentionBias = "attention_bias", hiddenAct = "hidden_act"
        case bosTokenID = "bos_token_id", eosTokenID = "eos_token_id", ropeScaling = "rope_scaling"
        case ropeParameters = "rope_parameters", slidingWindow = "sliding_window", useSlidingWindow = "use_sliding_window"
        case maxWindowLayers = "max_window_layers", layerTypes = "layer_types"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // Missing keys take transformers' LlamaConfig defaults (Llama-2-7B), as llava-hf
        // `text_config` blocks rely on.
        let type = try c.decodeIfPresentNonNull(String.self, forKey: .modelType) ?? "llama"
        let heads = try c.decodeIfPresentNonNull(Int.self, forKey: .numAttentionHeads) ?? 32
        let hidden = try c.decodeIfPresentNonNull(Int.self, forKey: .hiddenSize) ?? 4096
        let attentionBias = try c.decodeIfPresentNonNull(Bool.self, forKey: .attentionBias) ?? false
        var eos: [Int] = []
        if let single = try? c.decodeIfPresent(Int.self, forKey: .eosTokenID) {
            eos = [single]
        } else if let many = try? c.decodeIfPresent([Int].self, forKey: .eosTokenID) {
            eos = many
        }
        // transformers 5.x writes `rope_parameters` (with `rope_theta` inside); 4.x writes `rope_theta` and
        // `rope_scaling` beside it. Both are read; `rope_parameters` wins when both are present.
        let parametersKey: CodingKeys = c.contains(.ropeParameters) ? .ropeParameters : .ropeScaling
        let parameters = try c.decodeIfPresent(RopeParametersJSON.self, forKey: parametersKey)
        let maxPositions = try c.decodeIfPresentNonNull(Int.self, forKey: .maxPositionEmbeddings) ?? 2048
        let scaling: RopeScaling?
        do {
            scaling = try parameters?.scaling(key: parametersKey.rawValue, maxPositionEmbeddings: maxPositions)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: parametersKey, in: c, debugDescription: error.description)
        }
        let theta = try parameters?.ropeTheta ?? c.decodeIfPresentNonNull(Double.self, forKey: .ropeTheta) ?? 10000
        self.init(modelType: type,
                  vocabSize: try c.decodeIfPresentNonNull(Int.self, forKey: .vocabSize) ?? 32000,
                  hiddenSize: hidden,
                  intermediateSize: try c.decodeIfPresentNonNull(Int.self, forKey: .intermediateSize) ?? 11008,
                  numHiddenLayers: try c.decodeIfPresentNonNull(Int.self, forKey: .numHiddenLayers) ?? 32,
                  numAttentionHeads: heads,
                  numKeyValueHeads: try c.decodeWholeNumberIfPresent(forKey: .numKeyValueHeads),
                  headDim: try c.decodeWholeNumberIfPresent(forKey: .headDim),
                  rmsNormEps: try c.decodeIfPresentNonNull(Double.self, forKey: .rmsNormEps) ?? 1e-6,
                  ropeTheta: theta,
                  ropeScaling: scaling,
                  maxPositionEmbeddings: maxPositions,
                  tieWordEmbeddings: try c.decodeIfPresentNonNull(Bool.self, forKey: .tieWordEmbeddings) ?? false,
                  qkvBias: type == "qwen2" ? true : attentionBias,
                  outputBias: type == "qwen2" ? false : attentionBias,
                  hiddenAct: try c.decodeIfPresentNonNull(String.self, forKey: .hiddenAct) ?? "silu",
                  bosTokenID: try? c.decodeIfPresent(Int.self, forKey: .bosTokenID),
                  eosTokenIDs: eos)
        mropeSection = parameters?.mropeSection
        (slidingWindow, slidingWindowLayers) = try Self.slidingWindow(c, modelType: type, layers: numHiddenLayers)
    }

    /// The window and the layers it applies to, as transformers 5 reads them: `layer_types` where given
    /// ("sliding_attention" or "full_attention" per layer); else Mistral's `sliding_window` on every
    /// layer, Qwen2's (with `use_sliding_window: true`) on the layers from `max_window_layers` (default
    /// 28) on; Llama has none.
    static func slidingWindow(_ c: KeyedDecodingContainer<CodingKeys>, modelType: String, layers: Int) throws -> (Int?, [Int]) {
        let window = try c.decodeWholeNumberIfPresent(forKey: .slidingWindow)
        let useWindow = try c.decodeIfPresentNonNull(Bool.self, forKey: .useSlidingWindow)
        if let types = try c.decodeIfPresent([String].self, forKey: .layerTypes) {
            guard types.count == layers, types.allSatisfy({ $0 == "sliding_attention" || $0 == "full_attention" }) else {
                throw DecodingError.dataCorruptedError(forKey: .layerTypes, in: c, debugDescription:
                    "layer_types must name each of the \(layers) layers sliding_attention or full_attention")
            }
            let sliding = types.indices.filter { types[$0] == "sliding_attention" }
            guard !sliding.isEmpty else { return (nil, []) }
            guard let window, useWindow != false else {
                throw DecodingError.dataCorruptedError(forKey: .layerTypes, in: c, debugDescription:
                    "layer_types has sliding_attention layers but sliding_window is not set")
            }
            return (window, sliding)
        }
        guard let window else { return (nil, []) }
        switch modelType {
        case "mistral": return (window, Array(0..<layers))
        case "llama": return (nil, [])
        default:
            // Qwen2 and its VL text models: the window only with use_sliding_window, from max_window_layers on.
            guard useWindow == true else { return (nil, []) }
            let first = try c.decodeIfPresentNonNull(Int.self, forKey: .maxWindowLayers) ?? 28
            return (window, first < layers ? Array(Swift.max(0, first)..<layers) : [])
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(modelType, forKey: .modelType)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(numKeyValueHeads, forKey: .numKeyValueHeads)
        try c.encode(headDim, forKey: .headDim)
        try c.encode(rmsNormEps, forKey: .rmsNormEps)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        if case .frequencyDivisors = ropeScaling {
            throw EncodingError.invalidValue(ropeScaling as Any, EncodingError.Context(codingPath: encoder.codingPath + [CodingKeys.ropeScaling],
                debugDescription: "GGUF rope_freqs divisors have no transformers rope_scaling form"))
        }
        if ropeScaling != nil || mropeSection != nil {
            var parameters = ropeScaling.map(RopeParametersJSON.init) ?? RopeParametersJSON(type: "default")
            parameters.mropeSection = mropeSection
            try c.encode(parameters, forKey: .ropeScaling)
        }
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        try c.encode(qkvBias && outputBias, forKey: .attentionBias)
        try c.encode(hiddenAct, forKey: .hiddenAct)
        try c.encodeIfPresent(bosTokenID, forKey: .bosTokenID)
        if eosTokenIDs.count == 1 { try c.encode(eosTokenIDs[0], forKey: .eosTokenID) } else if !eosTokenIDs.isEmpty {
            try c.encode(eosTokenIDs, forKey: .eosTokenID)
        }
        if let slidingWindow, !slidingWindowLayers.isEmpty {
            try c.encode(slidingWindow, forKey: .slidingWindow)
            let sliding = Set(slidingWindowLayers)
            try c.encode((0..<numHiddenLayers).map { sliding.contains($0) ? "sliding_attention" : "full_attention" }, forKey: .layerTypes)
        }
    }

    /// Weights of the matrices (embeddings and head, per layer q/o, k/v and the three MLP
    /// matrices), computed with overflow checks; nil on overflow.
    public var parameterEstimate: Int? {
        ConfigBudget.checkedSum(ofProducts: [
            [2, vocabSize, hiddenSize], [numHiddenLayers, 2, numAttentionHeads, headDim, hiddenSize],
            [numHiddenLayers, 2, numKeyValueHeads, headDim, hiddenSize], [numHiddenLayers, 3, intermediateSize, hiddenSize],
        ])
    }

    /// Checks internal consistency (head counts divide, positive sizes, supported activation).
    public func validate() throws(ModelConfigError) {
        func require(_ condition: Bool, _ message: String) throws(ModelConfigError) {
            if !condition { throw ModelConfigError(message) }
        }
        try require(vocabSize > 0 && hiddenSize > 0 && intermediateSize > 0 && numHiddenLayers > 0,
                    "sizes must be positive (vocab \(vocabSize), hidden \(hiddenSize), intermediate \(intermediateSize), layers \(numHiddenLayers))")
        try require(numAttentionHeads > 0 && numKeyValueHeads > 0, "head counts must be positive")
        try require(numAttentionHeads % numKeyValueHeads == 0,
                    "num_attention_heads \(numAttentionHeads) is not a multiple of num_key_value_heads \(numKeyValueHeads)")
        try require(headDim > 0 && headDim % 2 == 0, "head_dim \(headDim) must be a positive even number for RoPE")
        try require(rmsNormEps > 0 && ropeTheta > 0, "rms_norm_eps and rope_theta must be positive")
        if let ropeScaling { try ropeScaling.validate() }
        if case .frequencyDivisors(let divisors) = ropeScaling {
            try require(divisors.count == headDim / 2, "rope_freqs has \(divisors.count) divisors; head_dim \(headDim) needs \(headDim / 2)")
        }
        if let mropeSection {
            try require(!mropeSection.isEmpty && mropeSection.allSatisfy { $0 > 0 } && mropeSection.reduce(0, +) == headDim / 2,
                        "mrope_section \(mropeSection) must be positive and sum to head_dim / 2 = \(headDim / 2)")
        }
        try require(["silu", "swish"].contains(hiddenAct), "hidden_act '\(hiddenAct)' is not supported (silu)")
        try require(rmsNormEps.isFinite && ropeTheta.isFinite, "rms_norm_eps and rope_theta must be finite")
        // ε far above 1 shrinks activations into denormals (decoding slows a thousandfold): no model uses it.
        try require(rmsNormEps < 1, "rms_norm_eps \(rmsNormEps) must be below 1")
        try require(maxPositionEmbeddings >= 1, "max_position_embeddings \(maxPositionEmbeddings) must be positive")
        if let slidingWindow { try require(slidingWindow >= 1, "sliding_window \(slidingWindow) must be positive") }
        try require(slidingWindowLayers.allSatisfy { (0..<numHiddenLayers).contains($0) }, "sliding-window layers must be layers of the model")
        try ConfigBudget.requireWidth(vocabSize, "vocab_size", maximum: ConfigBudget.maximumVocabulary)
        try ConfigBudget.requireWidth(hiddenSize, "hidden_size")
        try ConfigBudget.requireWidth(intermediateSize, "intermediate_size")
        try ConfigBudget.requireWidth(numHiddenLayers, "num_hidden_layers", maximum: ConfigBudget.maximumLayers)
        try ConfigBudget.requireWidth(numAttentionHeads, "num_attention_heads", maximum: hiddenSize)
        try ConfigBudget.requireWidth(headDim, "head_dim")
        try ConfigBudget.requireCount(parameters: parameterEstimate, what: "the language model")
    }
}

/// A model configuration that is inconsistent or uses something Lucid does not implement.
public struct ModelConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
