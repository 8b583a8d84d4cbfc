import Foundation
import LucidFiles
import LucidSupport
import LucidTensor

/// Hyper-parameters of a LLaVA-NeXT (LLaVA-1.6) model: Hugging Face `LlavaNextConfig`.
///
/// The LLaVA-1.5 keys (`vision_config`, `text_config`, `image_token_index`, `projector_hidden_act`,
/// `vision_feature_layer`, `vision_feature_select_strategy`) plus `image_grid_pinpoints` (the anyres
/// canvases, (height, width)) and `multimodal_projector_bias`.
public struct LlavaNextConfig: Decodable, Sendable, Equatable {
    /// The keys LLaVA-NeXT shares with LLaVA-1.5.
    public var base: LlavaConfig
    /// Candidate canvases (height, width), each a multiple of the tower's image size.
    public var imageGridPinpoints: [[Int]]
    /// Whether the projector's two linear layers have biases.
    public var multimodalProjectorBias: Bool

    public init(base: LlavaConfig, imageGridPinpoints: [[Int]], multimodalProjectorBias: Bool = true) {
        self.base = base
        self.imageGridPinpoints = imageGridPinpoints
        self.multimodalProjectorBias = multimodalProjectorBias
    }

    enum CodingKeys: String, CodingKey {
        case imageGridPinpoints = "image_grid_pinpoints", multimodalProjectorBias = "multimodal_projector_bias"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(base: try LlavaConfig(from: decoder),
                  imageGridPinpoints: try c.decodeIfPresent([[Int]].self, forKey: .imageGridPinpoints)
                      ?? [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]],
                  multimodalProjectorBias: try c.decodeIfPresentNonNull(Bool.self, forKey: .multimodalProjectorBias) ?? true)
    }

    /// Side of the tower's square input (one tile).
    public var tileSize: Int { base.visionConfig.imageSize }
    /// Patches per tile side.
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

    /// Language-model inputs an image of `height` × `width` becomes: the base tile's patches, then the
    /// unpadded grid with one `image_newline` per row.
    public func imageFeatureCount(height: Int, width: Int) -> Int? {
        guard let tiles = tileGrid(height: height, width: width) else { return nil }
        let grid = AnyresGeometry.unpadded(height: height, width: width, gridHeight: tiles.rows * patchesPerSide,
                                           gridWidth: tiles.columns * patchesPerSide)
        return patchesPerSide * patchesPerSide + grid.rows * (grid.columns + 1)
    }

    public func validate() throws(ModelConfigError) {
        try base.validate()
        guard base.visionFeatureSelectStrategy == "default" else {
            throw ModelConfigError("LLaVA-NeXT needs vision_feature_select_strategy 'default' (tiles are reassembled "
                                   + "from patch features; 'full' keeps a class token that has no place in the grid)")
        }
        guard base.visionConfig.imageSize % base.visionConfig.patchSize == 0 else {
            throw ModelConfigError("vision image_size \(base.visionConfig.imageSize) is not a multiple of patch_size \(base.visionConfig.patchSize)")
        }
        guard !imageGridPinpoints.isEmpty else { throw ModelConfigError("image_grid_pinpoints is empty") }
        for pair in imageGridPinpoints {
            guard pair.count == 2, pair.allSatisfy({ $0 >= tileSize && $0 % tileSize == 0 && $0 <= 8192 }) else {
                throw ModelConfigError("image_grid_pinpoints entry \(pair) is not a [height, width] pair of multiples of "
                                       + "the tower's \(tileSize)-pixel input (at most 8192)")
            }
        }
    }
}
