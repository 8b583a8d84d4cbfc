import LucidTensor

/// Prompts with more than one image.
///
/// LLaVA-OneVision encodes an image among several differently from a lone one: transformers' processor
/// counts a sample's images (`batch_num_images`), gives each of several its base tile alone (pixel values
/// [1, 3, S, S], no anyres tiles) and `num_image_tokens + 1` placeholders, and the model encodes that tile's
/// patches followed by `image_newline` (`pack_image_features` on one tile). A lone image keeps the anyres
/// path. LLaVA-NeXT encodes every image with anyres at its own size (`image_sizes`), which the one
/// `originalImageSize` a Lucid model holds cannot give several images, so it takes one image a prompt.
extension LlavaNextForConditionalGeneration {
    /// Whether a prompt with `imageCount` images encodes each image's base tile only (OneVision, two or more).
    public func encodesBaseTilesOnly(imageCount: Int) -> Bool { config.variant == .llavaOnevision && imageCount > 1 }

    /// One image a LLaVA-NeXT prompt (each of several would need its own `originalImageSize`); OneVision: any number.
    public var imagesPerPromptLimit: (most: Int, reason: String)? {
        config.variant == .llavaNext ? (1, "LLaVA-NeXT encodes each image with anyres at its own size; Lucid takes one image a LLaVA-NeXT prompt") : nil
    }

    /// Whether `tiles` is a lone base tile [1, 3, S, S] of a OneVision model: an image of a prompt with
    /// several (a lone image always has anyres tiles after its base tile).
    func isBaseTile(_ tiles: Tensor) -> Bool {
        config.variant == .llavaOnevision && tiles.shape == [1, 3, config.tileSize, config.tileSize]
    }

    /// The images' tile stacks as this prompt encodes them: OneVision's several images as their base
    /// tiles [1, 3, S, S] (a stack's first tile: the whole image resized); a lone image as given, where a
    /// lone base tile is refused (it needs its anyres tiles). LLaVA-NeXT with several images is refused.
    public func promptImages(_ images: [Tensor]) throws(PromptError) -> [Tensor] {
        try checkImageCount(images.count)
        return try encodedTiles(images)
    }

    /// The tile stacks a prompt holding all of `images` encodes: OneVision's base tiles among several, a
    /// lone image's full stack (a lone base tile refused), LLaVA-NeXT's stacks as given. The seam adds
    /// `checkImageCount`; the family's own `[LlavaNextImage]` path, whose images carry their sizes, does not.
    func encodedTiles(_ images: [Tensor]) throws(PromptError) -> [Tensor] {
        let side = config.tileSize
        guard encodesBaseTilesOnly(imageCount: images.count) else {
            if let lone = images.first, isBaseTile(lone) {
                throw .invalidImage(reason: "a base tile alone [1, 3, \(side), \(side)] is an image of a prompt with several; a lone image needs its anyres tiles")
            }
            return images
        }
        return try images.map { (tiles) throws(PromptError) -> Tensor in
            guard tiles.rank == 4, tiles.size(0) >= 1, Array(tiles.shape.dropFirst()) == [3, side, side] else {
                throw .invalidImage(reason: "an image's pixel values must be tiles [N, 3, \(side), \(side)], got \(tiles.shape)")
            }
            return tiles.size(0) == 1 ? tiles : tiles.narrowed(axis: 0, start: 0, length: 1)
        }
    }

    /// Where each of `imageCount` images' features sit: anyres counts for one image, the base tile's for
    /// each of several (OneVision).
    public func imageSpans(ids: [Int], imageCount: Int) throws(PromptError) -> [Range<Int>] {
        try checkImageCount(imageCount)
        let count = encodesBaseTilesOnly(imageCount: imageCount) ? config.baseTileFeatureCount : imageFeatureCount
        let counts = [Int](repeating: count, count: imageCount)
        return PromptLayout.spans(try PromptLayout.split(ids, placeholder: imagePlaceholderID, counts: counts), counts: counts)
    }

    /// Splits at image placeholders (one per image, or each image's run of features), the images as the
    /// prompt encodes them (`promptImages`) and checked first.
    public func segments(ids: [Int], images: [Tensor]) throws(PromptError) -> [PromptSegment] {
        let images = try promptImages(images)
        let counts = try images.map { (pixels) throws(PromptError) -> Int in try imageFeatureCount(of: pixels) }
        return PromptLayout.segments(try PromptLayout.split(ids, placeholder: imagePlaceholderID, counts: counts), images: images)
    }
}
