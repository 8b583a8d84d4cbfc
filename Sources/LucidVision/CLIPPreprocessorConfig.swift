import Foundation

/// The settings of a Hugging Face `CLIPImageProcessor`, decodable from `preprocessor_config.json`.
///
/// Missing keys take `CLIPImageProcessor.__init__`'s defaults (transformers 4.40): resize the
/// shortest edge to 224 with bicubic, centre-crop 224x224, rescale by 1/255, normalise with the
/// OpenAI CLIP mean and std, convert to RGB. Field forms accepted as transformers'
/// `get_size_dict` does: `size` as an int (shortest edge), `{"shortest_edge": n}`,
/// `{"height": h, "width": w}` or `[h, w]`; `crop_size` as an int (square), a height/width
/// dict or `[h, w]`; `image_mean`/`image_std` as one number or a list of 3. Other keys
/// (`feature_extractor_type`, `image_processor_type`, ...) are ignored.
public struct CLIPPreprocessorConfig: Sendable, Equatable, Decodable {
    /// What `resize` aims for.
    public enum ResizeTarget: Sendable, Equatable {
        /// Scale so the shorter side is `n`, the longer `Int(n * long / short)` (truncated).
        case shortestEdge(Int)
        /// Scale to exactly this size, ignoring the aspect ratio.
        case exact(height: Int, width: Int)
    }

    /// Output size of the centre crop.
    public typealias CropSize = PixelSize

    /// OpenAI CLIP's per-channel mean (transformers' `OPENAI_CLIP_MEAN`).
    public static let openAIMean: [Double] = [0.48145466, 0.4578275, 0.40821073]
    /// OpenAI CLIP's per-channel standard deviation (transformers' `OPENAI_CLIP_STD`).
    public static let openAIStd: [Double] = [0.26862954, 0.26130258, 0.27577711]

    /// `openai/clip-vit-large-patch14` (and CLIP ViT-B): shortest edge 224, crop 224.
    public static let clip224 = CLIPPreprocessorConfig()
    /// `openai/clip-vit-large-patch14-336` (LLaVA-1.5's vision tower): shortest edge 336, crop 336.
    public static let clip336 = CLIPPreprocessorConfig(size: .shortestEdge(336),
                                                       cropSize: CropSize(height: 336, width: 336))

    public var doResize: Bool
    public var size: ResizeTarget
    public var resample: ResampleFilter
    public var doCenterCrop: Bool
    public var cropSize: CropSize
    public var doRescale: Bool
    public var rescaleFactor: Double
    public var doNormalize: Bool
    /// Per-channel mean, 3 values.
    public var imageMean: [Double]
    /// Per-channel standard deviation, 3 nonzero values.
    public var imageStd: [Double]
    /// Decoders here always produce RGB, so this only records the file's setting.
    public var doConvertRGB: Bool

    /// A config with `CLIPImageProcessor`'s defaults for every argument left out.
    public init(doResize: Bool = true, size: ResizeTarget = .shortestEdge(224),
                resample: ResampleFilter = .bicubic, doCenterCrop: Bool = true,
                cropSize: CropSize = CropSize(height: 224, width: 224), doRescale: Bool = true,
                rescaleFactor: Double = 1.0 / 255.0, doNormalize: Bool = true,
                imageMean: [Double] = CLIPPreprocessorConfig.openAIMean,
                imageStd: [Double] = CLIPPreprocessorConfig.openAIStd, doConvertRGB: Bool = true) {
        self.doResize = doResize
        self.size = size
        self.resample = resample
        self.doCenterCrop = doCenterCrop
        self.cropSize = cropSize
        self.doRescale = doRescale
        self.rescaleFactor = rescaleFactor
        self.doNormalize = doNormalize
        self.imageMean = imageMean
        self.imageStd = imageStd
        self.doConvertRGB = doConvertRGB
    }

    /// LLaVA's pad colour: `tuple(int(x * 255) for x in image_mean)`, truncated, clamped to 0...255.
    ///
    /// (122, 116, 104) for the OpenAI CLIP mean.
    public var llavaPadColor: RGBColor {
        func channel(_ index: Int) -> UInt8 {
            guard index < imageMean.count, imageMean[index].isFinite else { return 0 }
            return UInt8(clamping: Int(max(min(imageMean[index] * 255, 255), 0)))
        }
        return RGBColor(red: channel(0), green: channel(1), blue: channel(2))
    }

    /// Largest accepted `size`/`crop_size` side, in pixels.
    public static let maximumSide = 8192

    /// Throws `.invalidConfig` (naming `path`) if a size is not positive or above `maximumSide`, the mean/std do not
    /// have 3 finite values, a std is zero, or the rescale factor is not finite.
    public func validate(path: String = "<memory>") throws {
        func fail(_ reason: String) -> ImageError { .invalidConfig(path: path, reason: reason) }
        switch size {
        case .shortestEdge(let edge) where edge < 1:
            throw fail("size shortest_edge \(edge) is not positive")
        case .exact(let height, let width) where height < 1 || width < 1:
            throw fail("size \(height)x\(width) is not positive")
        default:
            break
        }
        guard cropSize.height >= 1, cropSize.width >= 1 else {
            throw fail("crop_size \(cropSize.height)x\(cropSize.width) is not positive")
        }
        let sides: [Int]
        switch size {
        case .shortestEdge(let edge): sides = [edge, cropSize.height, cropSize.width]
        case .exact(let height, let width): sides = [height, width, cropSize.height, cropSize.width]
        }
        guard sides.allSatisfy({ $0 <= Self.maximumSide }) else {
            throw fail("sizes must be at most \(Self.maximumSide) pixels, got \(sides.map(String.init).joined(separator: ", "))")
        }
        guard imageMean.count == 3, imageMean.allSatisfy(\.isFinite) else {
            throw fail("image_mean must have 3 finite values, got \(imageMean)")
        }
        guard imageStd.count == 3, imageStd.allSatisfy({ $0.isFinite && $0 != 0 }) else {
            throw fail("image_std must have 3 finite nonzero values, got \(imageStd)")
        }
        guard rescaleFactor.isFinite else { throw fail("rescale_factor \(rescaleFactor) is not finite") }
    }

    /// Reads and validates `preprocessor_config.json` (or any file with these keys) at `path`.
    public static func load(path: String) throws -> CLIPPreprocessorConfig {
        let bytes = try FileIO.readFile(path, maxBytes: 1 << 20)
        return try decode(json: bytes, source: path)
    }

    /// Decodes and validates a config from JSON bytes; `source` names them in errors.
    public static func decode(json: [UInt8], source: String = "<memory>") throws -> CLIPPreprocessorConfig {
        let config: CLIPPreprocessorConfig
        do {
            config = try JSONDecoder().decode(CLIPPreprocessorConfig.self, from: Data(json))
        } catch let error as DecodingError {
            throw ImageError.invalidConfig(path: source, reason: ConfigJSON.describe(error))
        } catch {
            throw ImageError.invalidConfig(path: source, reason: "\(error)")
        }
        try config.validate(path: source)
        return config
    }

    private enum Key: String, CodingKey {
        case doResize = "do_resize", size, resample, doCenterCrop = "do_center_crop", cropSize = "crop_size"
        case doRescale = "do_rescale", rescaleFactor = "rescale_factor", doNormalize = "do_normalize"
        case imageMean = "image_mean", imageStd = "image_std", doConvertRGB = "do_convert_rgb"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let defaults = CLIPPreprocessorConfig()
        doResize = try container.decodeIfPresent(Bool.self, forKey: .doResize) ?? defaults.doResize
        size = try container.decodeIfPresent(ConfigJSON.Size.self, forKey: .size)?.resizeTarget ?? defaults.size
        if let code = try container.decodeIfPresent(Int.self, forKey: .resample) {
            guard let filter = ResampleFilter(rawValue: code) else {
                throw DecodingError.dataCorruptedError(forKey: .resample, in: container,
                                                       debugDescription: "unknown PIL resampling filter \(code)")
            }
            resample = filter
        } else {
            resample = defaults.resample
        }
        doCenterCrop = try container.decodeIfPresent(Bool.self, forKey: .doCenterCrop) ?? defaults.doCenterCrop
        cropSize = try container.decodeIfPresent(ConfigJSON.Size.self, forKey: .cropSize)?.cropSize ?? defaults.cropSize
        doRescale = try container.decodeIfPresent(Bool.self, forKey: .doRescale) ?? defaults.doRescale
        rescaleFactor = try container.decodeIfPresent(Double.self, forKey: .rescaleFactor) ?? defaults.rescaleFactor
        doNormalize = try container.decodeIfPresent(Bool.self, forKey: .doNormalize) ?? defaults.doNormalize
        imageMean = try container.decodeIfPresent(ConfigJSON.Numbers.self, forKey: .imageMean)?.values ?? defaults.imageMean
        imageStd = try container.decodeIfPresent(ConfigJSON.Numbers.self, forKey: .imageStd)?.values ?? defaults.imageStd
        doConvertRGB = try container.decodeIfPresent(Bool.self, forKey: .doConvertRGB) ?? defaults.doConvertRGB
    }
}
