import Foundation
import LucidFiles

/// The ViT of InstructBLIP / BLIP-2 (Hugging Face `InstructBlipVisionConfig`).
public struct InstructBlipVisionConfig: Decodable, Sendable, Equatable {
    public var hiddenSize = 1408
    public var intermediateSize = 6144
    public var numHiddenLayers = 39
    public var numAttentionHeads = 16
    public var imageSize = 224
    public var patchSize = 14
    public var hiddenAct = "gelu"
    public var layerNormEps = 1e-6

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", imageSize = "image_size", patchSize = "patch_size"
        case hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps"
    }

    /// Keys missing take transformers' defaults (EVA ViT-g/14).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hiddenSize = try c.decodeIfPresentNonNull(Int.self, forKey: .hiddenSize) ?? hiddenSize
        intermediateSize = try c.decodeIfPresentNonNull(Int.self, forKey: .intermediateSize) ?? intermediateSize
        numHiddenLayers = try c.decodeIfPresentNonNull(Int.self, forKey: .numHiddenLayers) ?? numHiddenLayers
        numAttentionHeads = try c.decodeIfPresentNonNull(Int.self, forKey: .numAttentionHeads) ?? numAttentionHeads
        imageSize = try c.decodeIfPresentNonNull(Int.self, forKey: .imageSize) ?? imageSize
        patchSize = try c.decodeIfPresentNonNull(Int.self, forKey: .patchSize) ?? patchSize
        hiddenAct = try c.decodeIfPresentNonNull(String.self, forKey: .hiddenAct) ?? hiddenAct
        layerNormEps = try c.decodeIfPresentNonNull(Double.self, forKey: .layerNormEps) ?? layerNormEps
    }

    /// Patches per image (without the class token).
    public var patchCount: Int { (imageSize / max(patchSize, 1)) * (imageSize / max(patchSize, 1)) }

    public func validate() throws(ModelConfigError) {
        guard (1...65_536).contains(hiddenSize), (1...262_144).contains(intermediateSize), (1...256).contains(numHiddenLayers),
              numAttentionHeads > 0, hiddenSize % numAttentionHeads == 0, (1...4096).contains(imageSize),
              (1...imageSize).contains(patchSize), imageSize % patchSize == 0, layerNormEps.isFinite, layerNormEps > 0 else {
            throw ModelConfigError("vision_config sizes are out of range or inconsistent (hidden \(hiddenSize), heads \(numAttentionHeads), image \(imageSize), patch \(patchSize))")
        }
        try requireActivation(hiddenAct, key: "vision hidden_act")
    }
}

/// The Querying Transformer of InstructBLIP (Hugging Face `InstructBlipQFormerConfig`): a BERT encoder
/// whose query positions cross-attend to the image every `cross_attention_frequency` layers.
public struct InstructBlipQFormerConfig: Decodable, Sendable, Equatable {
    public var vocabSize = 30522
    public var hiddenSize = 768
    public var numHiddenLayers = 12
    public var numAttentionHeads = 12
    public var intermediateSize = 3072
    public var hiddenAct = "gelu"
    public var maxPositionEmbeddings = 512
    public var layerNormEps = 1e-12
    public var crossAttentionFrequency = 2
    public var encoderHiddenSize = 1408

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size", hiddenAct = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings", layerNormEps = "layer_norm_eps"
        case crossAttentionFrequency = "cross_attention_frequency", encoderHiddenSize = "encoder_hidden_size"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.decodeIfPresentNonNull(Int.self, forKey: .vocabSize) ?? vocabSize
        hiddenSize = try c.decodeIfPresentNonNull(Int.self, forKey: .hiddenSize) ?? hiddenSize
        numHiddenLayers = try c.decodeIfPresentNonNull(Int.self, forKey: .numHiddenLayers) ?? numHiddenLayers
        numAttentionHeads = try c.decodeIfPresentNonNull(Int.self, forKey: .numAttentionHeads) ?? numAttentionHeads
        intermediateSize = try c.decodeIfPresentNonNull(Int.self, forKey: .intermediateSize) ?? intermediateSize
        hiddenAct = try c.decodeIfPresentNonNull(String.self, forKey: .hiddenAct) ?? hiddenAct
        maxPositionEmbeddings = try c.decodeIfPresentNonNull(Int.self, forKey: .maxPositionEmbeddings) ?? maxPositionEmbeddings
        layerNormEps = try c.decodeIfPresentNonNull(Double.self, forKey: .layerNormEps) ?? layerNormEps
        crossAttentionFrequency = try c.decodeIfPresentNonNull(Int.self, forKey: .crossAttentionFrequency) ?? crossAttentionFrequency
        encoderHiddenSize = try c.decodeIfPresentNonNull(Int.self, forKey: .encoderHiddenSize) ?? encoderHiddenSize
    }

    public func validate() throws(ModelConfigError) {
        guard (1...1_000_000).contains(vocabSize), (1...65_536).contains(hiddenSize), (1...256).contains(numHiddenLayers),
              numAttentionHeads > 0, hiddenSize % numAttentionHeads == 0, (1...262_144).contains(intermediateSize),
              (1...65_536).contains(maxPositionEmbeddings), (1...256).contains(crossAttentionFrequency),
              (1...65_536).contains(encoderHiddenSize), layerNormEps.isFinite, layerNormEps > 0 else {
            throw ModelConfigError("qformer_config sizes are out of range or inconsistent (hidden \(hiddenSize), heads \(numAttentionHeads))")
        }
        try requireActivation(hiddenAct, key: "qformer hidden_act")
    }
}

/// Hyper-parameters of an InstructBLIP model (`model_type: instructblip`) with a Llama-family decoder
/// (Vicuna); Flan-T5 decoders are refused when loading.
public struct InstructBlipConfig: Decodable, Sendable, Equatable {
    public var visionConfig: InstructBlipVisionConfig
    public var qformerConfig: InstructBlipQFormerConfig
    public var textConfig: LlamaConfig
    public var numQueryTokens: Int
    /// The placeholder id whose run the query features replace (`image_token_index`).
    public var imageTokenIndex: Int

    enum CodingKeys: String, CodingKey {
        case visionConfig = "vision_config", qformerConfig = "qformer_config", textConfig = "text_config"
        case numQueryTokens = "num_query_tokens", imageTokenIndex = "image_token_index", imageTokenID = "image_token_id"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        visionConfig = try c.decode(InstructBlipVisionConfig.self, forKey: .visionConfig)
        qformerConfig = try c.decode(InstructBlipQFormerConfig.self, forKey: .qformerConfig)
        textConfig = try c.decode(LlamaConfig.self, forKey: .textConfig)
        numQueryTokens = try c.decodeIfPresentNonNull(Int.self, forKey: .numQueryTokens) ?? 32
        let index = try c.decodeWholeNumberIfPresent(forKey: .imageTokenIndex) ?? c.decodeWholeNumberIfPresent(forKey: .imageTokenID)
        guard let index else {
            throw DecodingError.dataCorruptedError(forKey: .imageTokenIndex, in: c,
                debugDescription: "image_token_index is missing (checkpoints converted before transformers 4.46 lack it; Lucid needs the placeholder id)")
        }
        imageTokenIndex = index
    }

    public func validate() throws(ModelConfigError) {
        try visionConfig.validate()
        try qformerConfig.validate()
        try textConfig.validate()
        guard (1...1024).contains(numQueryTokens) else { throw ModelConfigError("num_query_tokens \(numQueryTokens) is out of range") }
        guard qformerConfig.encoderHiddenSize == visionConfig.hiddenSize else {
            throw ModelConfigError("qformer encoder_hidden_size \(qformerConfig.encoderHiddenSize) is not the ViT's width \(visionConfig.hiddenSize)")
        }
        guard (0..<textConfig.vocabSize).contains(imageTokenIndex) else {
            throw ModelConfigError("image_token_index \(imageTokenIndex) is outside the vocabulary (0..<\(textConfig.vocabSize))")
        }
    }
}
