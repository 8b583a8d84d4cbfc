/// A planar float image (CHW): channel planes one after another, each row-major.
///
/// The value of channel `c` at pixel (`x`, `y`) is `values[(c * height + y) * width + x]`, the
/// layout of a `pixel_values` tensor without its batch dimension. Pixel values are normally in
/// [0, 1] (after `rescale`) or normalised; nothing here requires a range except the 8- and 16-bit
/// quantisers, which clamp. Width, height and channels are at least 1, and
/// `values.count == channels * height * width` always.
public struct FloatImage: Equatable, Sendable {
    /// Width in pixels (at least 1).
    public let width: Int
    /// Height in pixels (at least 1).
    public let height: Int
    /// Number of planes (3 for RGB, 1 for grey).
    public let channels: Int
    /// Planar values, `channels * height * width` of them.
    public internal(set) var values: [Float]

    /// An image over planar `values`; throws `.invalidImage` unless the count matches.
    public init(width: Int, height: Int, channels: Int, values: [Float]) throws {
        let count = try RGBImage.sampleCount(width: width, height: height, channels: channels)
        guard values.count == count else {
            throw ImageError.invalidImage(
                reason: "\(channels)x\(height)x\(width) needs \(count) values, got \(values.count)")
        }
        self.width = width
        self.height = height
        self.channels = channels
        self.values = values
    }

    /// For code in this module that has already checked the count.
    init(checkedWidth width: Int, height: Int, channels: Int, values: [Float]) {
        precondition(values.count == width * height * channels, "FloatImage invariant violated inside LucidVision")
        self.width = width
        self.height = height
        self.channels = channels
        self.values = values
    }

    /// The planar (CHW) float version of `image`, each sample multiplied by `scale`.
    ///
    /// Each value is `Float(Double(sample) * scale)`, exactly what transformers' `rescale` does
    /// (a uint8 array times a Python float is float64, then cast to float32). With the default
    /// scale the values are in [0, 1].
    public init(_ image: RGBImage, scale: Double = 1.0 / 255.0) {
        let plane = image.width * image.height
        var values = [Float](repeating: 0, count: plane * 3)
        var table = [Float](repeating: 0, count: 256)
        for sample in 0 ..< 256 { table[sample] = Float(Double(sample) * scale) }
        image.pixels.withUnsafeBufferPointer { source in
            for index in 0 ..< plane {
                values[index] = table[Int(source[index * 3])]
                values[plane + index] = table[Int(source[index * 3 + 1])]
                values[2 * plane + index] = table[Int(source[index * 3 + 2])]
            }
        }
        self.init(checkedWidth: image.width, height: image.height, channels: 3, values: values)
    }

    /// The value of `channel` at (`x`, `y`); nil outside the image.
    public func value(channel: Int, x: Int, y: Int) -> Float? {
        guard channel >= 0, channel < channels, x >= 0, x < width, y >= 0, y < height else { return nil }
        return values[(channel * height + y) * width + x]
    }

    /// The 8-bit RGB image of values in [0, 1].
    ///
    /// Rounding: each value is clamped to [0, 1], then becomes `round(v * 255)`, to nearest,
    /// ties away from zero. The product is computed in Double, where it is exact for every
    /// Float, so the result is the nearest code to the real product; an exact tie cannot occur
    /// (255 is odd, so no binary fraction times 255 ends in .5). One channel is replicated to R,
    /// G and B. Throws `.invalidImage` for NaN or infinite values and for channel counts other
    /// than 1 and 3.
    public func rgbImage() throws -> RGBImage {
        let codes = try quantized(maximum: 255)
        let plane = width * height
        var pixels = [UInt8](repeating: 0, count: plane * 3)
        for index in 0 ..< plane {
            for channel in 0 ..< 3 {
                let source = channels == 1 ? index : channel * plane + index
                pixels[index * 3 + channel] = UInt8(truncatingIfNeeded: codes[source])
            }
        }
        return RGBImage(checkedWidth: width, height: height, pixels: pixels)
    }

    /// Integer codes `round(clamp(v, 0, 1) * maximum)` (ties away from zero), planar.
    func quantized(maximum: Int) throws -> [UInt16] {
        guard channels == 1 || channels == 3 else {
            throw ImageError.invalidImage(reason: "cannot quantise \(channels) channels (need 1 or 3)")
        }
        var codes = [UInt16](repeating: 0, count: values.count)
        let scale = Double(maximum)
        for (index, value) in values.enumerated() {
            guard value.isFinite else {
                throw ImageError.invalidImage(reason: "value \(value) at index \(index) is not finite")
            }
            let clamped = Double(min(max(value, 0), 1))
            codes[index] = UInt16((clamped * scale).rounded(.toNearestOrAwayFromZero))
        }
        return codes
    }
}
