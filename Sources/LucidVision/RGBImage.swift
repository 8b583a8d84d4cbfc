/// An 8-bit RGB image: `pixels` holds R, G, B for each pixel, row-major from the top-left.
///
/// The sample for channel `c` of pixel (`x`, `y`) is `pixels[(y * width + x) * 3 + c]`. This is
/// what PIL's `np.asarray(image.convert("RGB"))` holds, flattened. Width and height are at least
/// 1, and `pixels.count == width * height * 3` always (the initialisers check it).
public struct RGBImage: Equatable, Hashable, Sendable {
    /// Width in pixels (at least 1).
    public let width: Int
    /// Height in pixels (at least 1).
    public let height: Int
    /// Interleaved RGB samples, `width * height * 3` of them.
    public internal(set) var pixels: [UInt8]

    /// An image over `pixels`; throws `.invalidImage` unless the count is `width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        let count = try RGBImage.sampleCount(width: width, height: height)
        guard pixels.count == count else {
            throw ImageError.invalidImage(
                reason: "\(width)x\(height) RGB needs \(count) samples, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image of one colour; throws `.invalidImage` for a size below 1x1 or one that overflows.
    public init(width: Int, height: Int, color: RGBColor) throws {
        let count = try RGBImage.sampleCount(width: width, height: height)
        var pixels = [UInt8](repeating: 0, count: count)
        for index in stride(from: 0, to: count, by: 3) {
            pixels[index] = color.red
            pixels[index + 1] = color.green
            pixels[index + 2] = color.blue
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// For code in this module that has already checked the count.
    init(checkedWidth width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 1 && height >= 1 && pixels.count == width * height * 3,
                     "RGBImage invariant violated inside LucidVision")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The colour of pixel (`x`, `y`); nil outside the image.
    public func pixel(x: Int, y: Int) -> RGBColor? {
        guard x >= 0, x < width, y >= 0, y < height else { return nil }
        let index = (y * width + x) * 3
        return RGBColor(red: pixels[index], green: pixels[index + 1], blue: pixels[index + 2])
    }

    /// Sets pixel (`x`, `y`); does nothing outside the image.
    public mutating func setPixel(x: Int, y: Int, to color: RGBColor) {
        guard x >= 0, x < width, y >= 0, y < height else { return }
        let index = (y * width + x) * 3
        pixels[index] = color.red
        pixels[index + 1] = color.green
        pixels[index + 2] = color.blue
    }

    /// `width * height * 3`, or `.invalidImage` for sizes below 1 or products that overflow.
    static func sampleCount(width: Int, height: Int, channels: Int = 3) throws -> Int {
        guard width >= 1, height >= 1, channels >= 1 else {
            throw ImageError.invalidImage(reason: "size \(width)x\(height)x\(channels) is not positive")
        }
        let (area, overflow) = width.multipliedReportingOverflow(by: height)
        let (count, overflow2) = area.multipliedReportingOverflow(by: channels)
        guard !overflow, !overflow2 else {
            throw ImageError.invalidImage(reason: "size \(width)x\(height)x\(channels) overflows")
        }
        return count
    }
}

/// One 8-bit RGB colour.
public struct RGBColor: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    public var description: String { "(\(red), \(green), \(blue))" }
}
