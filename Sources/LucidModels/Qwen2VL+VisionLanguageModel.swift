import LucidTensor

/// Qwen2-VL under the `VisionLanguageModel` seam: an image is the normalised smart-resized image
/// [1, C, H, W] (H and W multiples of patch × merge), flattened into the processor's patches
/// [h·w, C·T·P·P] by tensor ops (`patches(of:)`, differentiable), so attacks reach the pixels; the
/// decoder gets M-RoPE positions from `ropePositions(ids:images:)`. Its tower has no class token,
/// so DAMRO is refused (`.unsupported`). Qwen2.5-VL is the same class with its own tower.
extension Qwen2VLForConditionalGeneration: VisionLanguageModel {
    /// Side of the square image callers without one of their own use (Qwen2-VL takes any multiple of
    /// patch × merge; this is 8 merged patches, 224 pixels for 14-px patches).
    public var imageSize: Int { config.visionConfig.patchSize * config.visionConfig.spatialMergeSize * 8 }
    /// Features of an `imageSize` square image.
    public var imageFeatureCount: Int { imageFeatureCount(grid(height: imageSize, width: imageSize)) }
    /// Patches of an `imageSize` square image.
    public var visionPatchCount: Int { grid(height: imageSize, width: imageSize).patchCount }
    public var imageFeaturesIncludeClassToken: Bool { false }
    public var visionFeatureWidth: Int { config.visionConfig.embedDim }
    public var hiddenSize: Int { config.textConfig.hiddenSize }
    public var eosTokenIDs: [Int] { config.textConfig.eosTokenIDs }

    /// The one-frame patch grid of an H × W image.
    func grid(height: Int, width: Int) -> Qwen2VLGrid {
        Qwen2VLGrid(t: 1, h: height / config.visionConfig.patchSize, w: width / config.visionConfig.patchSize)
    }

    /// Largest image side accepted (the processor's default max_pixels gives sides far below it).
    public static let maximumImageSide = 16384

    /// Checks that `pixels` are one [1, C, H, W] image with H and W positive multiples of patch × merge.
    public func checkImage(_ pixels: Tensor) throws(PromptError) {
        let v = config.visionConfig
        let factor = v.patchSize * v.spatialMergeSize
        guard pixels.rank == 4, pixels.size(0) == 1, pixels.size(1) == v.inChannels,
              (factor...Self.maximumImageSide).contains(pixels.size(2)), (factor...Self.maximumImageSide).contains(pixels.size(3)),
              pixels.size(2) % factor == 0, pixels.size(3) % factor == 0 else {
            throw .invalidImage(reason: "\(familyName) takes one image [1, \(v.inChannels), H, W] with H and W multiples of \(factor) up to \(Self.maximumImageSide), got \(pixels.shape)")
        }
    }

    /// The processor's flattened patches [h·w, C·T·P·P] of an image [1, C, H, W] (the frame repeated
    /// `temporal_patch_size` times, patches in 2 × 2 merge-block order), as tensor ops.
    public func patches(of pixels: Tensor) -> Tensor {
        let v = config.visionConfig
        let (p, m, t, c) = (v.patchSize, v.spatialMergeSize, v.temporalPatchSize, v.inChannels)
        let (gridH, gridW) = (pixels.size(2) / p, pixels.size(3) / p)
        return pixels.selected(axis: 0, index: 0).reshaped([c, gridH / m, m, p, gridW / m, m, p])
            .permuted(1, 4, 2, 5, 0, 3, 6)
            .unsqueezed(axis: 5)
            .expanded([gridH / m, gridW / m, m, m, c, t, p, p])
            .contiguous()
            .reshaped([gridH * gridW, c * t * p * p])
    }

    /// The image [1, C, H, W] whose `patches(of:)` are `patches` [t·h·w, C·T·P·P] of `grid` (the
    /// processor's `pixel_values` and `image_grid_thw`); a grid with frames that differ (video) is refused.
    public func image(fromPatches patches: Tensor, grid: Qwen2VLGrid) throws(PromptError) -> Tensor {
        try check(Qwen2VLImage(patches: patches, grid: grid))
        let v = config.visionConfig
        let (p, m, t, c) = (v.patchSize, v.spatialMergeSize, v.temporalPatchSize, v.inChannels)
        guard grid.t == 1 else { throw .invalidImage(reason: "image_grid_thw has \(grid.t) frames: Lucid takes images (t = 1), not video") }
        let blocks = patches.reshaped([grid.h / m, grid.w / m, m, m, c, t, p, p])
        let first = blocks.narrowed(axis: 5, start: 0, length: 1)
        guard blocks.maxAbsDifference(first.expanded(blocks.shape)) == 0 else {
            throw .invalidImage(reason: "the \(t) temporal copies of the patches differ: these pixel_values are not one image")
        }
        return first.squeezed(axis: 5).permuted(4, 0, 2, 5, 1, 3, 6).contiguous().reshaped([1, c, grid.h * p, grid.w * p])
    }

    public func imageFeatureCount(of pixels: Tensor) throws(PromptError) -> Int {
        try checkImage(pixels)
        return imageFeatureCount(grid(height: pixels.size(2), width: pixels.size(3)))
    }

    public func segments(ids: [Int], images: [Tensor]) throws(PromptError) -> [PromptSegment] {
        let counts = try images.map { (pixels) throws(PromptError) -> Int in try imageFeatureCount(of: pixels) }
        return PromptLayout.segments(try PromptLayout.split(ids, placeholder: imagePlaceholderID, counts: counts), images: images)
    }

    public func imageSpans(ids: [Int], images: [Tensor]) throws(PromptError) -> [Range<Int>] {
        let counts = try images.map { (pixels) throws(PromptError) -> Int in try imageFeatureCount(of: pixels) }
        return PromptLayout.spans(try PromptLayout.split(ids, placeholder: imagePlaceholderID, counts: counts), counts: counts)
    }

    /// Spans of a prompt with each image's full placeholder run (an image's size decides its count, so
    /// one placeholder per image needs `imageSpans(ids:images:)`).
    public func imageSpans(ids: [Int], imageCount: Int) throws(PromptError) -> [Range<Int>] {
        if imageCount == 0 { return try imageSpans(ids: ids, images: []) }
        guard let counts = PromptLayout.runLengths(ids, placeholder: imagePlaceholderID, imageCount: imageCount) else {
            throw .invalidImage(reason: "\(familyName)'s feature count depends on each image's size: give the images (imageSpans(ids:images:)) or expanded placeholder runs")
        }
        return PromptLayout.spans(try PromptLayout.split(ids, placeholder: imagePlaceholderID, counts: counts), counts: counts)
    }

    /// Qwen2-VL has no 1-D positions over a prompt with images: `.unsupported` unless the prompt is text only.
    public func positionIDs(ids: [Int], imageCount: Int, start: Int) throws(PromptError) -> Tensor {
        guard imageCount == 0 else {
            throw .unsupported(reason: "\(familyName)'s positions are M-RoPE's [3, 1, T], computed from the image grids: use ropePositions(ids:images:)")
        }
        return Tensor.arange(start, start + ids.count, dtype: .i64)
    }

    /// M-RoPE positions [3, 1, T] (transformers' `get_rope_index`).
    public func ropePositions(ids: [Int], images: [Tensor]) throws(PromptError) -> Tensor? {
        for pixels in images { try checkImage(pixels) }
        return try positionIDs(ids: ids, grids: images.map { grid(height: $0.size(2), width: $0.size(3)) }).positions
    }

    public func embed(_ segments: [PromptSegment], options: ForwardOptions, trace: ForwardTrace) throws(PromptError) -> Tensor {
        try embedChecked(segments, options: options, trace: trace)
    }

    /// Merged features [1, N, D] of a checked image.
    public func imageFeatures(_ pixels: Tensor, options: ForwardOptions, trace: ForwardTrace) -> Tensor {
        project(selectedVisionFeatures(pixels, options: options, trace: trace))
    }

    /// The tower's patch features [1, h·w, D_vision] before the merger.
    public func selectedVisionFeatures(_ pixels: Tensor, options: ForwardOptions, trace: ForwardTrace) -> Tensor {
        let grid = grid(height: pixels.size(2), width: pixels.size(3))
        return visual.encode(patches(of: pixels), grids: [grid], options: options, trace: trace).unsqueezed(axis: 0)
    }

    /// The 2 × 2 merger of patch features [1, N, D_vision] (after `visionFeatureTransform`): [1, N/4, D].
    public func project(_ selected: Tensor) -> Tensor {
        visual.merger(visionFeatureTransform.map { $0(selected) } ?? selected).unsqueezed(axis: 0)
    }

    /// The whole span is the merged grid (h/merge × w/merge, row-major); a cell is merge² patches and the
    /// tower has no class token, so the cells are not `visionOutliers`' patches.
    public func imageSpanLayout(of pixels: Tensor) throws(PromptError) -> ImageSpanLayout {
        try checkImage(pixels)
        let g = grid(height: pixels.size(2), width: pixels.size(3))
        let m = config.visionConfig.spatialMergeSize
        return ImageSpanLayout(rows: g.h / m, columns: g.w / m, gridOffsets: Array(0..<(g.h / m * (g.w / m))), cellsAreVisionPatches: false)
    }

    /// Refused: DAMRO ranks patches by the [CLS] token's attention, and Qwen2-VL's tower has no class token.
    public func visionOutliers(_ pixels: Tensor, k: Int, attention: OutlierAttention) throws(PromptError) -> VisionOutliers {
        throw .unsupported(reason: "DAMRO needs the vision tower's [CLS] attention, and \(familyName)'s tower has no class token (its patches attend only to each other)")
    }

    public func forward(ids: [Int], images: [Tensor], cache: KVCache?, options: ForwardOptions) throws(PromptError) -> ForwardTrace {
        try forwardPrompt(ids: ids, images: images, cache: cache, options: options)
    }
}
