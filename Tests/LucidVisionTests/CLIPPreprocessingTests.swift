import Foundation
import Testing
@testable import LucidVision

/// CLIP / LLaVA preprocessing against transformers' CLIPImageProcessor on real photos.
@Suite struct CLIPPreprocessingTests {
    static let cases = Fixtures.cases(CLIPManifest.self, "clip") { $0.entries }

    @Test func manifestCoversBothSizesWithAndWithoutPadding() throws {
        let manifest = try Fixtures.manifest(CLIPManifest.self, "clip")
        #expect(Set(manifest.entries.map(\.size)) == [224, 336])
        #expect(Set(manifest.entries.map(\.pad_to_square)) == [false, true])
        #expect(Set(manifest.entries.map(\.image)).count == 3)
        #expect(manifest.mean == CLIPPreprocessorConfig.openAIMean && manifest.std == CLIPPreprocessorConfig.openAIStd)
        #expect(manifest.pad_color == [122, 116, 104])
    }

    @Test(arguments: cases)
    func pixelValuesMatchCLIPImageProcessor(_ entry: CLIPManifest.Entry) throws {
        let config = entry.size == 336 ? CLIPPreprocessorConfig.clip336 : .clip224
        let preprocessor = try CLIPPreprocessor(config: config)
        let photo = try ImageDecoder.decode(path: Fixtures.path("photos", entry.image))

        // The uint8 stage (pad, PIL bicubic resize, centre crop) must be bit-identical.
        let prepared = try preprocessor.resizedAndCropped(photo, padToSquare: entry.pad_to_square)
        #expect([3, prepared.height, prepared.width] == entry.shape)
        #expect(fnv1a64(prepared.pixels) == entry.uint8_fnv1a64)

        let values = try preprocessor.pixelValues(photo, padToSquare: entry.pad_to_square)
        #expect([values.channels, values.height, values.width] == entry.shape)
        var sampleMaxAbs = 0.0
        for (index, expected) in zip(entry.sample_indices, entry.sample_values) {
            sampleMaxAbs = max(sampleMaxAbs, abs(Double(values.values[index]) - expected))
        }
        #expect(sampleMaxAbs <= 1e-3, "max-abs vs CLIPImageProcessor samples \(sampleMaxAbs)")
        let sum = values.values.reduce(0.0) { $0 + Double($1) }
        #expect(abs(sum - entry.sum) <= 1e-6 * Double(values.values.count), "sum \(sum) vs \(entry.sum)")

        var full = "no full golden"
        if let golden = entry.golden {
            // pixel_values == normalise(golden / 255) exactly (checked by the fixture script).
            let goldenImage = try ImageDecoder.decode(path: Fixtures.path("clip", golden))
            #expect(prepared.pixels == goldenImage.pixels,
                    "max byte difference \(maxByteDifference(prepared.pixels, goldenImage.pixels))")
            let reference = try preprocessor.normalized(FloatImage(goldenImage))
            let fullMaxAbs = maxAbsDifference(values.values, reference.values)
            #expect(fullMaxAbs <= 1e-3, "max-abs vs CLIPImageProcessor \(fullMaxAbs)")
            full = "\(fullMaxAbs) on all \(values.values.count) values"
        }
        print("CLIP \(entry.testDescription): max-abs vs CLIPImageProcessor \(sampleMaxAbs) on 256 samples, \(full)")
    }

    @Test func unnormalizedImageIsTheProcessorInputInZeroOne() throws {
        let preprocessor = try CLIPPreprocessor(config: .clip224)
        let photo = try ImageDecoder.decode(path: Fixtures.path("photos", "chelsea_crop.png"))
        let unit = try preprocessor.unnormalized(photo)
        #expect(unit.width == 224 && unit.height == 224 && unit.channels == 3)
        #expect(unit.values.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(try preprocessor.normalized(unit) == preprocessor.pixelValues(photo))
        #expect(try unit.rgbImage() == preprocessor.resizedAndCropped(photo))
    }

    @Test func normalizedComputesMeanAndStdInFloat32() throws {
        let preprocessor = try CLIPPreprocessor(config: .clip224)
        let image = try FloatImage(width: 1, height: 1, channels: 3, values: [0, 0.5, 1])
        let normalized = try preprocessor.normalized(image)
        let mean = CLIPPreprocessorConfig.openAIMean.map(Float.init), std = CLIPPreprocessorConfig.openAIStd.map(Float.init)
        #expect(normalized.values == [(0 - mean[0]) / std[0], (0.5 - mean[1]) / std[1], (1 - mean[2]) / std[2]])
        var off = CLIPPreprocessorConfig.clip224
        off.doNormalize = false
        #expect(try CLIPPreprocessor(config: off).normalized(image) == image)
        #expect(throws: ImageError.self) {
            try preprocessor.normalized(FloatImage(width: 1, height: 1, channels: 1, values: [0]))
        }
    }

    @Test func shortestEdgeSizesMatchTransformers() {
        // (width, height, edge) -> transformers' get_resize_output_image_size, as (width, height).
        let cases: [((Int, Int, Int), (Int, Int))] = [
            ((640, 427, 224), (335, 224)), ((200, 300, 224), (224, 336)), ((300, 200, 336), (504, 336)),
            ((1001, 999, 224), (224, 224)), ((999, 1001, 336), (336, 336)), ((7, 3, 5), (11, 5)),
            ((224, 224, 224), (224, 224)), ((333, 1000, 336), (336, 1009)),
        ]
        for ((width, height, edge), expected) in cases {
            let size = CLIPPreprocessor.shortestEdgeSize(width: width, height: height, edge: edge)
            #expect(size.width == expected.0 && size.height == expected.1, "\(width)x\(height) edge \(edge)")
        }
    }

    /// An image whose red channel at (x, y) is `(y * width + x) * 3 + 1` (mod 251), as in the
    /// transformers expectations below.
    static func indexImage(width: Int, height: Int) throws -> RGBImage {
        try RGBImage(width: width, height: height, pixels: (0 ..< width * height * 3).map { UInt8($0 % 251 + 1) })
    }

    static func reds(_ image: RGBImage) -> [[UInt8]] {
        (0 ..< image.height).map { y in (0 ..< image.width).map { x in image.pixel(x: x, y: y)?.red ?? 0 } }
    }

    @Test func centerCropMatchesTransformersIncludingItsPadding() throws {
        // Expectations from transformers.image_transforms.center_crop (4.40.2).
        let inside = try Self.indexImage(width: 7, height: 6).centerCropped(width: 4, height: 3)
        #expect(Self.reds(inside) == [[25, 28, 31, 34], [46, 49, 52, 55], [67, 70, 73, 76]])
        // Smaller by an odd amount: transformers returns 3 rows, not 4.
        let short = try Self.indexImage(width: 5, height: 3).centerCropped(width: 4, height: 4)
        #expect(Self.reds(short) == [[1, 4, 7, 10], [16, 19, 22, 25], [31, 34, 37, 40]])
        let padded = try Self.indexImage(width: 9, height: 2).centerCropped(width: 4, height: 5)
        #expect(Self.reds(padded) == [[0, 0, 0, 0], [7, 10, 13, 16], [34, 37, 40, 43], [0, 0, 0, 0]])
    }

    @Test func expandToSquareMatchesLLaVAsOffsets() throws {
        // Expectations from LLaVA's expand2square with PIL.
        let background = CLIPPreprocessorConfig.clip336.llavaPadColor
        #expect(background == RGBColor(red: 122, green: 116, blue: 104))
        let color = RGBColor(red: 1, green: 2, blue: 3)
        let wide = try RGBImage(width: 5, height: 2, color: color).expandedToSquare(background: background)
        #expect(Self.reds(wide) == [[122, 122, 122, 122, 122], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1],
                                    [122, 122, 122, 122, 122], [122, 122, 122, 122, 122]])
        let tall = try RGBImage(width: 2, height: 5, color: color).expandedToSquare(background: background)
        #expect(Self.reds(tall) == Array(repeating: [122, 1, 1, 122, 122], count: 5))
        let thin = try RGBImage(width: 4, height: 1, color: color).expandedToSquare(background: background)
        #expect(Self.reds(thin) == [[122, 122, 122, 122], [1, 1, 1, 1], [122, 122, 122, 122], [122, 122, 122, 122]])
        #expect(thin.pixel(x: 0, y: 0) == background)
        let square = try Self.indexImage(width: 3, height: 3)
        #expect(try square.expandedToSquare(background: background) == square)
    }

    @Test func exactSizeResizeAndDisabledStepsFollowTheConfig() throws {
        let photo = try ImageDecoder.decode(path: Fixtures.path("photos", "chelsea_crop.png"))
        var config = CLIPPreprocessorConfig(size: .exact(height: 50, width: 40), doCenterCrop: false)
        #expect(try CLIPPreprocessor(config: config).resizedAndCropped(photo)
            == photo.resized(width: 40, height: 50))
        config.doResize = false
        config.doRescale = false
        let raw = try CLIPPreprocessor(config: config).unnormalized(photo)
        #expect(raw.width == photo.width && raw.values.max() == photo.pixels.max().map(Float.init))
    }
}
