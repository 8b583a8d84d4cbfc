import Foundation
import LucidSupport
import LucidTensor

/// Hugging Face's LLaVA-NeXT image processor ("anyres") in Swift: transformers 5.x
/// `LlavaNextImageProcessorPil`, the PIL backend that 4.x called the slow `LlavaNextImageProcessor`;
/// with `loadOnevision(path:)`, LLaVA-OneVision's (`LlavaOnevisionImageProcessorPil`: the same steps,
/// an exact resize and no crop).
///
/// For an H×W image: the grid pinpoint (height, width) that keeps the most of the image's resolution
/// with the least waste is chosen (`select_best_resolution`); the image is resized with PIL's
/// bicubic filter to fit it keeping its aspect ratio (`get_patch_output_size`, ceiling), pasted
/// centred on a black canvas of the pinpoint's size, and cut into crop-sized tiles, row by row. A
/// copy of the whole image resized to exactly size × size goes first. Each of these then runs the
/// CLIP steps (shortest-edge resize, centre crop, rescale, normalise) — see ``CLIPPreprocessor``.
///
/// Matches `LlavaNextImageProcessorPil` exactly on the committed fixtures (scripts/make_llava_next_fixtures.py).
/// transformers 5.x's default `LlavaNextImageProcessor` is the torchvision backend, whose resize differs
/// slightly from PIL's; load a checkpoint with `use_fast=False`-equivalent settings to compare.
public struct LlavaNextImageProcessor: Sendable, Equatable {
    /// The per-tile CLIP steps.
    public var clip: CLIPPreprocessor
    /// Candidate canvas sizes as (height, width), from `image_grid_pinpoints`.
    public var gridPinpoints: [GridPinpoint]

    /// One candidate canvas size.
    public typealias GridPinpoint = PixelSize

    /// Largest canvas side accepted from a config, so tiling stays bounded (LLaVA-NeXT's largest is 1,008).
    public static let maximumPinpointSide = 8192

    /// A processor; throws `.invalidConfig` for an empty pinpoint list, a side that is not a positive
    /// multiple of the tile size (crop height) or above ``maximumPinpointSide``, or a bad CLIP config.
    public init(config: CLIPPreprocessorConfig, gridPinpoints: [GridPinpoint], source: String = "<memory>") throws {
        try config.validate(path: source)
        clip = try CLIPPreprocessor(config: config)
        let tile = config.cropSize.height
        guard !gridPinpoints.isEmpty else {
            throw ImageError.invalidConfig(path: source, reason: "image_grid_pinpoints is empty")
        }
        for point in gridPinpoints {
            guard point.height >= tile, point.width >= tile, point.height <= Self.maximumPinpointSide,
                  point.width <= Self.maximumPinpointSide, point.height % tile == 0, point.width % tile == 0 else {
                throw ImageError.invalidConfig(path: source, reason: "image_grid_pinpoints entry \(point.height)x\(point.width) "
                    + "is not a multiple of the \(tile)-pixel tile between \(tile) and \(Self.maximumPinpointSide)")
            }
        }
        self.gridPinpoints = gridPinpoints
    }

    /// Reads `preprocessor_config.json` (the CLIP keys plus `image_grid_pinpoints`).
    public static func load(path: String) throws -> LlavaNextImageProcessor {
        let bytes = try FileIO.readFile(path, maxBytes: 1 << 20)
        let config = try CLIPPreprocessorConfig.decode(json: bytes, source: path)
        guard let points = try pinpoints(bytes, path: path) else {
            throw ImageError.invalidConfig(path: path, reason: "image_grid_pinpoints is missing")
        }
        return try LlavaNextImageProcessor(config: config, gridPinpoints: points, source: path)
    }

    /// Reads a `LlavaOnevisionImageProcessor` config: the steps of `load(path:)` with OneVision's
    /// defaults where its keys are absent — an exact `size` (384 × 384), no centre crop, tiles of the
    /// `size` height (the `crop_size` height if one is given, as transformers takes it), OneVision's
    /// 384-pixel pinpoints.
    public static func loadOnevision(path: String) throws -> LlavaNextImageProcessor {
        let bytes = try FileIO.readFile(path, maxBytes: 1 << 20)
        let config = try CLIPPreprocessorConfig.decodeExactResize(json: bytes, source: path, defaults: .onevisionDefaults(imageSize: 384))
        let points = try pinpoints(bytes, path: path) ?? onevisionPinpoints(tile: config.cropSize.height)
        return try LlavaNextImageProcessor(config: config, gridPinpoints: points, source: path)
    }

    /// transformers' `LlavaOnevisionImageProcessor` without a config, for a tower of `imageSize`:
    /// exact resize to it, no crop, OpenAI CLIP's mean and std, bicubic, 1 to 6 tiles a side.
    public static func onevisionDefaults(imageSize: Int) throws -> LlavaNextImageProcessor {
        try LlavaNextImageProcessor(config: .onevisionDefaults(imageSize: imageSize), gridPinpoints: onevisionPinpoints(tile: imageSize))
    }

    /// OneVision's default canvases for tiles of `tile` pixels: 1 to 6 tiles a side.
    static func onevisionPinpoints(tile: Int) -> [GridPinpoint] {
        (1...6).flatMap { rows in (1...6).map { GridPinpoint(height: rows * tile, width: $0 * tile) } }
    }

    /// `image_grid_pinpoints` of a config, nil when absent or null.
    static func pinpoints(_ bytes: [UInt8], path: String) throws -> [GridPinpoint]? {
        struct Pinpoints: Decodable {
            var imageGridPinpoints: [[Int]]?
            enum CodingKeys: String, CodingKey { case imageGridPinpoints = "image_grid_pinpoints" }
        }
        let pinpoints: Pinpoints
        do { pinpoints = try JSONDecoder().decode(Pinpoints.self, from: Data(bytes)) } catch {
            throw ImageError.invalidConfig(path: path, reason: "image_grid_pinpoints must be a list of [height, width] pairs")
        }
        return try pinpoints.imageGridPinpoints?.map { pair throws -> GridPinpoint in
            guard pair.count == 2 else {
                throw ImageError.invalidConfig(path: path, reason: "image_grid_pinpoints entry \(pair) is not [height, width]")
            }
            return GridPinpoint(height: pair[0], width: pair[1])
        }
    }

    /// Side of a tile (the crop height, as transformers takes it).
    public var tileSize: Int { clip.config.cropSize.height }

    /// The canvas (height, width) chosen for an image, and its grid of tiles (rows, columns).
    public func layout(height: Int, width: Int) throws -> (canvas: GridPinpoint, rows: Int, columns: Int) {
        guard height >= 1, width >= 1, let best = AnyresGeometry.bestResolution(
            height: height, width: width, candidates: gridPinpoints.map { ($0.height, $0.width) }) else {
            throw ImageError.invalidImage(reason: "cannot tile a \(width)x\(height) image")
        }
        let canvas = GridPinpoint(height: best.height, width: best.width)
        return (canvas, canvas.height / tileSize, canvas.width / tileSize)
    }

    /// Where an image goes on its canvas: the canvas and its tile grid, the image resized to fit it
    /// (aspect kept) and its offset, centred; the rest of the canvas is black.
    public struct Placement: Sendable, Equatable {
        public var canvas: GridPinpoint
        public var rows: Int
        public var columns: Int
        public var fitted: PixelSize
        public var left: Int
        public var top: Int
    }

    /// The placement of an image of `height` × `width` (transformers' `select_best_resolution`, then
    /// `_resize_for_patching` and `_pad_for_patching`).
    public func placement(height: Int, width: Int) throws -> Placement {
        let (canvas, rows, columns) = try layout(height: height, width: width)
        let fitted = AnyresGeometry.fittedSize(height: height, width: width, into: (canvas.height, canvas.width))
        return Placement(canvas: canvas, rows: rows, columns: columns, fitted: PixelSize(height: fitted.height, width: fitted.width),
                         left: (canvas.width - fitted.width) / 2, top: (canvas.height - fitted.height) / 2)
    }

    /// The side (height, width) the whole image is resized to for the first tile.
    public var baseSide: (height: Int, width: Int) {
        switch clip.config.size {
        case .shortestEdge(let edge): (edge, edge)
        case .exact(let height, let width): (height, width)
        }
    }

    /// The uint8 images that become tiles: the whole image resized to size × size, then the canvas tiles.
    public func tileImages(_ image: RGBImage) throws -> [RGBImage] {
        let place = try placement(height: image.height, width: image.width)
        let resized = try image.resized(width: place.fitted.width, height: place.fitted.height, filter: clip.config.resample)
        let padded = try resized.cropped(x: -place.left, y: -place.top, width: place.canvas.width, height: place.canvas.height)
        let side = baseSide
        var tiles = [try image.resized(width: side.width, height: side.height, filter: clip.config.resample)]
        for row in 0..<place.rows {
            for column in 0..<place.columns {
                tiles.append(try padded.cropped(x: column * tileSize, y: row * tileSize, width: tileSize, height: tileSize))
            }
        }
        return tiles
    }

    /// The processor's `pixel_values` for one image: base image first, then the tiles, each CHW and
    /// normalised; with the image's (height, width), which the model needs to unpad (`image_sizes`).
    public func pixelValues(_ image: RGBImage) throws -> (tiles: [FloatImage], height: Int, width: Int) {
        (try tileImages(image).map { try clip.pixelValues($0) }, image.height, image.width)
    }
}
