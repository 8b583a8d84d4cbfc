import LucidTensor

/// A decoder that reads images: the seam every multimodal method uses (decoders, attacks, the
/// Q-MLLM defence, SCAV on a VLM, attention analyses), so a new family conforms here once.
///
/// A prompt is token ids with image placeholders plus pixel values; `segments` pairs them,
/// `embed` turns segments into language-model inputs through the differentiable pixel path, and
/// `imageSpans` says where each image's features sit in that sequence. Position ids are explicit
/// (`positionIDs`, passed in `ForwardOptions.positions`) so families with their own layout (M-RoPE)
/// fit the same calls.
///
/// Conforming: LLaVA-1.5, LLaVA-NeXT and LLaVA-OneVision, Qwen2-VL / Qwen2.5-VL and InstructBLIP. An image is one tensor whose
/// form each family defines (normalised [1, 3, S, S] for LLaVA-1.5 and InstructBLIP, the [1 + tiles, 3, S, S]
/// stack for LLaVA-NeXT, the [1, 3, H, W] smart-resized image for Qwen2-VL and Qwen2.5-VL); what a family needs
/// beside the pixels (LLaVA-NeXT's original size, InstructBLIP's Q-Former instruction) is a property
/// of the model, like `visionFeatureTransform`. Families whose feature count depends on the image
/// answer `imageSpans(ids:images:)` and `imageFeatureCount(of:)`; M-RoPE families return their
/// positions from `ropePositions(ids:images:)`.
public protocol VisionLanguageModel: CausalLanguageModel {
    /// The token id that marks where an image goes in a prompt.
    var imagePlaceholderID: Int { get }
    /// Language-model inputs one image becomes.
    var imageFeatureCount: Int { get }
    /// Side of the square pixel input the vision tower takes.
    var imageSize: Int { get }
    /// Patches the vision tower sees per image (without a class token).
    var visionPatchCount: Int { get }
    /// Whether an image's features start with the vision tower's class token (then patches follow).
    var imageFeaturesIncludeClassToken: Bool { get }
    /// Width of the selected vision features (what `visionFeatureTransform` sees).
    var visionFeatureWidth: Int { get }
    /// Width of the language model's embeddings.
    var hiddenSize: Int { get }
    /// End-of-sequence token ids of the language model's configuration.
    var eosTokenIDs: [Int] { get }
    /// Applied to selected vision features [B, N, D_vision] before projection (Q-MLLM's quantiser); nil: none.
    var visionFeatureTransform: ((Tensor) -> Tensor)? { get set }
    /// Screens each image before generation: a non-nil answer is given instead (Q-MLLM's gate). A gate
    /// that reads `ImageGateInput.features` shares them with the prompt (`Decoding.prepare`).
    var imageGate: ((ImageGateInput) -> String?)? { get set }

    /// Splits token ids at image placeholders and pairs them with `images` (pixel values [1, C, H, W]).
    func segments(ids: [Int], images: [Tensor]) throws(PromptError) -> [PromptSegment]
    /// Where each of `imageCount` images' features sit in the embedded sequence of `ids`, in order.
    func imageSpans(ids: [Int], imageCount: Int) throws(PromptError) -> [Range<Int>]
    /// RoPE position ids [T] of the embedded sequence of `ids`, starting at `start` (what
    /// `ForwardOptions.positions` takes).
    func positionIDs(ids: [Int], imageCount: Int, start: Int) throws(PromptError) -> Tensor
    /// Input embeddings [1, T, D] of segments; images go through the vision tower (differentiably). An
    /// `.image(pixels)` segment embeds exactly as `.imageFeatures(imageFeatures(pixels))` would.
    func embed(_ segments: [PromptSegment], options: ForwardOptions, trace: ForwardTrace) throws(PromptError) -> Tensor
    /// Projected image features [B, N, D] of pixel values [B, C, H, W] (differentiable).
    func imageFeatures(_ pixels: Tensor, options: ForwardOptions, trace: ForwardTrace) -> Tensor
    /// The vision features the projector reads, [B, N, D_vision], before `visionFeatureTransform`.
    func selectedVisionFeatures(_ pixels: Tensor, options: ForwardOptions, trace: ForwardTrace) -> Tensor
    /// Projection of selected vision features into the language model (after `visionFeatureTransform`).
    func project(_ selected: Tensor) -> Tensor
    /// The vision tower's class ([CLS]) embedding of pixel values [B, C, H, W], [B, D_vision], taken from the
    /// hidden state the projector reads (the Q-MLLM paper's semantic input); `.unsupported` for a family
    /// that does not expose one (Qwen2-VL's tower has no class token).
    func visionClassEmbedding(_ pixels: Tensor, options: ForwardOptions, trace: ForwardTrace) throws(PromptError) -> Tensor
    /// DAMRO's outlier visual tokens: the top-`k` patches of the vision tower's [CLS] attention;
    /// `.unsupported` for a tower without a class token (Qwen2-VL, Qwen2.5-VL).
    func visionOutliers(_ pixels: Tensor, k: Int, attention: OutlierAttention) throws(PromptError) -> VisionOutliers
    /// One forward pass over a multimodal prompt, filling the trace with LLM and vision captures.
    func forward(ids: [Int], images: [Tensor], cache: KVCache?, options: ForwardOptions) throws(PromptError) -> ForwardTrace
    /// Checks one image's pixel values (and what the model holds for it) before anything runs on them;
    /// the non-throwing requirements (`imageFeatures`, the gate) may assume a checked image.
    func checkImage(_ pixels: Tensor) throws(PromptError)
    /// Language-model inputs the image `pixels` becomes (`imageFeatureCount` where that is fixed).
    func imageFeatureCount(of pixels: Tensor) throws(PromptError) -> Int
    /// Where each image's features sit in the embedded sequence of `ids`, from the images themselves.
    func imageSpans(ids: [Int], images: [Tensor]) throws(PromptError) -> [Range<Int>]
    /// Explicit RoPE positions of the embedded prompt for `ForwardOptions.positions` (M-RoPE's
    /// [3, 1, T]); nil where the implicit sequential positions are the model's.
    func ropePositions(ids: [Int], images: [Tensor]) throws(PromptError) -> Tensor?
    /// The image tensors as a prompt holding all of `images` encodes them, before each is checked:
    /// themselves, or what the family makes of an image among several (LLaVA-OneVision: its base tile
    /// alone, as transformers' `batch_num_images` does); `.unsupported` for a count the family cannot take.
    func promptImages(_ images: [Tensor]) throws(PromptError) -> [Tensor]
    /// What the positions of the image `pixels`' span are (a picture grid, whether its cells are the
    /// patches `visionOutliers` ranks), for attention analyses.
    func imageSpanLayout(of pixels: Tensor) throws(PromptError) -> ImageSpanLayout
}

extension VisionLanguageModel {
    /// Not exposed: families that read their tower's class token implement it (LLaVA-1.5).
    public func visionClassEmbedding(_ pixels: Tensor, options: ForwardOptions, trace: ForwardTrace) throws(PromptError) -> Tensor {
        throw .unsupported(reason: "\(type(of: self)) does not expose its vision tower's class embedding (the Q-MLLM paper variant needs one; LLaVA-1.5 has it)")
    }

    /// The class embedding, nothing captured.
    public func visionClassEmbedding(_ pixels: Tensor) throws(PromptError) -> Tensor {
        try visionClassEmbedding(pixels, options: ForwardOptions(), trace: ForwardTrace())
    }

    /// Nothing to check beyond what `segments` checks (LLaVA-1.5).
    public func checkImage(_ pixels: Tensor) throws(PromptError) {}

    /// The fixed `imageFeatureCount`.
    public func imageFeatureCount(of pixels: Tensor) throws(PromptError) -> Int { imageFeatureCount }

    /// `imageSpans(ids:imageCount:)` for families whose feature count is fixed.
    public func imageSpans(ids: [Int], images: [Tensor]) throws(PromptError) -> [Range<Int>] {
        try imageSpans(ids: ids, imageCount: images.count)
    }

    /// nil: sequential positions.
    public func ropePositions(ids: [Int], images: [Tensor]) throws(PromptError) -> Tensor? { nil }

    /// The images as given: each is encoded alone, whatever else the prompt holds.
    public func promptImages(_ images: [Tensor]) throws(PromptError) -> [Tensor] { images }

    /// Sequential positions `start ..< start + T` over the embedded sequence (1-D RoPE families).
    public func positionIDs(ids: [Int], imageCount: Int, start: Int) throws(PromptError) -> Tensor {
        let length = try embeddedLength(ids: ids, imageCount: imageCount)
        return Tensor.arange(start, start + length, dtype: .i64)
    }

    /// Input embeddings [1, T, D] of segments, nothing captured.
    public func embed(_ segments: [PromptSegment]) throws(PromptError) -> Tensor {
        try embed(segments, options: ForwardOptions(), trace: ForwardTrace())
    }

    /// Input embeddings [1, T, D] of token ids with placeholders and their images.
    public func embed(ids: [Int], images: [Tensor]) throws(PromptError) -> Tensor {
        try embed(try segments(ids: ids, images: images))
    }

    /// Projected image features [B, N, D] of pixel values [B, C, H, W], nothing captured.
    public func imageFeatures(_ pixels: Tensor) -> Tensor { imageFeatures(pixels, options: ForwardOptions(), trace: ForwardTrace()) }

    /// Selected vision features [B, N, D_vision], nothing captured.
    public func selectedVisionFeatures(_ pixels: Tensor) -> Tensor {
        selectedVisionFeatures(pixels, options: ForwardOptions(), trace: ForwardTrace())
    }

    /// DAMRO's outliers with the official single-head attention.
    public func visionOutliers(_ pixels: Tensor, k: Int) throws(PromptError) -> VisionOutliers {
        try visionOutliers(pixels, k: k, attention: .singleHead)
    }

    /// Length of the embedded sequence of `ids` with `imageCount` images (text tokens + image features).
    public func embeddedLength(ids: [Int], imageCount: Int) throws(PromptError) -> Int {
        let spans = try imageSpans(ids: ids, imageCount: imageCount)
        let placeholders = ids.reduce(0) { $0 + ($1 == imagePlaceholderID ? 1 : 0) }
        return ids.count - placeholders + spans.reduce(0) { $0 + $1.count }
    }

    /// Length of the embedded sequence of `ids` with `images` (text tokens + each image's features).
    public func embeddedLength(ids: [Int], images: [Tensor]) throws(PromptError) -> Int {
        let spans = try imageSpans(ids: ids, images: images)
        let placeholders = ids.reduce(0) { $0 + ($1 == imagePlaceholderID ? 1 : 0) }
        // One placeholder per image, or each image's full run: either way the spans replace them.
        return ids.count - placeholders + spans.reduce(0) { $0 + $1.count }
    }
}
