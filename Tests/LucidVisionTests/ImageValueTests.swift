import Testing
@testable import LucidVision

/// RGBImage and FloatImage invariants and layouts.
@Suite struct ImageValueTests {
    @Test func rgbImageRejectsWrongSampleCountsAndEmptySizes() {
        #expect(throws: ImageError.self) { try RGBImage(width: 2, height: 2, pixels: [0, 0, 0]) }
        #expect(throws: ImageError.self) { try RGBImage(width: 0, height: 2, pixels: []) }
        #expect(throws: ImageError.self) { try RGBImage(width: Int.max, height: 2, color: RGBColor(red: 0, green: 0, blue: 0)) }
    }

    @Test func rgbImageIsInterleavedRowMajor() throws {
        var image = try RGBImage(width: 3, height: 2, color: RGBColor(red: 9, green: 8, blue: 7))
        image.setPixel(x: 2, y: 1, to: RGBColor(red: 1, green: 2, blue: 3))
        #expect(Array(image.pixels[15 ..< 18]) == [1, 2, 3])
        #expect(image.pixel(x: 0, y: 0) == RGBColor(red: 9, green: 8, blue: 7))
        #expect(image.pixel(x: 3, y: 0) == nil)
        #expect(image.pixel(x: 0, y: -1) == nil)
    }

    @Test func floatImageIsPlanarCHWAndRescalesLikeTransformers() throws {
        let image = try RGBImage(width: 2, height: 1, pixels: [0, 128, 255, 10, 20, 30])
        let floats = FloatImage(image)
        #expect(floats.channels == 3 && floats.values.count == 6)
        // Channel planes: R = [0, 10], G = [128, 20], B = [255, 30]; value = float32(v * (1/255) in float64).
        #expect(floats.values == [0, Float(10.0 * (1.0 / 255.0)), Float(128.0 * (1.0 / 255.0)),
                                  Float(20.0 * (1.0 / 255.0)), 1, Float(30.0 * (1.0 / 255.0))])
        #expect(floats.value(channel: 1, x: 0, y: 0) == Float(128.0 / 255.0))
        #expect(floats.value(channel: 3, x: 0, y: 0) == nil)
        #expect(throws: ImageError.self) { try FloatImage(width: 2, height: 2, channels: 3, values: [0]) }
    }

    @Test func formatIsDetectedFromLeadingBytesOnly() {
        #expect(ImageFormat.detect([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]) == .png)
        #expect(ImageFormat.detect([0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(ImageFormat.detect([0xFF, 0xD8]) == nil)
        #expect(ImageFormat.detect(Array("GIF89a".utf8)) == nil)
        #expect(ImageFormat.detect([UInt8]()) == nil)
    }
}
