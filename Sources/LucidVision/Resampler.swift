/// Resizes 8-bit RGB images exactly as Pillow's `Image.resize` does (Pillow 9.4, any filter but
/// nearest), so that CLIP/LLaVA preprocessing matches transformers bit for bit.
///
/// The algorithm, reproduced from the behaviour of Pillow's `ImagingResample`:
/// - Separable convolution, horizontal pass first (over only the input rows the vertical pass
///   will read), then vertical; a pass is skipped when its dimension does not change, and an
///   image of unchanged size is copied.
/// - For an output index `i`, the kernel centre in input coordinates is `(i + 0.5) * scale` with
///   `scale = inSize / outSize`; when downscaling (`scale > 1`) the kernel is stretched by
///   `scale` (antialiasing) and its support grows to `support * scale`.
/// - Taps run over input pixels `[Int(center - support + 0.5), Int(center + support + 0.5))`,
///   clipped to the image; each weight is `filter((j - center + 0.5) / filterScale)`, and the
///   taps are normalised to sum to 1.
/// - Weights become 22-bit fixed point (`Int(w * 2^22 ± 0.5)`, rounding away from zero); each
///   pass sums `sample * weight` from `2^21` (for rounding), shifts right by 22 and clamps to
///   0...255, so the intermediate image is 8-bit, as in Pillow.
public enum Resampler {
    /// Pillow's fixed-point precision for 8-bit images (32 − 8 − 2 bits): a weight is an integer over 2^22, and a
    /// pass rounds its sum to a byte.
    public static let precisionBits = 22

    /// `image` resized to `width` x `height` with `filter` (PIL's default for RGB: bicubic).
    ///
    /// Throws `.invalidImage` for a target size below 1x1 and `.unsupportedOperation` for `.nearest`.
    public static func resize(_ image: RGBImage, width: Int, height: Int,
                              filter: ResampleFilter = .bicubic) throws -> RGBImage {
        guard width >= 1, height >= 1 else {
            throw ImageError.invalidImage(reason: "cannot resize to \(width)x\(height)")
        }
        _ = try RGBImage.sampleCount(width: width, height: height)
        guard filter != .nearest else {
            throw ImageError.unsupportedOperation(
                reason: "nearest-neighbour resizing is not implemented (PIL uses an affine transform for it)")
        }
        if width == image.width, height == image.height { return image }

        let vertical = Taps(inSize: image.height, outSize: height, filter: filter)
        var source = image.pixels
        var sourceWidth = image.width
        var rowOffset = 0
        if width != image.width {
            // Only rows the vertical pass will read: [first, last).
            let first = height != image.height ? vertical.start[0] : 0
            let last = height != image.height ? vertical.start[height - 1] + vertical.count[height - 1] : image.height
            let horizontal = Taps(inSize: image.width, outSize: width, filter: filter)
            source = horizontalPass(source, inWidth: image.width, rows: first ..< last, taps: horizontal)
            sourceWidth = width
            rowOffset = first
        }
        if height != image.height {
            source = verticalPass(source, width: sourceWidth, rowOffset: rowOffset, taps: vertical)
        }
        return RGBImage(checkedWidth: width, height: height, pixels: source)
    }

    /// Kernel taps for one axis: for output index `i`, input indices `start[i] ..< start[i] + count[i]`
    /// with fixed-point weights `weights[i * stride ..< i * stride + count[i]]`.
    struct Taps {
        var start: [Int]
        var count: [Int]
        var stride: Int
        var weights: [Int32]

        init(inSize: Int, outSize: Int, filter: ResampleFilter) {
            // Pillow passes the box as floats; sizes below 2^24 convert exactly.
            let scale = Double(Float(inSize)) / Double(outSize)
            let filterScale = max(scale, 1)
            let support = filter.support * filterScale
            let stride = Int(support.rounded(.up)) * 2 + 1
            var start = [Int](repeating: 0, count: outSize)
            var count = [Int](repeating: 0, count: outSize)
            var weights = [Int32](repeating: 0, count: outSize * stride)
            var kernel = [Double](repeating: 0, count: stride)
            let inverseScale = 1.0 / filterScale
            let unit = Double(1 << Resampler.precisionBits)
            for output in 0 ..< outSize {
                let center = 0 + (Double(output) + 0.5) * scale
                // Int(_:) truncates toward zero like C's (int) cast.
                let low = max(Int(center - support + 0.5), 0)
                let high = min(Int(center + support + 0.5), inSize)
                let taps = max(high - low, 0)
                var total = 0.0
                for tap in 0 ..< taps {
                    let w = filter.weight((Double(tap + low) - center + 0.5) * inverseScale)
                    kernel[tap] = w
                    total += w
                }
                for tap in 0 ..< taps {
                    let w = total != 0 ? kernel[tap] / total : kernel[tap]
                    let fixed = w < 0 ? -0.5 + w * unit : 0.5 + w * unit
                    weights[output * stride + tap] = Int32(fixed)
                }
                start[output] = low
                count[output] = taps
            }
            self.start = start
            self.count = count
            self.stride = stride
            self.weights = weights
        }
    }

    /// Pillow's `clip8`: the accumulator shifted down by the precision, clamped to a byte.
    @inline(__always)
    static func clip8(_ accumulator: Int) -> UInt8 {
        let value = accumulator >> precisionBits
        return value < 0 ? 0 : (value > 255 ? 255 : UInt8(value))
    }

    /// Resamples each row in `rows` of an RGB image of width `inWidth` to `taps.count.count` columns.
    static func horizontalPass(_ pixels: [UInt8], inWidth: Int, rows: Range<Int>, taps: Taps) -> [UInt8] {
        let outWidth = taps.start.count
        var output = [UInt8](repeating: 0, count: outWidth * rows.count * 3)
        let half = 1 << (precisionBits - 1)
        pixels.withUnsafeBufferPointer { input in
            taps.weights.withUnsafeBufferPointer { weights in
                output.withUnsafeMutableBufferPointer { out in
                    for (outRow, row) in rows.enumerated() {
                        let rowBase = row * inWidth * 3
                        for column in 0 ..< outWidth {
                            var red = half, green = half, blue = half
                            let first = taps.start[column]
                            let weightBase = column * taps.stride
                            for tap in 0 ..< taps.count[column] {
                                let w = Int(weights[weightBase + tap])
                                let index = rowBase + (first + tap) * 3
                                red += Int(input[index]) * w
                                green += Int(input[index + 1]) * w
                                blue += Int(input[index + 2]) * w
                            }
                            let target = (outRow * outWidth + column) * 3
                            out[target] = clip8(red)
                            out[target + 1] = clip8(green)
                            out[target + 2] = clip8(blue)
                        }
                    }
                }
            }
        }
        return output
    }

    /// Resamples the columns of an RGB image of width `width` whose first row is input row
    /// `rowOffset` (the horizontal pass keeps only the rows needed) to `taps.start.count` rows.
    static func verticalPass(_ pixels: [UInt8], width: Int, rowOffset: Int, taps: Taps) -> [UInt8] {
        let outHeight = taps.start.count
        var output = [UInt8](repeating: 0, count: width * outHeight * 3)
        let half = 1 << (precisionBits - 1)
        let rowBytes = width * 3
        pixels.withUnsafeBufferPointer { input in
            taps.weights.withUnsafeBufferPointer { weights in
                output.withUnsafeMutableBufferPointer { out in
                    for row in 0 ..< outHeight {
                        let first = taps.start[row] - rowOffset
                        let weightBase = row * taps.stride
                        let count = taps.count[row]
                        for sample in 0 ..< rowBytes {
                            var sum = half
                            for tap in 0 ..< count {
                                sum += Int(input[(first + tap) * rowBytes + sample]) * Int(weights[weightBase + tap])
                            }
                            out[row * rowBytes + sample] = clip8(sum)
                        }
                    }
                }
            }
        }
        return output
    }
}
