import Foundation
import Testing
@testable import LucidModels
@testable import LucidTensor
import LucidVision

/// The three family image processors against transformers 5.23.0's PIL backends on real photos
/// (fixtures: scripts/make_photo_processor_fixtures.py; photos: Tests/LucidVisionTests/Fixtures/photos):
/// a 640x427 JPEG, a progressive JPEG and a 200x300 PNG, downscaled hard, with the released
/// configurations' structure at a small scale. Pixel values must agree to 1e-6 (f32 rounding of the
/// normalisation; the printed max-abs is what was measured), sizes and grids exactly.
@Suite("Family image processors on real photos")
struct PhotoProcessorConformanceTests {
    static let directory = Fixtures.path("photo-processors")
    static let photos = ["rocket.jpg", "coffee_progressive.jpg", "chelsea_crop.png"]

    static func photo(_ name: String) throws -> RGBImage {
        // The photos are LucidVisionTests' fixtures, read from the source tree rather than copied.
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        return try ImageDecoder.decode(path: tests.appendingPathComponent("LucidVisionTests/Fixtures/photos/" + name).path)
    }

    static func report(_ actual: Tensor, _ expected: Tensor, _ what: String) {
        expectMatches(actual, expected, tolerance: 1e-6, what)
        if actual.shape == expected.shape { print("\(what): max-abs \(maxAbs(actual, expected)) over \(expected.shape)") }
    }

    @Test(arguments: photos)
    func llavaNextTilesMatchOnAPhoto(_ name: String) throws {
        let processor = try LlavaNextImageProcessor.load(path: Self.directory + "/llava-next/preprocessor_config.json")
        let prepared = try processor.pixelValues(try Self.photo(name))
        let tiles = Tensor.cat(prepared.tiles.map { $0.tensor() }, axis: 0)
        let golden = try Fixtures.golden(Self.directory)
        Self.report(tiles, try golden.loadTensor(named: "llava-next.\(name).pixel_values"), "LLaVA-NeXT \(name)")
        #expect([prepared.height, prepared.width] == (try golden.loadTensor(named: "llava-next.\(name).image_sizes").toArray(Int.self)))
    }

    @Test(arguments: photos)
    func qwen2VLPatchesMatchOnAPhoto(_ name: String) throws {
        let processor = try Qwen2VLImageProcessor.load(path: Self.directory + "/qwen2-vl/preprocessor_config.json")
        let prepared = try processor.pixelValues(try Self.photo(name))
        let golden = try Fixtures.golden(Self.directory)
        Self.report(prepared.patches, try golden.loadTensor(named: "qwen2-vl.\(name).pixel_values"), "Qwen2-VL \(name)")
        #expect([prepared.grid.t, prepared.grid.h, prepared.grid.w]
                == (try golden.loadTensor(named: "qwen2-vl.\(name).image_grid_thw").toArray(Int.self)))
    }

    @Test(arguments: photos)
    func blipPixelsMatchOnAPhoto(_ name: String) throws {
        let config = try CLIPPreprocessorConfig.loadBlip(path: Self.directory + "/blip/preprocessor_config.json")
        let pixels = try CLIPPreprocessor(config: config).pixelValues(try Self.photo(name)).tensor()
        let golden = try Fixtures.golden(Self.directory)
        // Lucid returns the batch of one ([1, 3, S, S]); the golden is transformers' first image.
        Self.report(pixels, try golden.loadTensor(named: "blip.\(name).pixel_values").unsqueezed(axis: 0), "InstructBLIP \(name)")
    }
}
