import LucidTensor

/// The split between preprocessing that is not differentiable (decode, resize, crop, pad → [0, 1]
/// RGB) and the part that is (normalisation → vision tower), in tensors.

extension FloatImage {
    /// The image as a [1, C, H, W] f32 tensor (CHW planes, values as stored: [0, 1] after rescale).
    public func tensor() -> Tensor {
        Tensor(values, shape: [1, channels, height, width])
    }

    /// An image from a [1, C, H, W] or [C, H, W] tensor (e.g. an adversarial image in [0, 1]).
    public init(tensor: Tensor) throws {
        let t = tensor.rank == 4 ? tensor[0] : tensor
        guard t.rank == 3 else {
            throw ImageError.invalidImage(reason: "tensor: expected [1, C, H, W] or [C, H, W], got \(tensor.shape)")
        }
        try self.init(width: t.size(2), height: t.size(1), channels: t.size(0), values: t.to(.f32).contiguous().toArray(Float.self))
    }
}

extension CLIPPreprocessorConfig {
    /// (x − mean) / std per channel for x [B, 3, H, W] in [0, 1]: the differentiable step between
    /// pixel space and the vision tower. A no-op when `doNormalize` is false.
    public func normalize(_ unit: Tensor) -> Tensor {
        guard doNormalize else { return unit }
        let mean = Tensor(imageMean.map(Float.init), shape: [1, imageMean.count, 1, 1]).to(unit.dtype)
        let std = Tensor(imageStd.map(Float.init), shape: [1, imageStd.count, 1, 1]).to(unit.dtype)
        return (unit - mean) / std
    }

    /// x · std + mean per channel for normalised x [B, 3, H, W]: `normalize` undone (back to [0, 1]).
    public func denormalize(_ normalized: Tensor) -> Tensor {
        guard doNormalize else { return normalized }
        let mean = Tensor(imageMean.map(Float.init), shape: [1, imageMean.count, 1, 1]).to(normalized.dtype)
        let std = Tensor(imageStd.map(Float.init), shape: [1, imageStd.count, 1, 1]).to(normalized.dtype)
        return normalized * std + mean
    }

    /// A configuration for a vision tower of `imageSize` without a preprocessor_config.json:
    /// CLIPImageProcessor defaults (OpenAI mean/std, bicubic) resized and cropped to that size.
    public static func defaults(imageSize: Int) -> CLIPPreprocessorConfig {
        CLIPPreprocessorConfig(size: .shortestEdge(imageSize), cropSize: CropSize(height: imageSize, width: imageSize))
    }
}

extension CLIPPreprocessor {
    /// Normalised pixel values [1, 3, H, W] for `image`: `config.normalize` of `unnormalized(_:)`.
    public func pixelTensor(_ image: RGBImage, padToSquare: Bool = false) throws -> Tensor {
        config.normalize(try unnormalized(image, padToSquare: padToSquare).tensor())
    }
}
