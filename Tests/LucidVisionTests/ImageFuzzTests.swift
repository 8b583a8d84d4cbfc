import Foundation
import Testing
import LucidSupport
import LucidTestSupport
@testable import LucidVision

/// Seeded mutations of PNG and JPEG fixtures and of preprocessor configs (issue 20): every one
/// decodes within the pixel limit or fails with an `ImageError`; nothing traps.
@Suite("image fuzzing")
struct ImageFuzzTests {
    static let iterations = FuzzBudget.iterations(default: 150, share: 4)

    @Test func mutatedImagesDecodeOrFailWithAnImageError() throws {
        let folder = Fixtures.path("codec")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".png") || $0.hasSuffix(".jpg") }.sorted()
        let sources = try names.map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0))) }.filter { !$0.isEmpty }
        var random = FuzzBudget.generator(SplitMix64(state: 22))
        let options = DecodeOptions(maxPixels: 1 << 20)
        for _ in 0..<Self.iterations {
            var bytes = sources[Int.random(in: 0..<sources.count, using: &random)]
            if Bool.random(using: &random) {
                for _ in 0..<Int.random(in: 1...8, using: &random) {
                    bytes[Int.random(in: 0..<min(bytes.count, 256), using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            } else {
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
            }
            do {
                let image = try ImageDecoder.decode(data: bytes, source: "fuzz", options: options)
                #expect(image.width >= 1 && image.height >= 1 && image.width * image.height <= options.maxPixels)
            } catch {
                #expect(error is ImageError, "\(type(of: error)): \(error)")
            }
        }
    }

    @Test func paddingAStripToASquareIsRefusedWithABudget() throws {
        let strip = try RGBImage(width: 1, height: 60_000, color: RGBColor(red: 0, green: 0, blue: 0))
        let preprocessor = try CLIPPreprocessor(config: .clip224)
        #expect { _ = try preprocessor.resizedAndCropped(strip, padToSquare: true) } throws: {
            "\($0)".contains("padding to a square would make a 60000x60000 image, over the budget")
        }
        // Without padding, the shortest-edge resize of the strip is just as unbounded (224 x 13 440 000).
        #expect { _ = try preprocessor.resizedAndCropped(strip) } throws: { "\($0)".contains("resizing would make") }
    }

    @Test func mutatedPreprocessorConfigsDecodeValidOrFail() throws {
        let valid = Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("clip", "preprocessor_config_336.json"))))
        var random = FuzzBudget.generator(SplitMix64(state: 23))
        for _ in 0..<Self.iterations {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let alphabet = Array("0123456789-e.\"{}[],:x ".utf8)
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = alphabet[Int.random(in: 0..<alphabet.count, using: &random)]
            }
            do {
                let config = try CLIPPreprocessorConfig.decode(json: bytes, source: "fuzz.json")
                #expect(config.cropSize.width <= CLIPPreprocessorConfig.maximumSide && config.imageStd.allSatisfy { $0.isFinite && $0 != 0 })
            } catch {
                #expect("\(error)".hasPrefix("fuzz.json"), "\(error)")
            }
        }
    }
}
