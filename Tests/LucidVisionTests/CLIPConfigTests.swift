import Foundation
import Testing
@testable import LucidVision

/// `preprocessor_config.json` decoding with transformers' defaults and accepted forms.
@Suite struct CLIPConfigTests {
    static func decode(_ json: String) throws -> CLIPPreprocessorConfig {
        try CLIPPreprocessorConfig.decode(json: Array(json.utf8), source: "test.json")
    }

    @Test func decodesTheOldStyleOpenAICLIP336File() throws {
        // The format of openai/clip-vit-large-patch14-336's file: ints for size and crop_size.
        let config = try CLIPPreprocessorConfig.load(path: Fixtures.path("clip", "preprocessor_config_336.json"))
        #expect(config == .clip336)
        #expect(config.size == .shortestEdge(336))
        #expect(config.cropSize == .init(height: 336, width: 336))
        #expect(config.resample == .bicubic)
    }

    @Test func decodesTheNewStyleDictionaries() throws {
        let config = try Self.decode("""
            {"crop_size": {"height": 224, "width": 200}, "do_center_crop": true, "do_convert_rgb": true,
             "do_normalize": true, "do_rescale": true, "do_resize": true,
             "image_mean": [0.5, 0.5, 0.5], "image_std": [0.25, 0.25, 0.25],
             "image_processor_type": "CLIPImageProcessor", "resample": 2,
             "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 256}}
            """)
        #expect(config.size == .shortestEdge(256))
        #expect(config.cropSize == .init(height: 224, width: 200))
        #expect(config.resample == .bilinear)
        #expect(config.rescaleFactor == 1.0 / 255.0)
        #expect(config.imageMean == [0.5, 0.5, 0.5])
        #expect(try Self.decode(#"{"size": {"height": 30, "width": 40}}"#).size == .exact(height: 30, width: 40))
        #expect(try Self.decode(#"{"size": [30, 40], "crop_size": [10, 20]}"#).cropSize == .init(height: 10, width: 20))
    }

    @Test func missingKeysTakeCLIPImageProcessorDefaults() throws {
        let config = try Self.decode("{}")
        #expect(config == .clip224)
        #expect(config.imageMean == [0.48145466, 0.4578275, 0.40821073])
        #expect(config.imageStd == [0.26862954, 0.26130258, 0.27577711])
        #expect(config.doResize && config.doCenterCrop && config.doRescale && config.doNormalize && config.doConvertRGB)
        #expect(try Self.decode(#"{"image_mean": 0.5}"#).imageMean == [0.5, 0.5, 0.5])
    }

    @Test(arguments: [
        #"{"size": -3}"#, #"{"size": {"longest_edge": 3}}"#, #"{"crop_size": 0}"#, #"{"resample": 9}"#,
        #"{"image_std": [1, 0, 1]}"#, #"{"image_mean": [1, 2]}"#, #"{"do_resize": "yes"}"#, #"[1, 2]"#, "not json",
    ])
    func invalidConfigsThrowInvalidConfigNamingTheFile(_ json: String) {
        do {
            _ = try Self.decode(json)
            Issue.record("\(json) decoded")
        } catch {
            #expect(errorKind(error) == "invalidConfig", "\(error)")
            #expect("\(error)".hasPrefix("test.json: "))
        }
    }

    @Test func aSizeThatIsNotWholeIsRefusedSayingSo() throws {
        for json in [#"{"size": 224.5}"#, #"{"size": 1e308}"#, #"{"crop_size": [224, 0.5]}"#] {
            do {
                _ = try Self.decode(json)
                Issue.record("\(json) decoded")
            } catch {
                #expect("\(error)".contains("whole number"), "\(json): \(error)")
                #expect("\(error)".contains(json.contains("crop") ? "crop_size" : "size"), "\(json): \(error)")
            }
        }
        #expect(try Self.decode(#"{"size": 224.0}"#).size == .shortestEdge(224))
    }

    @Test func missingConfigFileCannotBeRead() {
        #expect(throws: ImageError.self) { try CLIPPreprocessorConfig.load(path: "/nonexistent/preprocessor_config.json") }
    }

    @Test func preprocessorRefusesAnInvalidConfig() {
        var config = CLIPPreprocessorConfig.clip224
        config.imageStd = [1, 1]
        #expect(throws: ImageError.self) { try CLIPPreprocessor(config: config) }
    }
}
