/// Hugging Face `CLIPImageProcessor` (transformers 4.40) in Swift, split at the [0, 1] image.
///
/// `CLIPImageProcessor.preprocess` does, in order: `convert("RGB")` (the decoders here already
/// give PIL's RGB), PIL bicubic `resize` of the uint8 image to the shortest-edge size,
/// `center_crop` of the uint8 array, `rescale` (`float32(uint8 * factor)`, computed in float64),
/// `normalize` (`(x - mean) / std` in float32), CHW layout. The first three steps are not
/// differentiable and happen here on ``RGBImage`` (``resizedAndCropped(_:padToSquare:)``), the rescale gives
/// the [0, 1] ``FloatImage`` an attack perturbs (``unnormalized(_:padToSquare:)``), and
/// ``normalized(_:)`` is the last, differentiable step, which Lucid normally applies to tensors.
///
/// With `padToSquare`, LLaVA's `expand2square` runs first, with the config's
/// ``CLIPPreprocessorConfig/llavaPadColor`` (LLaVA-1.5's `image_aspect_ratio == "pad"`).
///
/// Matches transformers exactly (max-abs 0 on the committed photo goldens). One known
/// divergence: transformers infers the channel axis from the array shape, so an image exactly
/// 1 or 3 pixels tall is misread as channels-first there; here it is always an image.
public struct CLIPPreprocessor: Sendable, Equatable {
    /// The processor settings.
    public var config: CLIPPreprocessorConfig

    /// A preprocessor; throws `.invalidConfig` if `config` does not validate.
    public init(config: CLIPPreprocessorConfig = .clip224) throws {
        try config.validate()
        self.config = config
    }

    /// The (width, height) transformers' `get_resize_output_image_size` gives for a
    /// `width` x `height` image and a shortest edge of `edge` (`default_to_square=False`).
    ///
    /// The shorter side becomes `edge`, the longer `int(edge * long / short)`: true division in
    /// double precision, then truncation. A square image becomes `edge` x `edge`.
    public static func shortestEdgeSize(width: Int, height: Int, edge: Int) -> (width: Int, height: Int) {
        let (short, long) = width <= height ? (width, height) : (height, width)
        let quotient = (Double(edge) * Double(long) / Double(short)).rounded(.towardZero)
        let newLong = quotient < Double(Int.max) ? Int(quotient) : Int.max
        return width <= height ? (width: edge, height: newLong) : (width: newLong, height: edge)
    }

    /// The most pixels any intermediate image of the pipeline may have (the decoder's limit):
    /// padding a 1 × 60000 strip to a square, or a config's huge resize target, is refused before
    /// any pixel memory is allocated.
    public static let maxIntermediatePixels = DecodeOptions.defaultMaxPixels
    /// The most pixels a resize may produce (4096²): shortest-edge targets of real images are a few
    /// hundred pixels a side; only extreme aspect ratios (a 3 x 20000 strip → 96 x 640000) go beyond.
    public static let maxResizePixels = 1 << 24

    /// Refuses a `width` x `height` intermediate over `budget` pixels (checked arithmetic).
    static func requireBudget(width: Int, height: Int, step: String, budget: Int = maxIntermediatePixels) throws {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= budget else {
            throw ImageError.invalidImage(reason: "\(step) would make a \(width)x\(height) image, over the budget of \(budget) pixels")
        }
    }

    /// The uint8 part of the pipeline: optional LLaVA pad, resize, centre crop (as configured).
    public func resizedAndCropped(_ image: RGBImage, padToSquare: Bool = false) throws -> RGBImage {
        var current = image
        if padToSquare {
            let side = max(current.width, current.height)
            try Self.requireBudget(width: side, height: side, step: "padding to a square")
            current = try current.expandedToSquare(background: config.llavaPadColor)
        }
        if config.doResize {
            let target: (width: Int, height: Int)
            switch config.size {
            case .shortestEdge(let edge):
                target = Self.shortestEdgeSize(width: current.width, height: current.height, edge: edge)
            case .exact(let height, let width):
                target = (width: width, height: height)
            }
            try Self.requireBudget(width: target.width, height: target.height, step: "resizing", budget: Self.maxResizePixels)
            current = try current.resized(width: target.width, height: target.height, filter: config.resample)
        }
        if config.doCenterCrop {
            current = try current.centerCropped(width: config.cropSize.width, height: config.cropSize.height)
        }
        return current
    }

    /// The planar image just before normalisation: in [0, 1] when `do_rescale` (the default),
    /// raw 0...255 values otherwise.
    public func unnormalized(_ image: RGBImage, padToSquare: Bool = false) throws -> FloatImage {
        let prepared = try resizedAndCropped(image, padToSquare: padToSquare)
        return FloatImage(prepared, scale: config.doRescale ? config.rescaleFactor : 1)
    }

    /// `(x - mean[c]) / std[c]` per channel in Float, as numpy does with float32 mean and std.
    ///
    /// Returns the input unchanged when `do_normalize` is false. Throws `.invalidImage` unless
    /// the image has 3 channels.
    public func normalized(_ image: FloatImage) throws -> FloatImage {
        guard config.doNormalize else { return image }
        guard image.channels == 3 else {
            throw ImageError.invalidImage(reason: "normalisation needs 3 channels, got \(image.channels)")
        }
        let plane = image.width * image.height
        var values = image.values
        for channel in 0 ..< 3 {
            let mean = Float(config.imageMean[channel])
            let std = Float(config.imageStd[channel])
            for index in channel * plane ..< (channel + 1) * plane {
                values[index] = (values[index] - mean) / std
            }
        }
        return FloatImage(checkedWidth: image.width, height: image.height, channels: 3, values: values)
    }

    /// The whole pipeline: what `CLIPImageProcessor(...)(image).pixel_values[0]` holds (CHW).
    public func pixelValues(_ image: RGBImage, padToSquare: Bool = false) throws -> FloatImage {
        try normalized(unnormalized(image, padToSquare: padToSquare))
    }
}
