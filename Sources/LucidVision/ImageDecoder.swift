/// Decodes PNG and JPEG files into the pixels PIL's `Image.open(path).convert("RGB")` gives.
///
/// The format comes from the leading bytes, never the extension. Every failure is an
/// ``ImageError`` naming the file (or the `source` label of in-memory data): empty input,
/// unknown format, truncated or corrupt data, unsupported variants, and headers declaring more
/// than ``DecodeOptions/maxPixels`` pixels, which are refused before any pixel memory is
/// allocated. libpng and libjpeg errors are caught in C (CImageCodecs), never across Swift frames.
///
/// What matches PIL 9.4 exactly (pinned by tests against PIL-made goldens):
/// - PNG: 1/2/4-bit grey scaled to 8 bits; palettes expanded (indices past the PLTE entries get
///   PIL's default entry (i, i, i)); alpha and tRNS dropped, never composited; 16-bit RGB,
///   RGBA and grey+alpha keep each sample's high byte; 16-bit grey follows
///   ``DecodeOptions/grey16`` (PIL clips it to 255); interlaced files; gamma, ICC and other
///   colour chunks ignored; chunks after the image data are not read.
/// - JPEG: libjpeg-turbo with its defaults (islow IDCT, fancy upsampling), the same library
///   PIL uses on Debian; greyscale replicated; CMYK and YCCK (libjpeg turns YCCK into CMYK)
///   read with Adobe polarity whether or not an APP14 marker is present, then
///   `R = K - MULDIV255(255 - C, K)` per channel, PIL's naive `cmyk2rgb` (no colour
///   management); EXIF orientation ignored (as `Image.open` does); data ending before the
///   last scanline is `.truncated`, while a missing EOI after complete data is accepted.
public enum ImageDecoder {
    /// The header of `data` without decoding pixels.
    public static func info(data: [UInt8], source: String = "<memory>") throws -> ImageInfo {
        let format = try detect(data, path: source)
        switch format {
        case .png: return try PNGCodec.info(data, path: source)
        case .jpeg: return try JPEGCodec.info(data, path: source)
        }
    }

    /// The header of the file at `path` without decoding pixels.
    public static func info(path: String, options: DecodeOptions = DecodeOptions()) throws -> ImageInfo {
        try info(data: FileIO.readFile(path, maxBytes: options.maxFileBytes), source: path)
    }

    /// The 8-bit RGB image encoded in `data`; `source` names it in errors.
    public static func decode(data: [UInt8], source: String = "<memory>",
                              options: DecodeOptions = DecodeOptions()) throws -> RGBImage {
        let (info, palette) = try checkedHeader(data, path: source, options: options)
        let pixels: [UInt8]
        switch info.format {
        case .png:
            if info.colorModel == .palette {
                pixels = try PNGCodec.decodePalette(data, info: info, palette: palette, path: source)
            } else if info.colorModel == .grey, info.bitDepth == 16 {
                let wide = try PNGCodec.decodeWide16(data, info: info, path: source)
                pixels = greyToRGB(wide.samples.map { sample in
                    switch options.grey16 {
                    case .clipLikePIL: return UInt8(min(sample, 255))
                    case .highByte: return UInt8(sample >> 8)
                    }
                })
            } else {
                pixels = try PNGCodec.decodeRGB8(data, info: info, path: source)
            }
        case .jpeg:
            let decoded = try JPEGCodec.decode(data, info: info, path: source)
            switch decoded.components {
            case 1: pixels = greyToRGB(decoded.samples)
            case 4: pixels = JPEGCodec.rgbFromCMYK(decoded.samples, pixelCount: info.width * info.height)
            default: pixels = decoded.samples
            }
        }
        return RGBImage(checkedWidth: info.width, height: info.height, pixels: pixels)
    }

    /// The 8-bit RGB image in the file at `path`.
    public static func decode(path: String, options: DecodeOptions = DecodeOptions()) throws -> RGBImage {
        try decode(data: FileIO.readFile(path, maxBytes: options.maxFileBytes), source: path, options: options)
    }

    /// The image in `data` at full sample precision, as planar floats in [0, 1].
    ///
    /// The inverse of ``ImageEncoder/png16(_:)``. Each value is `Float(Double(sample) / maximum)`
    /// with maximum 65535 for 16-bit PNG samples and 255 for 8-bit ones (PNG 8-bit samples are
    /// widened to 16 bits by byte replication, v * 257, which gives the same value); grey and
    /// grey+alpha PNGs give 1 channel (16-bit grey is NOT clipped here), everything else 3.
    /// Alpha is dropped. JPEGs give their 8-bit RGB (or grey) samples / 255.
    public static func decode16(data: [UInt8], source: String = "<memory>",
                                options: DecodeOptions = DecodeOptions()) throws -> FloatImage {
        let (info, palette) = try checkedHeader(data, path: source, options: options)
        switch info.format {
        case .png:
            if info.colorModel == .palette {
                let rgb = try PNGCodec.decodePalette(data, info: info, palette: palette, path: source)
                return planar(rgb.map { Float(Double($0) / 255) }, width: info.width, height: info.height, channels: 3)
            }
            let wide = try PNGCodec.decodeWide16(data, info: info, path: source)
            let values = wide.samples.map { Float(Double($0) / 65535) }
            return planar(values, width: info.width, height: info.height, channels: wide.channels)
        case .jpeg:
            let decoded = try JPEGCodec.decode(data, info: info, path: source)
            let pixelCount = info.width * info.height
            let samples = decoded.components == 4
                ? JPEGCodec.rgbFromCMYK(decoded.samples, pixelCount: pixelCount)
                : decoded.samples
            let channels = decoded.components == 1 ? 1 : 3
            let values = samples.map { Float(Double($0) / 255) }
            return planar(values, width: info.width, height: info.height, channels: channels)
        }
    }

    /// The image in the file at `path` at full sample precision (see ``decode16(data:source:options:)``).
    public static func decode16(path: String, options: DecodeOptions = DecodeOptions()) throws -> FloatImage {
        try decode16(data: FileIO.readFile(path, maxBytes: options.maxFileBytes), source: path, options: options)
    }

    // MARK: - Helpers

    private static func detect(_ data: [UInt8], path: String) throws -> ImageFormat {
        guard !data.isEmpty else { throw ImageError.empty(path: path) }
        guard let format = ImageFormat.detect(data) else {
            throw ImageError.unknownFormat(path: path, leadingBytes: Array(data.prefix(8)))
        }
        return format
    }

    /// The header (and a PNG's palette as PIL sees it), checked for a usable size within the
    /// pixel limit.
    private static func checkedHeader(_ data: [UInt8], path: String,
                                      options: DecodeOptions) throws -> (info: ImageInfo, palette: [UInt8]) {
        let format = try detect(data, path: path)
        let (info, palette) = format == .png
            ? try PNGCodec.header(data, path: path)
            : (try JPEGCodec.info(data, path: path), [UInt8]())
        guard info.width >= 1, info.height >= 1 else {
            throw ImageError.corrupt(path: path, format: info.format,
                                     detail: "header declares a \(info.width)x\(info.height) image")
        }
        // The second bound keeps every buffer size below (16-bit RGB needs 6 bytes a pixel) finite.
        guard info.pixelCount <= options.maxPixels, info.pixelCount <= Int.max / 8 else {
            throw ImageError.tooLarge(path: path, width: info.width, height: info.height, limit: options.maxPixels)
        }
        return (info, palette)
    }

    private static func greyToRGB(_ grey: [UInt8]) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: grey.count * 3)
        for (index, value) in grey.enumerated() {
            rgb[index * 3] = value
            rgb[index * 3 + 1] = value
            rgb[index * 3 + 2] = value
        }
        return rgb
    }

    /// Interleaved (HWC) values to a planar ``FloatImage``.
    private static func planar(_ interleaved: [Float], width: Int, height: Int, channels: Int) -> FloatImage {
        let plane = width * height
        var values = [Float](repeating: 0, count: interleaved.count)
        for index in 0 ..< plane {
            for channel in 0 ..< channels {
                values[channel * plane + index] = interleaved[index * channels + channel]
            }
        }
        return FloatImage(checkedWidth: width, height: height, channels: channels, values: values)
    }
}
