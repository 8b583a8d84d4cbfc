import LucidTensor

/// LLaVA-NeXT and LLaVA-OneVision under the `VisionLanguageModel` seam: an image is its normalised tile stack
/// [1 + rows·columns, 3, S, S] (base tile first, what the processor's `pixel_values` holds per image)
/// for an image of `originalImageSize`, so every method drives the anyres path; the tiles are cut
/// from the processor's canvas, and attacks perturb them in [0, 1] before `normalize`.
extension LlavaNextForConditionalGeneration: FixedCountImagePrompts {
    /// Language-model inputs an image of `originalImageSize` becomes.
    public var imageFeatureCount: Int {
        config.imageFeatureCount(height: originalImageSize.height, width: originalImageSize.width) ?? 0
    }
    /// Side of one tile.
    public var imageSize: Int { config.tileSize }
    /// Patches of one tile.
    public var visionPatchCount: Int { config.patchesPerSide * config.patchesPerSide }
    public var imageFeaturesIncludeClassToken: Bool { false }
    public var visionFeatureWidth: Int { config.base.visionConfig.hiddenSize }
    public var hiddenSize: Int { config.base.textConfig.hiddenSize }
    public var eosTokenIDs: [Int] { config.base.textConfig.eosTokenIDs }

    /// `pixels` as one image of `originalImageSize`.
    func image(_ pixels: Tensor) -> LlavaNextImage {
        LlavaNextImage(tiles: pixels, height: originalImageSize.height, width: originalImageSize.width)
    }

    /// Checks that `pixels` hold the tiles an image of `originalImageSize` needs.
    public func checkImage(_ pixels: Tensor) throws(PromptError) { _ = try tileGrid(of: image(pixels)) }

    public func imageFeatureCount(of pixels: Tensor) throws(PromptError) -> Int {
        try checkImage(pixels)
        return isBaseTile(pixels) ? config.baseTileFeatureCount : imageFeatureCount
    }

    /// Packed features [1, N, D] of a checked tile stack (`checkImage`); of a OneVision base tile alone,
    /// its patches and `image_newline` (an image among several).
    public func imageFeatures(_ pixels: Tensor, options: ForwardOptions, trace: ForwardTrace) -> Tensor {
        guard let grid = isBaseTile(pixels) ? (0, 0) : config.tileGrid(height: originalImageSize.height, width: originalImageSize.width) else {
            preconditionFailure("originalImageSize \(originalImageSize) has no tiling: check images with checkImage first")
        }
        let projected = project(selectedVisionFeatures(pixels, options: options, trace: trace))
        return pack(projected, grid: grid, height: originalImageSize.height, width: originalImageSize.width).unsqueezed(axis: 0)
    }

    /// Every tile's patch features at `vision_feature_layer`, [1 + tiles, N, D_vision] (CLIP's class
    /// token dropped; SigLIP has none).
    public func selectedVisionFeatures(_ pixels: Tensor, options: ForwardOptions, trace: ForwardTrace) -> Tensor {
        let selected = visionTower.forward(pixels, needHiddenState: config.base.visionFeatureLayer, options: options, trace: trace)
        guard config.base.visionConfig.hasClassToken else { return selected }
        return selected.narrowed(axis: 1, start: 1, length: selected.size(1) - 1)
    }

    /// The projector of selected features (after `visionFeatureTransform`), tile by tile.
    public func project(_ selected: Tensor) -> Tensor { projector(visionFeatureTransform.map { $0(selected) } ?? selected) }

    /// The base tile's patch grid opens the span (the high-resolution tiles and newlines follow); its
    /// cells are the patches DAMRO ranks on the base tile (a SigLIP tower ranks none: no class token).
    public func imageSpanLayout(of pixels: Tensor) throws(PromptError) -> ImageSpanLayout {
        let side = config.patchesPerSide
        return ImageSpanLayout(rows: side, columns: side, gridOffsets: Array(0..<(side * side)),
                               cellsAreVisionPatches: config.base.visionConfig.hasClassToken)
    }

    /// DAMRO on the base tile (the whole image at the tower's resolution): its [CLS] attention picks the
    /// outlier patches, whose projected features [1, k, D] stand for the image.
    /// Refused for a SigLIP tower (LLaVA-OneVision): it has no class token to rank patches by.
    public func visionOutliers(_ pixels: Tensor, k: Int, attention: OutlierAttention) throws(PromptError) -> VisionOutliers {
        guard config.base.visionConfig.hasClassToken else {
            throw .unsupported(reason: "DAMRO needs the vision tower's [CLS] attention, and \(config.variant.rawValue)'s SigLIP tower has no class token")
        }
        try checkImage(pixels)
        return VisionOutliers.ofCLIP(visionTower, config: config.base, pixels: pixels.narrowed(axis: 0, start: 0, length: 1), k: k,
                                     attention: attention, project: project)
    }
}
