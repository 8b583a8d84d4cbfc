import CImageCodecs

/// libpng through CImageCodecs: header, 8-bit RGB and 16-bit wide decoding, encoding.
enum PNGCodec {
    static func info(_ data: [UInt8], path: String) throws -> ImageInfo {
        try header(data, path: path).info
    }

    /// The header and, for palette images, PIL's 256-entry palette: the PLTE entries, then
    /// PIL's initial greyscale ramp (entry i = (i, i, i)) for indices past them.
    static func header(_ data: [UInt8], path: String) throws -> (info: ImageInfo, palette: [UInt8]) {
        var raw = lv_image_info()
        var message = CodecStatus.messageBuffer()
        let status = data.withUnsafeBufferPointer { bytes in
            lv_png_read_info(bytes.baseAddress, bytes.count, &raw, &message)
        }
        if let error = CodecStatus.error(status, message, path: path, format: .png) { throw error }
        let model: ImageInfo.ColorModel
        let components: Int
        switch raw.color_type {
        case 0: (model, components) = (.grey, 1)
        case 2: (model, components) = (.rgb, 3)
        case 3: (model, components) = (.palette, 1)
        case 4: (model, components) = (.greyAlpha, 2)
        case 6: (model, components) = (.rgba, 4)
        default: (model, components) = (.other, 0)
        }
        let info = ImageInfo(format: .png, width: Int(raw.width), height: Int(raw.height),
                             bitDepth: Int(raw.bit_depth), colorModel: model, components: components,
                             isInterlaced: raw.interlaced != 0, hasTransparencyChunk: raw.extra != 0)
        var palette = [UInt8](repeating: 0, count: 768)
        for index in 0 ..< 256 {
            palette[3 * index] = UInt8(index)
            palette[3 * index + 1] = UInt8(index)
            palette[3 * index + 2] = UInt8(index)
        }
        let entries = min(max(Int(raw.palette_size), 0), 256)
        withUnsafeBytes(of: raw.palette) { stored in
            for offset in 0 ..< entries * 3 { palette[offset] = stored[offset] }
        }
        return (info, palette)
    }

    /// 8-bit RGB of a palette image with PIL's palette (see ``header(_:path:)``), tRNS ignored.
    static func decodePalette(_ data: [UInt8], info: ImageInfo, palette: [UInt8], path: String) throws -> [UInt8] {
        let indices = try decode(data, layout: Int32(LV_PNG_INDEX8), count: info.width * info.height, path: path)
        var rgb = [UInt8](repeating: 0, count: indices.count * 3)
        for (pixel, index) in indices.enumerated() {
            rgb[pixel * 3] = palette[Int(index) * 3]
            rgb[pixel * 3 + 1] = palette[Int(index) * 3 + 1]
            rgb[pixel * 3 + 2] = palette[Int(index) * 3 + 2]
        }
        return rgb
    }

    /// 8-bit RGB: palette expanded, grey replicated, alpha/tRNS dropped, 16-bit → high byte.
    static func decodeRGB8(_ data: [UInt8], info: ImageInfo, path: String) throws -> [UInt8] {
        try decode(data, layout: Int32(LV_PNG_RGB8), count: info.width * info.height * 3, path: path)
    }

    /// 16-bit samples (8-bit ones widened as v * 257), 1 channel for grey, 3 otherwise.
    static func decodeWide16(_ data: [UInt8], info: ImageInfo, path: String) throws -> (samples: [UInt16], channels: Int) {
        let channels = wideChannels(info)
        let bytes = try decode(data, layout: Int32(LV_PNG_WIDE16),
                               count: info.width * info.height * channels * 2, path: path)
        var samples = [UInt16](repeating: 0, count: bytes.count / 2)
        for index in samples.indices {
            samples[index] = UInt16(bytes[2 * index]) << 8 | UInt16(bytes[2 * index + 1])
        }
        return (samples, channels)
    }

    /// Output channels of the wide layout: grey and grey+alpha keep one channel.
    static func wideChannels(_ info: ImageInfo) -> Int {
        info.colorModel == .grey || info.colorModel == .greyAlpha ? 1 : 3
    }

    private static func decode(_ data: [UInt8], layout: Int32, count: Int, path: String) throws -> [UInt8] {
        var message = CodecStatus.messageBuffer()
        var output = [UInt8](repeating: 0, count: count)
        let status = data.withUnsafeBufferPointer { bytes in
            output.withUnsafeMutableBufferPointer { buffer in
                lv_png_decode(bytes.baseAddress, bytes.count, layout, buffer.baseAddress, buffer.count, &message)
            }
        }
        if let error = CodecStatus.error(status, message, path: path, format: .png) { throw error }
        return output
    }

    /// Encodes 8- or 16-bit (big-endian byte pairs) interleaved samples with 1 or 3 channels.
    static func encode(_ samples: [UInt8], width: Int, height: Int, channels: Int, bitDepth: Int) throws -> [UInt8] {
        guard let w = UInt32(exactly: width), let h = UInt32(exactly: height) else {
            throw ImageError.invalidImage(reason: "size \(width)x\(height) does not fit a PNG header")
        }
        guard samples.count == width * height * channels * (bitDepth / 8) else {
            throw ImageError.invalidImage(reason: "sample count does not match \(width)x\(height)x\(channels)")
        }
        var message = CodecStatus.messageBuffer()
        var encoded: UnsafeMutablePointer<UInt8>?
        var size = 0
        let status = samples.withUnsafeBufferPointer { pixels in
            lv_png_encode(pixels.baseAddress, w, h, Int32(channels), Int32(bitDepth), &encoded, &size, &message)
        }
        defer { lv_free(encoded) }
        guard status == Int32(LV_OK), let encoded else {
            throw ImageError.invalidImage(reason: "libpng could not encode: \(CodecStatus.text(message))")
        }
        return Array(UnsafeBufferPointer(start: encoded, count: size))
    }
}
