/// What an image header declares, read without decoding any pixel data.
public struct ImageInfo: Sendable, Equatable {
    /// How the samples of an image are organised, as the file declares it.
    public enum ColorModel: String, Sendable, Equatable {
        case grey, greyAlpha, rgb, rgba, palette
        /// JPEG colour spaces (libjpeg's names).
        case ycbcr, cmyk, ycck
        /// Anything else a header may declare (for example JPEG "unknown").
        case other
    }

    /// The container format.
    public var format: ImageFormat
    /// Width in pixels as declared (may be 0 for a broken header).
    public var width: Int
    /// Height in pixels as declared.
    public var height: Int
    /// Bits per sample: PNG 1, 2, 4, 8 or 16; JPEG the data precision (8 or 12).
    public var bitDepth: Int
    /// The colour model of the stored samples.
    public var colorModel: ColorModel
    /// Stored components per pixel (PNG: 1 for palette; JPEG: 1, 3 or 4).
    public var components: Int
    /// PNG: Adam7 interlacing. JPEG: progressive (multi-scan) coding.
    public var isInterlaced: Bool
    /// PNG: a tRNS chunk is present (decoders here ignore it, as PIL's `convert("RGB")` does).
    public var hasTransparencyChunk: Bool
    /// JPEG: an Adobe APP14 marker is present.
    public var hasAdobeMarker: Bool

    public init(format: ImageFormat, width: Int, height: Int, bitDepth: Int, colorModel: ColorModel,
                components: Int, isInterlaced: Bool = false, hasTransparencyChunk: Bool = false,
                hasAdobeMarker: Bool = false) {
        self.format = format
        self.width = width
        self.height = height
        self.bitDepth = bitDepth
        self.colorModel = colorModel
        self.components = components
        self.isInterlaced = isInterlaced
        self.hasTransparencyChunk = hasTransparencyChunk
        self.hasAdobeMarker = hasAdobeMarker
    }

    /// `width * height`, saturating instead of overflowing.
    public var pixelCount: Int {
        let (product, overflow) = width.multipliedReportingOverflow(by: height)
        return overflow ? Int.max : product
    }
}
