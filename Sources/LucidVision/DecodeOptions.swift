/// Limits and policies for ``ImageDecoder``.
public struct DecodeOptions: Sendable, Equatable {
    /// The default pixel limit: 64 megapixels (64,000,000 pixels).
    public static let defaultMaxPixels = 64_000_000
    /// The default file size limit: 1 GiB.
    public static let defaultMaxFileBytes = 1 << 30

    /// Images whose header declares more than this many pixels are refused with `.tooLarge`
    /// before any pixel memory is allocated.
    public var maxPixels: Int
    /// Files larger than this are refused with `.cannotRead` before they are read.
    public var maxFileBytes: Int
    /// How a 16-bit greyscale PNG becomes 8-bit RGB.
    public var grey16: Grey16Conversion

    public init(maxPixels: Int = DecodeOptions.defaultMaxPixels,
                maxFileBytes: Int = DecodeOptions.defaultMaxFileBytes,
                grey16: Grey16Conversion = .clipLikePIL) {
        self.maxPixels = maxPixels
        self.maxFileBytes = maxFileBytes
        self.grey16 = grey16
    }
}

/// How a 16-bit greyscale PNG (colour type 0, bit depth 16) becomes 8-bit RGB.
///
/// PIL (9.4) opens such a file in mode "I" (32-bit integers 0...65535) and `convert("RGB")`
/// clips each value to 255, so almost every pixel turns white. Every other 16-bit PNG (RGB,
/// RGBA, grey+alpha) keeps the high byte of each sample in PIL, as libpng's `strip_16` does.
public enum Grey16Conversion: Sendable, Equatable {
    /// `min(sample, 255)`, what PIL and therefore transformers' image processors produce.
    case clipLikePIL
    /// The high byte, `sample >> 8`: the visually faithful choice.
    case highByte
}
