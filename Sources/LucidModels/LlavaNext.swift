import Foundation
import LucidNN
import LucidSupport
import LucidTensor

/// One image as LLaVA-NeXT takes it: the processor's tiles and the image's original size.
public struct LlavaNextImage {
    /// Pixel values [1 + rows·columns, C, S, S]: the whole image resized first, then the tiles row by row.
    public var tiles: Tensor
    /// The original image's height and width in pixels (transformers' `image_sizes`).
    public var height: Int
    public var width: Int

    public init(tiles: Tensor, height: Int, width: Int) {
        self.tiles = tiles
        self.height = height
        self.width = width
    }
}

/// A LLaVA-NeXT (LLaVA-1.6) model, Hugging Face `LlavaNextForConditionalGeneration`, or a LLaVA-OneVision
/// one, `LlavaOnevisionForConditionalGeneration` (`vision_tower`, `multi_modal_projector`,
/// `language_model`, `image_newline`; `config.variant` says which).
///
/// Each image's tiles go through the vision tower (CLIP, or OneVision's SigLIP) and the projector; the
/// tiles' patch features are reassembled into one grid, the rows and columns that only hold the
/// canvas padding are dropped (`unpad_image`), OneVision downsizes a grid of more than N tiles'
/// patches (`anyres_max_N`, bilinear), `image_newline` ends every row, and the base tile's features go
/// first (`pack_image_features`, the `spatial_unpad` merge that every released checkpoint uses).
/// The decoder is any Llama-family one (Vicuna, Mistral, Llama 3, Qwen2).
public final class LlavaNextForConditionalGeneration: Module, LanguageModelBacked {
    public let config: LlavaNextConfig
    public let visionTower: CLIPVisionModel
    public let projector: LlavaProjector
    public let languageModel: LlamaForCausalLM
    /// The learned embedding appended after every row of a tiled image's features [D_text].
    public let imageNewline: Parameter
    /// Applied to the tiles' selected vision features [1 + tiles, N, D_vision] before the projector
    /// (Q-MLLM's quantiser); nil: none.
    public var visionFeatureTransform: ((Tensor) -> Tensor)?
    /// Screens an image's tiles [1 + tiles, 3, S, S] before generation (Q-MLLM's gate); nil: none.
    public var imageGate: ((ImageGateInput) -> String?)?
    /// The original (height, width) of the image that `VisionLanguageModel` calls take as a tile stack
    /// (transformers' `image_sizes`, which the unpadding needs and the tiles do not carry): one image per
    /// prompt, as every method uses. Default: a tile-sized square image.
    public var originalImageSize: (height: Int, width: Int)

    public init(_ config: LlavaNextConfig) throws(ModelConfigError) {
        try config.validate()
        self.config = config
        visionTower = try CLIPVisionModel(config.base.visionConfig)
        projector = LlavaProjector(visionHidden: config.base.visionConfig.hiddenSize, textHidden: config.base.textConfig.hiddenSize,
                                   act: config.base.projectorHiddenAct, bias: config.multimodalProjectorBias)
        languageModel = try LlamaForCausalLM(config.base.textConfig)
        let width = config.base.textConfig.hiddenSize
        imageNewline = Parameter(ParameterInitialization.tensor([width]) { Tensor.zeros([width]) })
        originalImageSize = (config.tileSize, config.tileSize)
    }

    public var parameters: [(name: String, parameter: Parameter)] { [("image_newline", imageNewline)] }

    public var children: [(name: String, module: any Module)] {
        [("vision_tower", visionTower), ("multi_modal_projector", projector), ("language_model", languageModel)]
    }

    public var imagePlaceholderID: Int { config.base.imageTokenIndex }

    /// Checks that `image` has the tiles its size calls for, returning its tile grid.
    public func tileGrid(of image: LlavaNextImage) throws(PromptError) -> (rows: Int, columns: Int) {
        if isBaseTile(image.tiles) { return (0, 0) }  // an image among several (OneVision): no tiles
        guard let grid = config.tileGrid(height: image.height, width: image.width),
              config.packedGrid(height: image.height, width: image.width) != nil else {
            throw .invalidImage(reason: "an image of \(image.width)x\(image.height) pixels has no tiling")
        }
        let side = config.tileSize
        let expected = [1 + grid.rows * grid.columns, 3, side, side]
        guard image.tiles.shape == expected else {
            throw .invalidImage(reason: "a \(image.width)x\(image.height) image needs pixel values \(expected), got \(image.tiles.shape)")
        }
        return grid
    }

    /// Language-model inputs `image` becomes (base tile + unpadded grid with newlines).
    public func imageFeatureCount(_ image: LlavaNextImage) throws(PromptError) -> Int {
        if isBaseTile(image.tiles) { return config.baseTileFeatureCount }
        guard let count = config.imageFeatureCount(height: image.height, width: image.width) else {
            throw .invalidImage(reason: "an image of \(image.width)x\(image.height) pixels has no tiling")
        }
        return count
    }

    /// Packed image features [N, D_text] of one image (differentiable in its pixel values).
    public func imageFeatures(_ image: LlavaNextImage, options: ForwardOptions = ForwardOptions(),
                              trace: ForwardTrace = ForwardTrace()) throws(PromptError) -> Tensor {
        let grid = try tileGrid(of: image)
        let projected = project(selectedVisionFeatures(image.tiles, options: options, trace: trace))
        return pack(projected, grid: grid, height: image.height, width: image.width)
    }

    /// The tiles' projected patch features [1 + tiles, N, D] packed into one image's sequence [N', D]:
    /// the base tile, then the unpadded (OneVision: and downsized) grid with `image_newline` after every row.
    func pack(_ projected: Tensor, grid: (rows: Int, columns: Int), height: Int, width: Int) -> Tensor {
        let base = projected.selected(axis: 0, index: 0)
        let newline = imageNewline.value.to(projected.dtype)
        let d = projected.size(-1)
        guard grid.rows * grid.columns > 0 else {
            return Tensor.cat([base, newline.reshaped([1, d])], axis: 0)
        }
        let side = config.patchesPerSide
        let tiles = projected.narrowed(axis: 0, start: 1, length: grid.rows * grid.columns)
            .reshaped([grid.rows, grid.columns, side, side, d])
            .permuted(4, 0, 2, 1, 3).contiguous()
            .reshaped([d, grid.rows * side, grid.columns * side])
        guard let packed = config.packedGrid(height: height, width: width) else {
            preconditionFailure("a \(width)x\(height) image has no packed grid: check images with tileGrid(of:) first")
        }
        let keep = packed.unpadded
        var kept = tiles.narrowed(axis: 1, start: keep.top, length: keep.rows).narrowed(axis: 2, start: keep.left, length: keep.columns)
        if packed.rows != keep.rows || packed.columns != keep.columns {
            kept = kept.unsqueezed(axis: 0).resizedBilinear(height: packed.rows, width: packed.columns).selected(axis: 0, index: 0)
        }
        let newlines = newline.reshaped([d, 1, 1]).expanded([d, packed.rows, 1])
        let rows = Tensor.cat([kept, newlines], axis: 2).reshaped([d, packed.rows * (packed.columns + 1)])
        return Tensor.cat([base, rows.transposed(0, 1)], axis: 0)
    }

    /// Input embeddings [1, T, D] of token ids with image placeholders and their images.
    ///
    /// Either one placeholder per image, or each image's placeholder repeated as many times as it
    /// has features (what the transformers processor writes). OneVision encodes each of several images
    /// by its base tile alone (`promptImages`); LLaVA-NeXT encodes each at its own size, which a
    /// `LlavaNextImage` carries (the seam, whose image is a tile stack, takes one NeXT image a prompt).
    public func embed(ids: [Int], images: [LlavaNextImage], options: ForwardOptions = ForwardOptions(),
                      trace: ForwardTrace = ForwardTrace()) throws(PromptError) -> Tensor {
        let tiles = try encodedTiles(images.map(\.tiles))
        let images = zip(images, tiles).map { LlavaNextImage(tiles: $1, height: $0.height, width: $0.width) }
        let counts = try images.map { (image) throws(PromptError) -> Int in try imageFeatureCount(image) }
        var pieces: [Tensor] = []
        for piece in try PromptLayout.split(ids, placeholder: imagePlaceholderID, counts: counts) {
            switch piece {
            case .text(let text):
                guard !text.isEmpty else { continue }
                if let bad = text.first(where: { $0 < 0 || $0 >= vocabularySize }) {
                    throw .tokenOutOfRange(id: bad, vocabularySize: vocabularySize)
                }
                pieces.append(languageModel.embed(Tensor(text, shape: [1, text.count])))
            case .image(let index):
                pieces.append(try imageFeatures(images[index], options: options, trace: trace.visionTrace(imageCount: images.count)).unsqueezed(axis: 0))
            }
        }
        return Tensor.cat(pieces, axis: 1)
    }

    /// One forward pass over a multimodal prompt, filling the trace with LLM and vision captures.
    public func forward(ids: [Int], images: [LlavaNextImage], cache: KVCache?, options: ForwardOptions) throws(PromptError) -> ForwardTrace {
        let trace = ForwardTrace()
        let embeddings = try embed(ids: ids, images: images, options: options, trace: trace)
        return decode(embeddings, cache: cache, options: options, into: trace)
    }
}

extension LlavaNextForConditionalGeneration {
    /// Loads a `llava-hf` LLaVA-NeXT or LLaVA-OneVision directory (`model_type` `llava_next` or
    /// `llava_onevision`) in any layout of `LlavaCheckpointLayout`, weights in `options.dtype`, without
    /// random initialisation.
    public static func load(directory: String, options: ModelLoadOptions = ModelLoadOptions()) throws -> LlavaNextForConditionalGeneration {
        try options.validate()
        let (config, path) = try HuggingFaceDirectory.config(LlavaNextConfig.self, directory: directory,
                                                             modelTypes: [LlavaNextConfig.Variant.llavaNext.rawValue,
                                                                          LlavaNextConfig.Variant.llavaOnevision.rawValue])
        let tied = config.base.textConfig.tieWordEmbeddings
        return try HuggingFaceDirectory.build(directory: directory, configPath: path, options: options,
                                              renames: LlavaCheckpointLayout.renames,
                                              ignoring: { LlavaCheckpointLayout.ignorable($0, tiedHead: tied) }) {
            () throws(ModelConfigError) in try LlavaNextForConditionalGeneration(config)
        }
    }
}
