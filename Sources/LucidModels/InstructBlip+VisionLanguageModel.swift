import LucidTensor

/// InstructBLIP under the `VisionLanguageModel` seam: an image is normalised pixel values [1, 3, S, S];
/// the "projector" is the Q-Former (reading `qformerInstruction`) and the language projection, so an
/// image becomes `num_query_tokens` features (OPERA's image span is the query tokens) and Q-MLLM's
/// quantiser sits between the ViT and the Q-Former.
extension InstructBlipForConditionalGeneration: FixedCountImagePrompts {
    /// One image a prompt: transformers' `InstructBlipProcessor` pairs a text with one image, whose query
    /// tokens it puts first, and the Q-Former reads one instruction; several have no reference to match.
    public var imagesPerPromptLimit: (most: Int, reason: String)? {
        (1, "InstructBLIP takes one image a prompt (transformers' InstructBlipProcessor pairs a text with one image)")
    }
    /// The query tokens every image becomes.
    public var imageFeatureCount: Int { config.numQueryTokens }
    public var imageSize: Int { config.visionConfig.imageSize }
    public var visionPatchCount: Int { config.visionConfig.patchCount }
    /// The features are query tokens, not patches.
    public var imageFeaturesIncludeClassToken: Bool { false }
    public var visionFeatureWidth: Int { config.visionConfig.hiddenSize }
    public var hiddenSize: Int { config.textConfig.hiddenSize }
    public var eosTokenIDs: [Int] { config.textConfig.eosTokenIDs }

    /// Checks the pixel values and `qformerInstruction`.
    public func checkImage(_ pixels: Tensor) throws(PromptError) { try check(pixels, instruction: qformerInstruction) }

    /// Projected query outputs [B, Q, D] of checked pixel values with `qformerInstruction`.
    public func imageFeatures(_ pixels: Tensor, options: ForwardOptions, trace: ForwardTrace) -> Tensor {
        project(selectedVisionFeatures(pixels, options: options, trace: trace))
    }

    /// The ViT's post-normed output [B, 1 + patches, D_vision]: what the Q-Former cross-attends to.
    public func selectedVisionFeatures(_ pixels: Tensor, options: ForwardOptions, trace: ForwardTrace) -> Tensor {
        visionOutput(pixels, options: options, trace: trace)
    }

    /// The Q-Former (with `qformerInstruction`) and the language projection of ViT features (after
    /// `visionFeatureTransform`): [B, Q, D].
    public func project(_ selected: Tensor) -> Tensor {
        languageProjection(queries(reading: visionFeatureTransform.map { $0(selected) } ?? selected, instruction: qformerInstruction))
    }

    /// The span is the Q-Former's query tokens (OPERA's image span on a Q-Former model): no picture grid,
    /// and no query is a ViT patch.
    public func imageSpanLayout(of pixels: Tensor) throws(PromptError) -> ImageSpanLayout { .noGrid }

    /// DAMRO as its official InstructBLIP code: the [CLS] row of the ViT's last layer picks the outlier
    /// patches; the Q-Former reads only those patches' features, and its projected queries [1, Q, D]
    /// stand for the image.
    public func visionOutliers(_ pixels: Tensor, k: Int, attention: OutlierAttention) throws(PromptError) -> VisionOutliers {
        try checkImage(pixels)
        let layer = config.visionConfig.numHiddenLayers - 1
        var options = ForwardOptions()
        options.visionQueryKeyLayers = .layers([layer])
        let trace = ForwardTrace()
        let image = pixels.narrowed(axis: 0, start: 0, length: 1)
        let output = visionOutput(image, options: options, trace: trace)
        guard let q = trace.visionQueries[layer], let key = trace.visionKeys[layer] else {
            throw .invalidImage(reason: "the ViT's q/k of layer \(layer) were not captured")
        }
        let cls = VisionOutliers.classRow(query: q, key: key, heads: config.visionConfig.numAttentionHeads, attention: attention)
        let count = Swift.min(Swift.max(1, k), cls.size(0))
        let top = cls.topK(count).indices
        let gathered = output.narrowed(axis: 1, start: 1, length: output.size(1) - 1).indexSelect(axis: 1, index: top)
        return VisionOutliers(indices: top.toArray(Int.self), clsAttention: cls, features: project(gathered))
    }
}
