import Foundation
import Testing
@testable import LucidVision

/// PNG encoding: lossless 8-bit round trips, float quantisation rules, the 16-bit guarantee,
/// atomic writes.
@Suite struct EncodingTests {
    static func randomImage(width: Int, height: Int, seed: UInt64) throws -> RGBImage {
        var random = TestRandom(seed: seed)
        return try RGBImage(width: width, height: height, pixels: random.bytes(width * height * 3))
    }

    @Test(arguments: [(1, 1), (17, 11), (64, 3), (3, 64), (255, 2)])
    func eightBitRoundTripIsExact(_ size: (Int, Int)) throws {
        let image = try Self.randomImage(width: size.0, height: size.1, seed: UInt64(size.0 * 1000 + size.1))
        let encoded = try ImageEncoder.png(image)
        #expect(ImageFormat.detect(encoded) == .png)
        #expect(try ImageDecoder.decode(data: encoded) == image)
    }

    /// The Floats just below and just above the real number `tie` (which no Float equals when
    /// `tie * 255` is a half-integer, 255 being odd).
    static func floatsAround(_ tie: Double) -> (below: Float, above: Float) {
        let nearest = Float(tie)
        let below = Double(nearest) < tie ? nearest : nearest.nextDown
        return (below, below.nextUp)
    }

    @Test func eightBitFloatEncodingRoundsToNearestAndClamps() throws {
        let high = Self.floatsAround(254.5 / 255), low = Self.floatsAround(0.5 / 255)
        let values: [Float] = [0, low.below, low.above, high.below, high.above, 1, -0.2, 1.7, 0.2]
        let image = try FloatImage(width: 3, height: 3, channels: 1, values: values)
        let decoded = try ImageDecoder.decode(data: ImageEncoder.png(image))
        let grey = stride(from: 0, to: decoded.pixels.count, by: 3).map { decoded.pixels[$0] }
        #expect(grey == [0, 0, 1, 254, 255, 255, 0, 255, 51])
        #expect(try image.rgbImage() == decoded)
    }

    @Test func floatImagesOfKOver255RoundTripExactly() throws {
        let original = try Self.randomImage(width: 9, height: 7, seed: 3)
        let floats = FloatImage(original)
        #expect(try floats.rgbImage() == original)
        #expect(try ImageDecoder.decode(data: ImageEncoder.png(floats)) == original)
    }

    @Test func nonFiniteValuesAreRefused() throws {
        for bad in [Float.nan, .infinity, -.infinity] {
            let image = try FloatImage(width: 2, height: 1, channels: 1, values: [0.5, bad])
            #expect(throws: ImageError.self) { try ImageEncoder.png(image) }
            #expect(throws: ImageError.self) { try ImageEncoder.png16(image) }
        }
    }

    @Test(arguments: [1, 3])
    func sixteenBitRoundTripIsWithinHalfAStep(_ channels: Int) throws {
        var random = TestRandom(seed: UInt64(channels))
        let width = 37, height = 23
        var values = (0 ..< width * height * channels).map { _ in random.unit() }
        // Edges: the ends, exact codes, and values just either side of a rounding tie.
        let edges: [Float] = [0, 1, 1 / 65535, 0.5 / 65535, 32767.5 / 65535, Float(32767.5 / 65535).nextUp,
                              Float(32767.5 / 65535).nextDown, 0.1, 0.3333333, 0.9999999]
        values.replaceSubrange(0 ..< edges.count, with: edges)
        let image = try FloatImage(width: width, height: height, channels: channels, values: values)
        let encoded = try ImageEncoder.png16(image)
        let info = try ImageDecoder.info(data: encoded)
        #expect(info.bitDepth == 16 && info.colorModel == (channels == 1 ? .grey : .rgb))
        let decoded = try ImageDecoder.decode16(data: encoded)
        #expect(decoded.channels == channels && decoded.width == width && decoded.height == height)
        let bound = 0.5 / 65535 + 1.0 / Double(1 << 25)
        let worst = maxAbsDifference(decoded.values, values)
        #expect(worst <= bound, "max |decode16(png16(x)) - x| = \(worst) > \(bound)")
        #expect(decoded.values[0] == 0 && decoded.values[1] == 1)
        // Save → load → save gives the same samples.
        #expect(try ImageEncoder.png16(decoded) == encoded)
    }

    @Test func sixteenBitEncodingClampsOutOfRangeValues() throws {
        let image = try FloatImage(width: 2, height: 1, channels: 1, values: [-3, 42])
        #expect(try ImageDecoder.decode16(data: ImageEncoder.png16(image)).values == [0, 1])
    }

    @Test func encodingRefusesOtherChannelCounts() throws {
        let image = try FloatImage(width: 2, height: 1, channels: 2, values: [0, 0, 0, 0])
        #expect(throws: ImageError.self) { try ImageEncoder.png16(image) }
        #expect(throws: ImageError.self) { try ImageEncoder.png(image) }
    }

    @Test func writesAtomicallyAndReplacesExistingFiles() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.file("out.png")
        let first = try Self.randomImage(width: 5, height: 4, seed: 1)
        let second = try Self.randomImage(width: 6, height: 2, seed: 2)
        try ImageEncoder.writePNG(first, to: path)
        #expect(try ImageDecoder.decode(path: path) == first)
        try ImageEncoder.writePNG(second, to: path)
        #expect(try ImageDecoder.decode(path: path) == second)
        let floats = try FloatImage(width: 2, height: 1, channels: 3, values: [0, 0.25, 0.5, 0.75, 1, 0.125])
        try ImageEncoder.writePNG16(floats, to: scratch.file("out16.png"))
        #expect(maxAbsDifference(try ImageDecoder.decode16(path: scratch.file("out16.png")).values, floats.values) < 1e-5)
        try ImageEncoder.writePNG(floats, to: scratch.file("out8.png"))
        #expect(try ImageDecoder.decode(path: scratch.file("out8.png")) == floats.rgbImage())
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "temporary files left behind: \(leftovers)")
    }

    @Test func writingIntoAMissingDirectoryThrowsCannotWrite() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.file("no/such/dir/out.png")
        do {
            try ImageEncoder.writePNG(try RGBImage(width: 1, height: 1, color: RGBColor(red: 1, green: 2, blue: 3)), to: path)
            Issue.record("writing to \(path) succeeded")
        } catch {
            #expect(errorKind(error) == "cannotWrite")
            #expect((error as? ImageError)?.path == path)
        }
    }
}
