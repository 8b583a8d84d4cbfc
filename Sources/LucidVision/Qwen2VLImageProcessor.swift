import Foundation
import LucidTensor

/// Hugging Face's Qwen2-VL image processor in Swift: transformers 5.x `Qwen2VLImageProcessorPil` (the
/// PIL backend; 4.x's slow `Qwen2VLImageProcessor`).
///
/// `smart_resize` picks the size nearest the image whose sides are multiples of patch × merge (28)
/// and whose area lies in [min_pixels, max_pixels]; PIL's bicubic resize goes there; rescale and
/// normalise as CLIP's; then the image is cut into 14-px patches in merge-block order (2 × 2
/// blocks, row-major) and each patch is flattened channel, time, row, column, the single frame
/// repeated `temporal_patch_size` times (`image_grid_thw` t = 1).
public struct Qwen2VLImageProcessor: Sendable, Equatable {
    /// Rescale, normalisation and resampling settings (size and crop are not used).
    public var clip: CLIPPreprocessorConfig
    public var minPixels: Int
    public var maxPixels: Int
    public var patchSize: Int
    public var temporalPatchSize: Int
    public var mergeSize: Int

    /// Largest accepted `max_pixels`: the released default (28·28·16,384 ≈ 12.8 M).
    public static let maximumPixels = 28 * 28 * 16_384

    public init(clip: CLIPPreprocessorConfig = CLIPPreprocessorConfig(), minPixels: Int = 56 * 56,
                maxPixels: Int = 28 * 28 * 1280, patchSize: Int = 14, temporalPatchSize: Int = 2, mergeSize: Int = 2,
                source: String = "<memory>") throws {
        func fail(_ reason: String) -> ImageError { .invalidConfig(path: source, reason: reason) }
        guard (1...1024).contains(patchSize), (1...16).contains(temporalPatchSize), (1...16).contains(mergeSize) else {
            throw fail("patch_size \(patchSize), temporal_patch_size \(temporalPatchSize) or merge_size \(mergeSize) is out of range")
        }
        guard minPixels >= 1, maxPixels >= minPixels, maxPixels <= Self.maximumPixels else {
            throw fail("pixel bounds \(minPixels)…\(maxPixels) must satisfy 1 ≤ min ≤ max ≤ \(Self.maximumPixels)")
        }
        try clip.validate(path: source)
        self.clip = clip
        self.minPixels = minPixels
        self.maxPixels = maxPixels
        self.patchSize = patchSize
        self.temporalPatchSize = temporalPatchSize
        self.mergeSize = mergeSize
    }

    /// Reads `preprocessor_config.json`: `min_pixels`/`max_pixels` (Hub) or `size.shortest_edge`/
    /// `size.longest_edge` (transformers 5.x), `patch_size`, `temporal_patch_size`, `merge_size`.
    public static func load(path: String) throws -> Qwen2VLImageProcessor {
        let bytes = try FileIO.readFile(path, maxBytes: 1 << 20)
        struct Keys: Decodable {
            struct Size: Decodable {
                var shortestEdge: Int?
                var longestEdge: Int?
                enum CodingKeys: String, CodingKey { case shortestEdge = "shortest_edge", longestEdge = "longest_edge" }
            }
            var minPixels: Int?
            var maxPixels: Int?
            var size: Size?
            var patchSize: Int?
            var temporalPatchSize: Int?
            var mergeSize: Int?
            enum CodingKeys: String, CodingKey {
                case minPixels = "min_pixels", maxPixels = "max_pixels", size, patchSize = "patch_size"
                case temporalPatchSize = "temporal_patch_size", mergeSize = "merge_size"
            }
        }
        let keys: Keys
        do { keys = try JSONDecoder().decode(Keys.self, from: Data(bytes)) } catch {
            throw ImageError.invalidConfig(path: path, reason: "pixel bounds, patch_size, temporal_patch_size and merge_size must be integers")
        }
        // CLIP's reader takes `size.shortest_edge` as a resize target; here it is a pixel count, so only
        // the normalisation keys are read from it.
        var clip = CLIPPreprocessorConfig()
        if let parsed = try? JSONDecoder().decode(NormalisationKeys.self, from: Data(bytes)) {
            clip.imageMean = parsed.imageMean ?? clip.imageMean
            clip.imageStd = parsed.imageStd ?? clip.imageStd
            clip.rescaleFactor = parsed.rescaleFactor ?? clip.rescaleFactor
            clip.doRescale = parsed.doRescale ?? clip.doRescale
            clip.doNormalize = parsed.doNormalize ?? clip.doNormalize
            if let code = parsed.resample {
                guard let filter = ResampleFilter(rawValue: code) else {
                    throw ImageError.invalidConfig(path: path, reason: "resample \(code) is not a PIL filter")
                }
                clip.resample = filter
            }
        }
        return try Qwen2VLImageProcessor(clip: clip, minPixels: keys.minPixels ?? keys.size?.shortestEdge ?? 56 * 56,
                                         maxPixels: keys.maxPixels ?? keys.size?.longestEdge ?? 28 * 28 * 1280,
                                         patchSize: keys.patchSize ?? 14, temporalPatchSize: keys.temporalPatchSize ?? 2,
                                         mergeSize: keys.mergeSize ?? 2, source: path)
    }

    private struct NormalisationKeys: Decodable {
        var imageMean: [Double]?
        var imageStd: [Double]?
        var rescaleFactor: Double?
        var doRescale: Bool?
        var doNormalize: Bool?
        var resample: Int?
        enum CodingKeys: String, CodingKey {
            case imageMean = "image_mean", imageStd = "image_std", rescaleFactor = "rescale_factor"
            case doRescale = "do_rescale", doNormalize = "do_normalize", resample
        }
    }

    /// transformers' `smart_resize` (Python's round-half-even, floor and ceil in double precision).
    public static func smartResize(height: Int, width: Int, factor: Int, minPixels: Int, maxPixels: Int) throws -> (height: Int, width: Int) {
        guard height >= 1, width >= 1 else { throw ImageError.invalidImage(reason: "cannot resize a \(width)x\(height) image") }
        guard Double(max(height, width)) / Double(min(height, width)) <= 200 else {
            throw ImageError.invalidImage(reason: "a \(width)x\(height) image has an aspect ratio above 200, which Qwen2-VL refuses")
        }
        let f = Double(factor)
        var newHeight = Int((Double(height) / f).rounded(.toNearestOrEven)) * factor
        var newWidth = Int((Double(width) / f).rounded(.toNearestOrEven)) * factor
        if newHeight * newWidth > maxPixels {
            let beta = (Double(height) * Double(width) / Double(maxPixels)).squareRoot()
            newHeight = max(factor, Int((Double(height) / beta / f).rounded(.down)) * factor)
            newWidth = max(factor, Int((Double(width) / beta / f).rounded(.down)) * factor)
        } else if newHeight * newWidth < minPixels {
            let beta = (Double(minPixels) / (Double(height) * Double(width))).squareRoot()
            newHeight = Int((Double(height) * beta / f).rounded(.up)) * factor
            newWidth = Int((Double(width) * beta / f).rounded(.up)) * factor
        }
        return (newHeight, newWidth)
    }

    /// The processor's output for one image: flattened patches [N, C·T·P·P] (`pixel_values`) and the
    /// patch grid (t, h, w) (`image_grid_thw`).
    public func pixelValues(_ image: RGBImage) throws -> (patches: Tensor, grid: (t: Int, h: Int, w: Int)) {
        let size = try Self.smartResize(height: image.height, width: image.width, factor: patchSize * mergeSize,
                                        minPixels: minPixels, maxPixels: maxPixels)
        var steps = clip
        steps.size = .exact(height: size.height, width: size.width)
        steps.doCenterCrop = false
        let planar = try CLIPPreprocessor(config: steps).pixelValues(image)
        let (p, m, t) = (patchSize, mergeSize, temporalPatchSize)
        let (gridH, gridW) = (size.height / p, size.width / p)
        let channels = planar.channels
        let patches = Tensor(planar.values, shape: [channels, gridH / m, m, p, gridW / m, m, p])
            .permuted(1, 4, 2, 5, 0, 3, 6)
            .unsqueezed(axis: 5)
            .expanded([gridH / m, gridW / m, m, m, channels, t, p, p])
            .contiguous()
            .reshaped([gridH * gridW, channels * t * p * p])
        return (patches, (1, gridH, gridW))
    }
}
