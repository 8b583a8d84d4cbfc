import Foundation
import Testing
@testable import LucidPipeline
@testable import LucidTensor

/// `--pixel-values` files are outside input: pixels that no processor gives (NaN, infinity, magnitudes
/// past the largest f16) are refused naming the file, before a model reads them and blames its own weights.
@Suite("processor outputs from outside")
struct ProcessorOutputsTests {
    func file(_ pixels: Tensor) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-pixels-\(UUID().uuidString).safetensors").path
        try SafetensorsWriter.write([try SafetensorsWriter.Item(name: "pixel_values", tensor: pixels)], to: path)
        return path
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity, 1e30, -70000])
    func pixelsNoProcessorGivesAreRefusedNamingTheFile(_ value: Double) throws {
        var values = [Float](repeating: 0.5, count: 12)
        values[7] = Float(value)
        let path = try file(Tensor(values, shape: [1, 3, 2, 2]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let expected = value.isFinite ? "of magnitude" : "NaN or infinity"  // each check on its own
        #expect { _ = try ProcessorOutputs.load(path: path) } throws: { "\($0)".hasPrefix(path) && "\($0)".contains(expected) }
    }

    @Test func normalisedAndRawPixelsAreRead() throws {
        for largest in [Float(2.6), 255, 65504] {
            let path = try file(Tensor([Float](repeating: -1, count: 11) + [largest], shape: [1, 3, 2, 2]))
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(try ProcessorOutputs.load(path: path).pixelValues.shape == [1, 3, 2, 2])
        }
    }
}
