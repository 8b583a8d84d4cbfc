/// Encodes images as lossless PNG, in memory or atomically to a file.
///
/// Three encodings:
/// - `png(_: RGBImage)`: 8-bit RGB, exactly the given samples;
///   `ImageDecoder.decode(data: png(x)) == x` for every image.
/// - `png(_: FloatImage)`: 8-bit from floats in [0, 1], rounded as
///   ``FloatImage/rgbImage()`` documents (clamp, then the nearest code to `v * 255`).
/// - ``png16(_:)``: 16-bit grey (1 channel) or RGB (3 channels) from floats in [0, 1], sample
///   `round(clamp(v, 0, 1) * 65535)` to nearest (computed exactly in Double; as with 255, no
///   Float lands on a tie).
///   Guarantee: every value `v` of `x` in [0, 1] comes back from `decode16(png16(x))` within
///   `0.5 / 65535 + 2^-25` (half a 16-bit step plus Float rounding: under 7.7e-6; 0 and 1
///   come back exactly), and re-encoding a decoded image reproduces the same 16-bit
///   samples, so save → load → save is lossless. Values outside [0, 1] are clamped; NaN and
///   infinities throw `.invalidImage`.
///
/// Files are written to a temporary file in the destination directory, fsync'ed and renamed
/// over the path, so a reader never sees a partial PNG.
public enum ImageEncoder {
    /// PNG bytes of an 8-bit RGB image (lossless).
    public static func png(_ image: RGBImage) throws -> [UInt8] {
        try PNGCodec.encode(image.pixels, width: image.width, height: image.height, channels: 3, bitDepth: 8)
    }

    /// PNG bytes (8-bit RGB) of a 1- or 3-channel float image in [0, 1].
    public static func png(_ image: FloatImage) throws -> [UInt8] {
        try png(image.rgbImage())
    }

    /// PNG bytes (16-bit grey or RGB) of a 1- or 3-channel float image in [0, 1].
    public static func png16(_ image: FloatImage) throws -> [UInt8] {
        let codes = try image.quantized(maximum: 65535)
        let plane = image.width * image.height
        let channels = image.channels
        var bytes = [UInt8](repeating: 0, count: codes.count * 2)
        for index in 0 ..< plane {
            for channel in 0 ..< channels {
                let code = codes[channel * plane + index]
                let offset = (index * channels + channel) * 2
                bytes[offset] = UInt8(code >> 8)
                bytes[offset + 1] = UInt8(code & 0xFF)
            }
        }
        return try PNGCodec.encode(bytes, width: image.width, height: image.height, channels: channels, bitDepth: 16)
    }

    /// Writes `image` as an 8-bit RGB PNG to `path` atomically.
    public static func writePNG(_ image: RGBImage, to path: String) throws {
        try FileIO.writeFileAtomically(png(image), to: path)
    }

    /// Writes a float image in [0, 1] as an 8-bit RGB PNG to `path` atomically.
    public static func writePNG(_ image: FloatImage, to path: String) throws {
        try FileIO.writeFileAtomically(png(image), to: path)
    }

    /// Writes a float image in [0, 1] as a 16-bit PNG to `path` atomically (lossless to 1/65535).
    public static func writePNG16(_ image: FloatImage, to path: String) throws {
        try FileIO.writeFileAtomically(png16(image), to: path)
    }
}
