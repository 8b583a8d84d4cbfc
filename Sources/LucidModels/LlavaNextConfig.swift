import Foundation
import LucidFiles
import LucidSupport
import LucidTensor

/// Hyper-parameters of a LLaVA-NeXT (LLaVA-1.6) model, Hugging Face `LlavaNextConfig`, or of a
/// LLaVA-OneVision one, `LlavaOnevisionConfig` (the same keys plus `vision_aspect_ratio`).
///
/// The LLaVA-1.5 keys (`vision_config`, `text_config`, `image_token_index`, `projector_hidden_act`,
/// `vision_feature_layer`, `vision_feature_select_strategy`) plus `image_grid_pinpoints` (the anyres
/// canvases, (height, width)) and `multimodal_projector_bias`. Keys a OneVision config leaves out
/// take transformers' OneVision defaults: a SigLIP so400m tower, Qwen2's image id 151646, the
/// `full` strategy on the last layer, 384-pixel pinpoints up to 6 × 6 tiles, `anyres_max_9`.
public struct LlavaNextConfig: Decodable, Sendable, Equatable {
    /// The two model types this configuration describes.
    public enum Variant: String, Sendable, Equatable {
        case llavaNext = "llava_next", llavaOnevision = "llava_onevision"
    }

    /// The keys LLaVA-NeXT shares with LLaVA-1.5.
    public var base: LlavaConfig
    /// Candidate canvases (height, width), each a multiple of the tower's image size.
    public var imageGridPinpoints: [[Int]]
    /// Whether the projector's two linear layers have biases.
    public var multimodalProjectorBias: Bool
    /// LLaVA-NeXT or LLaVA-OneVision (`model_type`; LLaVA-NeXT when absent).
    public var variant: Variant
    /// OneVision's `anyres_max_N`: an unpadded grid holding more than about N tiles' patches is
    /// downsized (bilinear) before packing (`AnyresGeometry.downsized`); nil for LLaVA-NeXT.
    public var maxPackedTiles: Int?

    public init(base: LlavaConfig, imageGridPinpoints: [[Int]], multimodalProjectorBias: Bool = true,
                variant: Variant = .llavaNext, maxPackedTiles: Int? = nil) {
        self.base = base
        self.imageGridPinpoints = imageGridPinpoints
        self.multimodalProjectorBias = multimodalProjectorBias
        self.variant = variant
        self.maxPackedTiles = maxPackedTiles
    }

    enum CodingKeys: String, CodingKey {
        case imageGridPinpoints = "image_grid_pinpoints", multimodalProjectorBias = "multimodal_projector_bias"
        case modelType = "model_type", visionAspectRatio = "vision_aspect_ratio"
    }

    /// LLaVA-NeXT's default canvases.
    static let nextPinpoints = [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]
    /// LLaVA-OneVision's default canvases: 384-pixel tiles, 1 to 6 of them a side.
    static let onevisionPinpoints = (1...6).flatMap { rows in (1...6).map { [rows * 384, $0 * 384] } }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decodeIfPresentNonNull(String.self, forKey: .modelType)
        let variant: Variant = type == Variant.llavaOnevision.rawValue ? .llavaOnevision : .llavaNext
        var base = try LlavaConfig(from: decoder)
        var maxPackedTiles: Int?
        if variant == .llavaOnevision {
            let keys = try decoder.container(keyedBy: LlavaConfig.CodingKeys.self)
            if !keys.contains(.visionConfig) {
                base.visionConfig = CLIPVisionConfig(hiddenSize: 1152, intermediateSize: 4304, numHiddenLayers: 26, numAttentionHeads: 16,
                                                     imageSize: 384, patchSize: 14, layerNormEps: 1e-6, hiddenAct: "gelu_pytorch_tanh",
                                                     variant: .siglip)
            }
            if try keys.decodeIfPresentNonNull(Int.self, forKey: .imageTokenIndex) == nil { base.imageTokenIndex = 151646 }
            if try keys.decodeIfPresentNonNull(Int.self, forKey: .visionFeatureLayer) == nil { base.visionFeatureLayer = -1 }
            if try keys.decodeIfPresentNonNull(String.self, forKey: .visionFeatureSelectStrategy) == nil { base.visionFeatureSelectStrategy = "full" }
            let aspect = try c.decodeIfPresentNonNull(String.self, forKey: .visionAspectRatio) ?? "anyres_max_9"
            guard let tiles = Self.maxTiles(aspect) else {
                throw ModelConfigError("vision_aspect_ratio '\(aspect)' is not anyres_max_N with N in 1…\(Self.maximumPackedTiles)")
            }
            maxPackedTiles = tiles
        }
        self.init(base: base,
                  imageGridPinpoints: try c.decodeIfPresent([[Int]].self, forKey: .imageGridPinpoints)
                      ?? (variant == .llavaOnevision ? Self.onevisionPinpoints : Self.nextPinpoints),
                  multimodalProjectorBias: try c.decodeIfPresentNonNull(Bool.self, forKey: .multimodalProjectorBias) ?? true,
                  variant: variant, maxPackedTiles: maxPackedTiles)
    }

    /// The largest N of `anyres_max_N` accepted (OneVision's checkpoints use 9).
    public static let maximumPackedTiles = 1024

    /// N of `anyres_max_N`, or nil for any other text or an N outside 1…`maximumPackedTiles`.
    static func maxTiles(_ aspect: String) -> Int? {
        let prefix = "anyres_max_"
        guard aspect.hasPrefix(prefix), let tiles = Int(aspect.dropFirst(prefix.count)), (1...maximumPackedTiles).contains(tiles) else {
            return nil
        }
        return tiles
    }

    /// Side of the tower's square input (one tile).
    public var tileSize: Int { base.visionConfig.imageSize }
    /// Patches per tile side (rounded down: OneVision's 384-px tiles hold 27 patches of 14 px).
    public var patchesPerSide: Int { base.visionConfig.imageSize / base.visionConfig.patchSize }

    /// The canvas transformers picks for an image of `height` × `width` (`select_best_resolution`).
    public func canvas(height: Int, width: Int) -> (height: Int, width: Int)? {
        AnyresGeometry.bestResolution(height: height, width: width,
                                      candidates: imageGridPinpoints.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil })
    }

    /// Tile rows and columns of an image of `height` × `width`, or nil when no canvas fits.
    public func tileGrid(height: Int, width: Int) -> (rows: Int, columns: Int)? {
        guard height >= 1, width >= 1, let canvas = canvas(height: height, width: width) else { return nil }
        return (canvas.height / tileSize, canvas.width / tileSize)
    }

    /// The patch grid an image of `height` × `width` packs after its tiles: unpadded, then for
    /// OneVision downsized; where the unpadded one starts in the tiles' grid. Nil without a tiling.
    func packedGrid(height: Int, width: Int) -> (rows: Int, columns: Int, unpadded: (rows: Int, columns: Int, top: Int, left: Int))? {
        guard let tiles = tileGrid(height: height, width: width) else { return nil }
        let side = patchesPerSide
        let unpadded = AnyresGeometry.unpadded(height: height, width: width, gridHeight: tiles.rows * side, gridWidth: tiles.columns * side)
        guard let maxPackedTiles else { return (unpadded.rows, unpadded.columns, unpadded) }
        guard let packed = AnyresGeometry.downsized(rows: unpadded.rows, columns: unpadded.columns, maxTiles: maxPackedTiles, side: side) else {
            return nil
        }
        return (packed.rows, packed.columns, unpadded)
    }

    /// Language-model inputs of a LLaVA-OneVision image in a prompt with several: the base tile's patches
    /// and one `image_newline` (transformers' processor: `num_image_tokens + 1`).
    public var baseTileFeatureCount: Int { patchesPerSide * patchesPerSide + 1 }

    /// Language-model inputs an image of `height` × `width` becomes: the base tile's patches, then the
    /// packed grid with one `image_newline` per row.
    public func imageFeatureCount(height: Int, width: Int) -> Int? {
        guard let grid = packedGrid(height: height, width: width) else { return nil }
        return patchesPerSide * patchesPerSide + grid.rows * (grid.columns + 1)
    }

    public func validate() throws(ModelConfigError) {
        try base.validate()
        // Tiles are reassembled from patch features: a class token has no place in the grid, and
        // dropping SigLIP's first patch would leave a grid short of one.
        let strategy = base.visionConfig.hasClassToken ? "default" : "full"
        guard base.visionFeatureSelectStrategy == strategy else {
            throw ModelConfigError("\(variant.rawValue) with a \(base.visionConfig.hasClassToken ? "CLIP" : "SigLIP") tower needs "
                                   + "vision_feature_select_strategy '\(strategy)' (tiles are reassembled from patch features)")
        }
        guard !base.visionConfig.hasClassToken || base.visionConfig.imageSize % base.visionConfig.patchSize == 0 else {
            throw ModelConfigError("vision image_size \(base.visionConfig.imageSize) is not a multiple of patch_size \(base.visionConfig.patchSize)")
        }
        guard !imageGridPinpoints.isEmpty else { throw ModelConfigError("image_grid_pinpoints is empty") }
        for pair in imageGridPinpoints {
            guard pair.count == 2, pair.allSatisfy({ $0 >= tileSize && $0 % tileSize == 0 && $0 <= 8192 }) else {
                throw ModelConfigError("image_grid_pinpoints entry \(pair) is not a [height, width] pair of multiples of "
                                       + "the tower's \(tileSize)-pixel input (at most 8192)")
            }
        }
        if let maxPackedTiles, !(1...Self.maximumPackedTiles).contains(maxPackedTiles) {
            throw ModelConfigError("anyres_max_\(maxPackedTiles) is outside 1…\(Self.maximumPackedTiles)")
        }
    }
}
