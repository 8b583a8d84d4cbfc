import Foundation

extension CLIPPreprocessorConfig {
    /// transformers' `SiglipImageProcessor` without a config, for a tower of `imageSize`: an exact
    /// resize to it (bicubic), no centre crop, mean and std 0.5 (`IMAGENET_STANDARD_*`).
    public static func siglipDefaults(imageSize: Int) -> CLIPPreprocessorConfig {
        CLIPPreprocessorConfig(size: .exact(height: imageSize, width: imageSize), doCenterCrop: false,
                               cropSize: CropSize(height: imageSize, width: imageSize),
                               imageMean: [0.5, 0.5, 0.5], imageStd: [0.5, 0.5, 0.5])
    }

    /// transformers' `LlavaOnevisionImageProcessor` steps without a config, for tiles of `imageSize`:
    /// SigLIP's exact resize and no crop, with OpenAI CLIP's mean and std (that class's defaults).
    public static func onevisionDefaults(imageSize: Int) -> CLIPPreprocessorConfig {
        var config = siglipDefaults(imageSize: imageSize)
        (config.imageMean, config.imageStd) = (openAIMean, openAIStd)
        return config
    }

    /// Reads the config of a processor that resizes to an exact size and does not crop (SigLIP's,
    /// LLaVA-OneVision's): the CLIP keys, with `defaults`' `size`, `do_center_crop`, `image_mean` and
    /// `image_std` where the file leaves them out (CLIP's reader would default to a 224-px centre crop
    /// and OpenAI's mean), and a crop size equal to `size` unless `crop_size` is given — so the tile
    /// side transformers derives (`crop_size` height, else `size` height) is `cropSize.height`.
    public static func loadExactResize(path: String, defaults: CLIPPreprocessorConfig) throws -> CLIPPreprocessorConfig {
        try decodeExactResize(json: try FileIO.readFile(path, maxBytes: 1 << 20), source: path, defaults: defaults)
    }

    /// `loadExactResize` of JSON bytes already read; `source` names them in errors.
    static func decodeExactResize(json bytes: [UInt8], source path: String, defaults: CLIPPreprocessorConfig) throws -> CLIPPreprocessorConfig {
        var config = try decode(json: bytes, source: path)
        struct Present: Decodable {
            var size: ConfigJSON.Size?
            var cropSize: ConfigJSON.Size?
            var doCenterCrop: Bool?
            var imageMean: ConfigJSON.Numbers?
            var imageStd: ConfigJSON.Numbers?
            enum CodingKeys: String, CodingKey {
                case size, cropSize = "crop_size", doCenterCrop = "do_center_crop", imageMean = "image_mean", imageStd = "image_std"
            }
        }
        let present: Present
        do { present = try JSONDecoder().decode(Present.self, from: Data(bytes)) } catch {
            throw ImageError.invalidConfig(path: path, reason: "size, crop_size, do_center_crop, image_mean or image_std is malformed")
        }
        if present.size == nil { config.size = defaults.size }
        config.doCenterCrop = present.doCenterCrop ?? defaults.doCenterCrop
        if present.imageMean == nil { config.imageMean = defaults.imageMean }
        if present.imageStd == nil { config.imageStd = defaults.imageStd }
        if present.cropSize == nil {
            switch config.size {
            case .exact(let height, let width): config.cropSize = CropSize(height: height, width: width)
            case .shortestEdge(let edge): config.cropSize = CropSize(height: edge, width: edge)
            }
        }
        try config.validate(path: path)
        return config
    }
}
