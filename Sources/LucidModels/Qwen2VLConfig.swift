import Foundation
import LucidFiles

/// The vision tower of Qwen2-VL (Hugging Face `Qwen2VLVisionConfig`) or Qwen2.5-VL
/// (`Qwen2_5_VLVisionConfig`), one type for both: the two towers share the patch embedding, the 2-D
/// rotary embedding, the attention and the 2 × 2 merger, and differ in `variant`.
public struct Qwen2VLVisionConfig: Sendable, Equatable {
    /// Which tower: Qwen2-VL's (LayerNorm, GELU MLP, attention over the whole image) or Qwen2.5-VL's
    /// (RMSNorm, gated SiLU MLP with biases, window attention except in `fullAttentionBlocks`).
    public enum Variant: String, Sendable, Equatable {
        case qwen2VL = "qwen2_vl"
        case qwen25VL = "qwen2_5_vl"
    }

    public var variant: Variant
    public var depth: Int
    /// Width of the tower (Qwen2-VL's `embed_dim`, Qwen2.5-VL's `hidden_size`).
    public var embedDim: Int
    /// Output width of the patch merger, the language model's hidden size (Qwen2-VL's `hidden_size`,
    /// Qwen2.5-VL's `out_hidden_size`).
    public var hiddenSize: Int
    public var hiddenAct: String
    /// Qwen2-VL: the MLP is `embed_dim · mlp_ratio` wide.
    public var mlpRatio: Double
    /// Qwen2.5-VL: the gated MLP's width (`intermediate_size`); nil for Qwen2-VL.
    public var intermediateSize: Int?
    public var numHeads: Int
    public var inChannels: Int
    public var patchSize: Int
    public var spatialMergeSize: Int
    public var temporalPatchSize: Int
    public var ropeTheta: Double
    /// Qwen2.5-VL: side of an attention window in pixels (`window_size`; 112 = 4 × 4 merged patches).
    public var windowSize: Int?
    /// Qwen2.5-VL: blocks that attend over the whole image (`fullatt_block_indexes`); the others attend
    /// within windows.
    public var fullAttentionBlocks: [Int]

    enum CodingKeys: String, CodingKey {
        case depth, embedDim = "embed_dim", hiddenSize = "hidden_size", hiddenAct = "hidden_act", mlpRatio = "mlp_ratio"
        case numHeads = "num_heads", inChannels = "in_channels", inChans = "in_chans", patchSize = "patch_size"
        case spatialMergeSize = "spatial_merge_size", temporalPatchSize = "temporal_patch_size"
        case ropeParameters = "rope_parameters", intermediateSize = "intermediate_size", outHiddenSize = "out_hidden_size"
        case windowSize = "window_size", fullAttentionBlocks = "fullatt_block_indexes"
    }

    struct RopeTheta: Decodable {
        var ropeTheta: Double?
        enum CodingKeys: String, CodingKey { case ropeTheta = "rope_theta" }
    }

    /// Reads the `vision_config` of `variant`; keys missing take transformers' defaults (Qwen2-VL-7B's
    /// tower, or `Qwen2_5_VLVisionConfig`'s).
    public init(from decoder: Decoder, variant: Variant) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.variant = variant
        depth = try c.decodeIfPresentNonNull(Int.self, forKey: .depth) ?? 32
        numHeads = try c.decodeIfPresentNonNull(Int.self, forKey: .numHeads) ?? 16
        inChannels = try c.decodeIfPresentNonNull(Int.self, forKey: .inChannels) ?? c.decodeWholeNumberIfPresent(forKey: .inChans) ?? 3
        patchSize = try c.decodeIfPresentNonNull(Int.self, forKey: .patchSize) ?? 14
        spatialMergeSize = try c.decodeIfPresentNonNull(Int.self, forKey: .spatialMergeSize) ?? 2
        temporalPatchSize = try c.decodeIfPresentNonNull(Int.self, forKey: .temporalPatchSize) ?? 2
        ropeTheta = try c.decodeIfPresent(RopeTheta.self, forKey: .ropeParameters)?.ropeTheta ?? 10000
        mlpRatio = try c.decodeIfPresentNonNull(Double.self, forKey: .mlpRatio) ?? 4
        switch variant {
        case .qwen2VL:
            embedDim = try c.decodeIfPresentNonNull(Int.self, forKey: .embedDim) ?? 1280
            hiddenSize = try c.decodeIfPresentNonNull(Int.self, forKey: .hiddenSize) ?? 3584
            hiddenAct = try c.decodeIfPresentNonNull(String.self, forKey: .hiddenAct) ?? "quick_gelu"
            intermediateSize = nil
            windowSize = nil
            fullAttentionBlocks = []
        case .qwen25VL:
            embedDim = try c.decodeIfPresentNonNull(Int.self, forKey: .hiddenSize) ?? 3584
            hiddenSize = try c.decodeIfPresentNonNull(Int.self, forKey: .outHiddenSize) ?? 3584
            hiddenAct = try c.decodeIfPresentNonNull(String.self, forKey: .hiddenAct) ?? "silu"
            intermediateSize = try c.decodeIfPresentNonNull(Int.self, forKey: .intermediateSize) ?? 3420
            windowSize = try c.decodeIfPresentNonNull(Int.self, forKey: .windowSize) ?? 112
            fullAttentionBlocks = try c.decodeIfPresentNonNull([Int].self, forKey: .fullAttentionBlocks) ?? [7, 15, 23, 31]
        }
    }

    /// Head width of the tower's attention.
    public var headDim: Int { embedDim / max(numHeads, 1) }
    /// Width of the tower's MLP (Qwen2-VL's `int(embed_dim * mlp_ratio)`, Qwen2.5-VL's `intermediate_size`).
    public var mlpWidth: Int { intermediateSize ?? Int(Double(embedDim) * mlpRatio) }
    /// Values per flattened patch (C · T · P · P).
    public var patchValues: Int { inChannels * temporalPatchSize * patchSize * patchSize }
    /// Qwen2.5-VL: side of a window in merged patches (`window_size // spatial_merge_size // patch_size`); nil: no windows.
    public var windowMergedSide: Int? { windowSize.map { $0 / max(spatialMergeSize, 1) / max(patchSize, 1) } }

    public func validate() throws(ModelConfigError) {
        guard (1...256).contains(depth), (1...65_536).contains(embedDim), (1...65_536).contains(hiddenSize),
              numHeads > 0, embedDim % numHeads == 0, headDim % 4 == 0 else {
            throw ModelConfigError("vision depth \(depth), width \(embedDim), output width \(hiddenSize) or num_heads \(numHeads) "
                                   + "is out of range (head width must be a multiple of 4 for the 2-D rotary embedding)")
        }
        guard mlpRatio.isFinite, mlpRatio > 0, mlpRatio <= 64, ropeTheta.isFinite, ropeTheta > 0, (1...262_144).contains(mlpWidth) else {
            throw ModelConfigError("vision MLP width \(mlpWidth) (mlp_ratio \(mlpRatio), intermediate_size \(intermediateSize.map(String.init) ?? "none")) or rope_theta \(ropeTheta) is out of range")
        }
        guard (1...16).contains(inChannels), (1...1024).contains(patchSize), (1...16).contains(spatialMergeSize),
              (1...16).contains(temporalPatchSize) else {
            throw ModelConfigError("vision in_channels, patch_size, spatial_merge_size or temporal_patch_size is out of range")
        }
        try requireActivation(hiddenAct, key: "vision hidden_act")
        if let windowSize {
            guard (1...65_536).contains(windowSize), let side = windowMergedSide, side >= 1 else {
                throw ModelConfigError("vision window_size \(windowSize) must be a positive multiple of patch_size × spatial_merge_size (\(patchSize * spatialMergeSize))")
            }
        }
        if let bad = fullAttentionBlocks.first(where: { !(0..<depth).contains($0) }) {
            throw ModelConfigError("vision fullatt_block_indexes holds \(bad), outside the \(depth) blocks")
        }
    }
}

/// Hyper-parameters of a Qwen2-VL model (Hugging Face `Qwen2VLConfig`, `model_type: qwen2_vl`) or a
/// Qwen2.5-VL model (`Qwen2_5_VLConfig`, `model_type: qwen2_5_vl`: the same decoder, another tower).
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

    /// The `model_type`s this configuration reads.
    public static let modelTypes = [Qwen2VLVisionConfig.Variant.qwen2VL.rawValue, Qwen2VLVisionConfig.Variant.qwen25VL.rawValue]

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case visionConfig = "vision_config", textConfig = "text_config", imageTokenID = "image_token_id"
        case videoTokenID = "video_token_id", visionStartTokenID = "vision_start_token_id"
        case visionEndTokenID = "vision_end_token_id", tieWordEmbeddings = "tie_word_embeddings"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // The top-level model_type picks the tower (a config without one is Qwen2-VL's).
        let type = try c.decodeIfPresentNonNull(String.self, forKey: .modelType) ?? Qwen2VLVisionConfig.Variant.qwen2VL.rawValue
        guard let variant = Qwen2VLVisionConfig.Variant(rawValue: type) else {
            throw DecodingError.dataCorruptedError(forKey: .modelType, in: c, debugDescription: "model_type '\(type)' is not one of \(Self.modelTypes)")
        }
        visionConfig = try Qwen2VLVisionConfig(from: c.superDecoder(forKey: .visionConfig), variant: variant)
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
