import Foundation
import LucidFiles

/// The vision tower of Qwen2-VL (Hugging Face `Qwen2VLVisionConfig`).
public struct Qwen2VLVisionConfig: Decodable, Sendable, Equatable {
    public var depth: Int
    public var embedDim: Int
    /// Output width of the patch merger (the language model's hidden size).
    public var hiddenSize: Int
    public var hiddenAct: String
    public var mlpRatio: Double
    public var numHeads: Int
    public var inChannels: Int
    public var patchSize: Int
    public var spatialMergeSize: Int
    public var temporalPatchSize: Int
    public var ropeTheta: Double

    enum CodingKeys: String, CodingKey {
        case depth, embedDim = "embed_dim", hiddenSize = "hidden_size", hiddenAct = "hidden_act", mlpRatio = "mlp_ratio"
        case numHeads = "num_heads", inChannels = "in_channels", inChans = "in_chans", patchSize = "patch_size"
        case spatialMergeSize = "spatial_merge_size", temporalPatchSize = "temporal_patch_size"
        case ropeParameters = "rope_parameters"
    }

    struct RopeTheta: Decodable {
        var ropeTheta: Double?
        enum CodingKeys: String, CodingKey { case ropeTheta = "rope_theta" }
    }

    /// Keys missing take transformers' defaults (Qwen2-VL-7B's tower).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        depth = try c.decodeIfPresentNonNull(Int.self, forKey: .depth) ?? 32
        embedDim = try c.decodeIfPresentNonNull(Int.self, forKey: .embedDim) ?? 1280
        hiddenSize = try c.decodeIfPresentNonNull(Int.self, forKey: .hiddenSize) ?? 3584
        hiddenAct = try c.decodeIfPresentNonNull(String.self, forKey: .hiddenAct) ?? "quick_gelu"
        mlpRatio = try c.decodeIfPresentNonNull(Double.self, forKey: .mlpRatio) ?? 4
        numHeads = try c.decodeIfPresentNonNull(Int.self, forKey: .numHeads) ?? 16
        inChannels = try c.decodeIfPresentNonNull(Int.self, forKey: .inChannels) ?? c.decodeIfPresent(Int.self, forKey: .inChans) ?? 3
        patchSize = try c.decodeIfPresentNonNull(Int.self, forKey: .patchSize) ?? 14
        spatialMergeSize = try c.decodeIfPresentNonNull(Int.self, forKey: .spatialMergeSize) ?? 2
        temporalPatchSize = try c.decodeIfPresentNonNull(Int.self, forKey: .temporalPatchSize) ?? 2
        ropeTheta = try c.decodeIfPresent(RopeTheta.self, forKey: .ropeParameters)?.ropeTheta ?? 10000
    }

    /// Head width of the tower's attention.
    public var headDim: Int { embedDim / max(numHeads, 1) }
    /// Width of the tower's MLP (`int(embed_dim * mlp_ratio)`).
    public var mlpWidth: Int { Int(Double(embedDim) * mlpRatio) }
    /// Values per flattened patch (C · T · P · P).
    public var patchValues: Int { inChannels * temporalPatchSize * patchSize * patchSize }

    public func validate() throws(ModelConfigError) {
        guard (1...256).contains(depth), (1...65_536).contains(embedDim), (1...65_536).contains(hiddenSize),
              numHeads > 0, embedDim % numHeads == 0, headDim % 4 == 0 else {
            throw ModelConfigError("vision depth \(depth), embed_dim \(embedDim), hidden_size \(hiddenSize) or num_heads \(numHeads) "
                                   + "is out of range (head width must be a multiple of 4 for the 2-D rotary embedding)")
        }
        guard mlpRatio.isFinite, mlpRatio > 0, mlpRatio <= 64, ropeTheta.isFinite, ropeTheta > 0 else {
            throw ModelConfigError("vision mlp_ratio \(mlpRatio) or rope_theta \(ropeTheta) is out of range")
        }
        guard (1...16).contains(inChannels), (1...1024).contains(patchSize), (1...16).contains(spatialMergeSize),
              (1...16).contains(temporalPatchSize) else {
            throw ModelConfigError("vision in_channels, patch_size, spatial_merge_size or temporal_patch_size is out of range")
        }
        guard ["quick_gelu", "gelu", "gelu_pytorch_tanh", "silu"].contains(hiddenAct) else {
            throw ModelConfigError("vision hidden_act '\(hiddenAct)' is not supported")
        }
    }
}

/// Hyper-parameters of a Qwen2-VL model (Hugging Face `Qwen2VLConfig`, `model_type: qwen2_vl`).
///
/// Reads both layouts: transformers 5.x's nested `text_config`, and the Hub's 4.x configs whose text
/// keys sit at the top level with `rope_scaling: {type: mrope, mrope_section}`.
public struct Qwen2VLConfig: Decodable, Sendable, Equatable {
    public var visionConfig: Qwen2VLVisionConfig
    /// The Qwen2 decoder (q/k/v biases, M-RoPE sections in `mropeSection`).
    public var textConfig: LlamaConfig
    public var imageTokenID: Int
    public var videoTokenID: Int
    public var visionStartTokenID: Int
    public var visionEndTokenID: Int

    enum CodingKeys: String, CodingKey {
        case visionConfig = "vision_config", textConfig = "text_config", imageTokenID = "image_token_id"
        case videoTokenID = "video_token_id", visionStartTokenID = "vision_start_token_id"
        case visionEndTokenID = "vision_end_token_id", tieWordEmbeddings = "tie_word_embeddings"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        visionConfig = try c.decode(Qwen2VLVisionConfig.self, forKey: .visionConfig)
        var text = try c.decodeIfPresent(LlamaConfig.self, forKey: .textConfig) ?? LlamaConfig(from: decoder)
        // Qwen2's attention: biases on q/k/v, none on the output projection.
        text.qkvBias = true
        text.outputBias = false
        if let tied = try c.decodeIfPresentNonNull(Bool.self, forKey: .tieWordEmbeddings) { text.tieWordEmbeddings = tied || text.tieWordEmbeddings }
        textConfig = text
        imageTokenID = try c.decodeIfPresentNonNull(Int.self, forKey: .imageTokenID) ?? 151_655
        videoTokenID = try c.decodeIfPresentNonNull(Int.self, forKey: .videoTokenID) ?? 151_656
        visionStartTokenID = try c.decodeIfPresentNonNull(Int.self, forKey: .visionStartTokenID) ?? 151_652
        visionEndTokenID = try c.decodeIfPresentNonNull(Int.self, forKey: .visionEndTokenID) ?? 151_653
    }

    public func validate() throws(ModelConfigError) {
        try visionConfig.validate()
        try textConfig.validate()
        guard textConfig.mropeSection != nil else {
            throw ModelConfigError("Qwen2-VL's text config needs mrope_section (in rope_parameters or rope_scaling)")
        }
        guard visionConfig.hiddenSize == textConfig.hiddenSize else {
            throw ModelConfigError("the merger's output width \(visionConfig.hiddenSize) is not the decoder's hidden size \(textConfig.hiddenSize)")
        }
        for id in [imageTokenID, visionStartTokenID, visionEndTokenID] where id < 0 || id >= textConfig.vocabSize {
            throw ModelConfigError("special token id \(id) is outside the vocabulary (0..<\(textConfig.vocabSize))")
        }
    }
}
