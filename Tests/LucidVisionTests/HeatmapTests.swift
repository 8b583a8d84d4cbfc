import Testing
@testable import LucidVision

/// Attention heatmap overlays: shape, endpoint colours, interpolation, blending, input checks.
@Suite struct HeatmapTests {
    static let grey = RGBColor(red: 100, green: 100, blue: 100)

    @Test func overlayKeepsTheImageSize() throws {
        let image = try RGBImage(width: 336, height: 224, color: Self.grey)
        let values = (0 ..< 24 * 16).map { Float($0 % 7) }
        let overlay = try Heatmap.overlay(image: image, values: values, gridWidth: 24, gridHeight: 16, alpha: 0.4)
        #expect(overlay.width == 336 && overlay.height == 224)
        #expect(overlay.pixels.count == 336 * 224 * 3)
    }

    @Test func lowestValueGetsTheFirstColourAndHighestTheLast() throws {
        let image = try RGBImage(width: 2, height: 1, color: Self.grey)
        for colormap in [Colormap.viridis, .inferno] {
            let overlay = try Heatmap.overlay(image: image, values: [-3, 5], gridWidth: 2, gridHeight: 1,
                                              alpha: 1, colormap: colormap)
            #expect(overlay.pixel(x: 0, y: 0) == colormap.anchors.first)
            #expect(overlay.pixel(x: 1, y: 0) == colormap.anchors.last)
        }
        #expect(Colormap.viridis.color(at: 0) == RGBColor(red: 68, green: 1, blue: 84))
        #expect(Colormap.viridis.color(at: 1) == RGBColor(red: 253, green: 231, blue: 37))
        #expect(Colormap.viridis.color(at: .nan) == Colormap.viridis.color(at: 0))
        #expect(Colormap.viridis.color(at: 7) == Colormap.viridis.color(at: 1))
    }

    @Test func alphaZeroReturnsTheImageAndHalfBlends() throws {
        var random = TestRandom(seed: 11)
        let image = try RGBImage(width: 8, height: 6, pixels: random.bytes(8 * 6 * 3))
        let values: [Float] = [0, 1, 2, 3]
        #expect(try Heatmap.overlay(image: image, values: values, gridWidth: 2, gridHeight: 2, alpha: 0) == image)
        let heat = try Heatmap.colorized(values: values, gridWidth: 2, gridHeight: 2, width: 8, height: 6)
        let half = try Heatmap.overlay(image: image, values: values, gridWidth: 2, gridHeight: 2, alpha: 0.5)
        for index in image.pixels.indices {
            let expected = ((Float(image.pixels[index]) + Float(heat.pixels[index])) / 2).rounded(.toNearestOrAwayFromZero)
            #expect(Float(half.pixels[index]) == expected)
        }
    }

    @Test func upsamplingIsBilinearWithHalfPixelCentres() throws {
        // A 2x1 grid [0, 1] over 4 pixels: centres at 0.25-cell steps, edges held flat.
        let row = try Heatmap.upsampled([0, 1], gridWidth: 2, gridHeight: 1, width: 4, height: 1)
        #expect(row == [0, 0.25, 0.75, 1])
        let same = try Heatmap.upsampled([1, 2, 3, 4, 5, 6], gridWidth: 3, gridHeight: 2, width: 3, height: 2)
        #expect(same == [1, 2, 3, 4, 5, 6])
        let column = try Heatmap.upsampled([0, 1], gridWidth: 1, gridHeight: 2, width: 1, height: 4)
        #expect(column == [0, 0.25, 0.75, 1])
    }

    @Test func constantValuesNormaliseToZero() throws {
        #expect(try Heatmap.normalized([3, 3, 3]) == [0, 0, 0])
        #expect(try Heatmap.normalized([1, 2, 5]) == [0, 0.25, 1])
    }

    @Test func badInputsAreRefused() throws {
        let image = try RGBImage(width: 4, height: 4, color: Self.grey)
        #expect(throws: ImageError.self) { try Heatmap.overlay(image: image, values: [1, 2, 3], gridWidth: 2, gridHeight: 2) }
        #expect(throws: ImageError.self) { try Heatmap.overlay(image: image, values: [1, .nan, 3, 4], gridWidth: 2, gridHeight: 2) }
        #expect(throws: ImageError.self) { try Heatmap.overlay(image: image, values: [1, 2, 3, 4], gridWidth: 2, gridHeight: 2, alpha: 1.5) }
        #expect(throws: ImageError.self) { try Heatmap.overlay(image: image, values: [], gridWidth: 0, gridHeight: 0) }
        #expect(throws: ImageError.self) { try Colormap(name: "one", anchors: [Self.grey]) }
    }
}
