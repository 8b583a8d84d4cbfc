import CImageCodecs

/// libjpeg(-turbo) through CImageCodecs: header and full decoding, plus PIL's CMYK → RGB.
enum JPEGCodec {
    static func info(_ data: [UInt8], path: String) throws -> ImageInfo {
        var raw = lv_image_info()
        var message = CodecStatus.messageBuffer()
        let status = data.withUnsafeBufferPointer { bytes in
            lv_jpeg_read_info(bytes.baseAddress, bytes.count, &raw, &message)
        }
        if let error = CodecStatus.error(status, message, path: path, format: .jpeg) { throw error }
        // libjpeg's J_COLOR_SPACE: 1 grey, 2 RGB, 3 YCbCr, 4 CMYK, 5 YCCK.
        let model: ImageInfo.ColorModel
        switch raw.jpeg_color_space {
        case 1: model = .grey
        case 2: model = .rgb
        case 3: model = .ycbcr
        case 4: model = .cmyk
        case 5: model = .ycck
        default: model = .other
        }
        return ImageInfo(format: .jpeg, width: Int(raw.width), height: Int(raw.height),
                         bitDepth: Int(raw.bit_depth), colorModel: model, components: Int(raw.color_type),
                         isInterlaced: raw.interlaced != 0, hasAdobeMarker: raw.extra != 0)
    }

    /// Decoded samples as libjpeg outputs them: 1 (grey), 3 (RGB) or 4 (CMYK) a pixel.
    static func decode(_ data: [UInt8], info: ImageInfo, path: String) throws -> (samples: [UInt8], components: Int) {
        let components = info.components
        guard components == 1 || components == 3 || components == 4 else {
            throw ImageError.unsupported(path: path, format: .jpeg,
                                         detail: "\(components) components (PIL handles 1, 3 or 4)")
        }
        var message = CodecStatus.messageBuffer()
        var samples = [UInt8](repeating: 0, count: info.width * info.height * components)
        let status = data.withUnsafeBufferPointer { bytes in
            samples.withUnsafeMutableBufferPointer { buffer in
                lv_jpeg_decode(bytes.baseAddress, bytes.count, buffer.baseAddress, buffer.count, &message)
            }
        }
        if let error = CodecStatus.error(status, message, path: path, format: .jpeg) { throw error }
        return (samples, components)
    }

    /// RGB from libjpeg's CMYK output, as PIL 9.4 computes it.
    ///
    /// PIL always reads 4-component JPEGs with rawmode "CMYK;I" (Adobe polarity: every stored
    /// byte inverted, with or without an APP14 marker), then `convert("RGB")` applies
    /// `R = k' - k' * c' / 255` with `k' = 255 - K`, `c' = 255 - C` in its fixed-point
    /// `MULDIV255` (`t = a * b + 128; (t + t >> 8) >> 8`). In terms of the bytes libjpeg
    /// returns, `R = K - MULDIV255(255 - C, K)` (and likewise G, B): no colour management.
    static func rgbFromCMYK(_ samples: [UInt8], pixelCount: Int) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: pixelCount * 3)
        for pixel in 0 ..< pixelCount {
            let k = Int(samples[pixel * 4 + 3])
            for channel in 0 ..< 3 {
                let inkInverted = 255 - Int(samples[pixel * 4 + channel])
                let product = inkInverted * k + 128
                let scaled = ((product >> 8) + product) >> 8
                rgb[pixel * 3 + channel] = UInt8(clamping: k - scaled)
            }
        }
        return rgb
    }
}
