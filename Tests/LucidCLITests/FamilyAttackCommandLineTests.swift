import Foundation
import LucidPipeline
import LucidTestSupport
import LucidVision
import Testing

/// `lucid attack` on the tiny family fixtures, copied with a tokenizer (`TinyModelCopy`): a Qwen2-VL image
/// is attacked at its processor's `smart_resize` size, a LLaVA-NeXT image at its canvas size.
@Suite("image attacks on families from the command line", .serialized)
struct FamilyAttackCommandLineTests {
    static let template = "USER: <image>\n{{ messages }} ASSISTANT:"

    @Test func aQwenImageIsAttackedAtItsProcessorsSize() throws {
        let copy = try TinyModelCopy.make("qwen2-vl", addedTokens: [("<image>", 140)], chatTemplate: Self.template)
        defer { try? FileManager.default.removeItem(at: copy) }  // the outputs go inside the copy
        let image = TinyModelCopy.fixtures.appendingPathComponent("qwen2-vl/wide.png").path
        let out = copy.appendingPathComponent("adv.png").path
        let run = try LucidProcess.run(["attack", "pgd", "--model", copy.path, "--image", image, "--target", "a cat", "--steps", "2",
                                        "--max-new-tokens", "3", "--out", out, "--json"])
        #expect(run.status == 0, "\(run.err)")
        let written = try ImageDecoder.decode(path: out)
        let pixels = try ModelRegistry.standard.open(copy.path).pixelValues(image: image, padToSquare: false)
        let source = try ImageDecoder.decode(path: image)
        #expect(written.height == pixels.size(2) && written.width == pixels.size(3))
        #expect(written.height != source.height || written.width != source.width, "the fixture needs a resize: this test could not fail")
    }

    /// The sink attack's figure maps the decoder's attention on the wide image's merged grid (not a square).
    @Test func theSinkAttackOnAQwenImageWritesItsFigure() throws {
        let copy = try TinyModelCopy.make("qwen2-vl", addedTokens: [("<image>", 140)], chatTemplate: Self.template)
        defer { try? FileManager.default.removeItem(at: copy) }  // the outputs go inside the copy
        let out = copy.appendingPathComponent("adv.png").path
        let run = try LucidProcess.run(["attack", "sink", "--model", copy.path, "--image", TinyModelCopy.fixtures.appendingPathComponent("qwen2-vl/wide.png").path,
                                        "--steps", "1", "--beams", "1", "--max-new-tokens", "4", "--layer", "-1", "--out", out, "--json"])
        #expect(run.status == 0, "\(run.err)")
        #expect(FileManager.default.fileExists(atPath: copy.appendingPathComponent("adv_figure.png").path))
    }

    /// LLaVA-NeXT's attack writes the image resized to its anyres canvas, which reads back to the same tiles.
    @Test func llavaNextIsAttackedOnItsCanvasImage() throws {
        let copy = try TinyModelCopy.make("llava-next", addedTokens: [("<image>", 149)], chatTemplate: Self.template)
        defer { try? FileManager.default.removeItem(at: copy) }
        let out = copy.appendingPathComponent("adv.png").path
        let image = TinyModelCopy.fixtures.appendingPathComponent("llava-next/wide.png").path
        let run = try LucidProcess.run(["attack", "pgd", "--model", copy.path, "--image", image, "--noise", "--out", out, "--json"])
        #expect(run.status == 0, "\(run.err)")
        let written = try ImageDecoder.decode(path: out)
        let processor = try LlavaNextImageProcessor.load(path: copy.appendingPathComponent("preprocessor_config.json").path)
        let place = try processor.placement(height: 30, width: 50)
        #expect(written.width == place.fitted.width && written.height == place.fitted.height)
        #expect(place.fitted != PixelSize(height: 30, width: 50), "the fixture needs a resize: this test could not fail")
    }
}
