import Foundation
import LucidAttacks
import LucidModels
import LucidTensor
import LucidTestSupport
@testable import LucidPipeline
import LucidText
import LucidVision
import Testing

/// `OpenedModel.imageAttack`: an image attack sees the prompt, the pixels and the Q-Former instruction
/// that generation gives the model, family by family.
@Suite("image attacks start as generation does")
struct ImageAttackStartTests {
    static let fixtures = TinyModelCopy.fixtures
    static let llavaTemplate = "USER: <image>\n{{ messages }} ASSISTANT:"

    /// A copy of the tiny `family` fixture with a tokenizer (`<image>` at the decoder's image token `image`)
    /// and `chatTemplate` (`TinyModelCopy`), opened; the caller removes `folder`.
    static func openCopy(_ family: String, image: Int, chatTemplate: String?) throws -> (opened: OpenedModel, tokenizer: Tokenizer, folder: URL) {
        let folder = try TinyModelCopy.make(family, extraFiles: family == "instructblip" ? ["qformer_tokenizer"] : [],
                                            addedTokens: [("<image>", image)], chatTemplate: chatTemplate)
        return (try ModelRegistry.standard.open(folder.path), try ModelRegistry.standard.tokenizer(for: folder.path), folder)
    }

    @Test func anInstructBlipAttackTakesTheProcessorsPromptPixelsAndInstruction() throws {
        let fixture = Self.fixtures.appendingPathComponent("instructblip").path
        let (opened, tokenizer, folder) = try Self.openCopy("instructblip", image: 149, chatTemplate: nil)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(tokenizer.chatTemplate == nil && ChatTemplate.detect(for: tokenizer) == nil)
        let prompt = "what is in the image"
        let start = try opened.imageAttack(tokenizer: tokenizer, image: fixture + "/image.png", prompt: prompt)

        // The processor's format, not a detected template (there is none to detect), its `<image>` repeated
        // once per query token as InstructBlipProcessor writes it.
        let queries = try #require(opened.vision).imageFeatureCount
        let processor = try tokenizer.encode(chat: [.user(prompt, images: 1)], template: .instructBlip).flatMap {
            $0 == 149 ? [Int](repeating: 149, count: queries) : [$0]
        }
        #expect(start.context.promptIDs == processor)
        // The Q-Former reads the prompt during the attack, as it does when the image is answered.
        let blip = try #require(opened.vision as? InstructBlipForConditionalGeneration)
        guard case .set(let instruction) = start.instruction else {
            Issue.record("the fixture's Q-Former tokenizer did not load")
            return
        }
        #expect(!instruction.isEmpty && blip.qformerInstruction == instruction)
        // BLIP's exact resize and normalisation: the attacked pixels are generation's pixels.
        let generated = try opened.pixelValues(image: fixture + "/image.png", padToSquare: false)
        let attacked = start.context.modelImage(start.clean)
        #expect(attacked.shape == generated.shape)
        #expect(attacked.maxAbsDifference(generated) < 1e-6)
        #expect(Set(start.eos) == Set(opened.stopTokenIDs(tokenizer: tokenizer)))
    }

    /// At ε = 0 the attack feeds the model generation's own pixel values (the family's resize, mean and
    /// std), and its PNG reloads to them: LLaVA with SigLIP's 0.5 mean and std, Qwen2-VL's smart_resize.
    @Test(arguments: [("llava-siglip", "wide.png", 149), ("qwen2-vl", "wide.png", 140), ("qwen2.5-vl", "large.png", 140)])
    func theAttackedImageIsGenerationsImageAndItsPNGReloadsToIt(_ name: String, _ file: String, _ image: Int) throws {
        let fixture = Self.fixtures.appendingPathComponent(name).path
        let (opened, tokenizer, folder) = try Self.openCopy(name, image: image, chatTemplate: Self.llavaTemplate)
        defer { try? FileManager.default.removeItem(at: folder) }
        let start = try opened.imageAttack(tokenizer: tokenizer, image: fixture + "/" + file, prompt: "what is this")
        let generated = try opened.pixelValues(image: fixture + "/" + file, padToSquare: false)
        let attacked = start.context.modelImage(start.clean)
        #expect(attacked.shape == generated.shape)
        #expect(attacked.maxAbsDifference(generated) < 1e-5)
        // The prompt's image run is this image's (a non-square Qwen2-VL image is not the tower's square).
        let vision = try #require(opened.vision)
        let ids = try tokenizer.encode(chat: [.user("what is this", images: 1)], template: try #require(opened.chatTemplate(for: tokenizer)))
        #expect(start.context.inputLength == (try vision.embeddedLength(ids: ids, images: [generated])))
        #expect(start.context.promptIDs.count == start.context.inputLength)
        let clean = CLIPPreprocessorConfig.defaults(imageSize: 32).normalize(start.clean)
        if name == "llava-siglip" { #expect(clean.maxAbsDifference(generated) > 0.1, "CLIP's mean and std would not do") }
        let png = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-attack-start-\(UUID().uuidString).png").path
        defer { try? FileManager.default.removeItem(atPath: png) }
        try ImageEncoder.writePNG(try FloatImage(tensor: start.clean), to: png)
        let reloaded = try opened.pixelValues(image: png, padToSquare: false)
        #expect(reloaded.shape == generated.shape)
        #expect(reloaded.maxAbsDifference(generated) < 1e-5)
    }

    /// LLaVA-NeXT and OneVision: the attack perturbs the image resized to its canvas; its tensor ops give the
    /// tile stack the processor reads from that PNG (the tiles exactly; the first tile, resized whole,
    /// without Pillow's 8-bit rounding after its two passes).
    @Test(arguments: ["llava-next", "llava-onevision"])
    func aTiledFamilyIsAttackedOnItsCanvasImageAndThePNGReadsBackToItsTiles(_ name: String) throws {
        let fixture = Self.fixtures.appendingPathComponent(name).path
        let (opened, tokenizer, folder) = try Self.openCopy(name, image: 149, chatTemplate: Self.llavaTemplate)
        defer { try? FileManager.default.removeItem(at: folder) }
        let start = try opened.imageAttack(tokenizer: tokenizer, image: fixture + "/wide.png", prompt: "what is this")
        let vision = try #require(opened.vision as? LlavaNextForConditionalGeneration)
        #expect(start.clean.shape == [1, 3, vision.originalImageSize.height, vision.originalImageSize.width])
        let attacked = start.context.modelImage(start.clean)
        let png = folder.appendingPathComponent("clean.png").path
        try ImageEncoder.writePNG(try FloatImage(tensor: start.clean), to: png)
        let reloaded = try opened.pixelValues(image: png, padToSquare: false)
        #expect(attacked.shape == reloaded.shape && attacked.size(0) > 1, "\(attacked.shape) against \(reloaded.shape)")
        let tiles = attacked.size(0) - 1
        #expect(attacked.narrowed(axis: 0, start: 1, length: tiles).maxAbsDifference(reloaded.narrowed(axis: 0, start: 1, length: tiles)) < 1e-5)
        // The first tile, the image resized whole, is Pillow's to the byte (its value; its gradient is the weights').
        let base = attacked.narrowed(axis: 0, start: 0, length: 1).maxAbsDifference(reloaded.narrowed(axis: 0, start: 0, length: 1))
        #expect(base < 1e-5, "first tile off by \(base)")
        // The prompt's image run is the tile stack's features.
        let ids = try tokenizer.encode(chat: [.user("what is this", images: 1)], template: try #require(opened.chatTemplate(for: tokenizer)))
        #expect(start.context.inputLength == (try vision.embeddedLength(ids: ids, images: [reloaded])))
    }

    /// The anyres attack's first tile is Pillow's fixed-point resize to the byte, for every filter, up and down,
    /// from the 8-bit codes a PNG of the image holds; the float weight matrices alone are up to a level off.
    @Test(arguments: [(40, 25), (25, 40), (64, 64), (13, 7), (41, 41), (336, 200)])
    func theTiledAttacksFirstTileIsPillowsResizeToTheByte(_ width: Int, _ height: Int) throws {
        let image = try ImageDecoder.decode(path: Self.fixtures.appendingPathComponent("llava-next/wide.png").path)
        var smoothWorst = 0.0
        for filter in [ResampleFilter.bicubic, .bilinear, .lanczos, .box, .hamming] {
            let expected = FloatImage(try image.resized(width: width, height: height, filter: filter)).tensor()
            let rows = Tensor(Resampler.weightMatrix(inSize: image.height, outSize: height, filter: filter), shape: [height, image.height])
            let columns = Tensor(Resampler.weightMatrix(inSize: image.width, outSize: width, filter: filter), shape: [width, image.width])
                .transposed(0, 1)
            let x = FloatImage(image).tensor()
            #expect(ModelFamily.pillowResize(x, rows: rows, columns: columns).to(.f32).maxAbsDifference(expected) == 0, "\(filter)")
            let smooth = rows.matmul(x.matmul(columns).clamped(min: 0, max: 1)).clamped(min: 0, max: 1)
            smoothWorst = max(smoothWorst, smooth.maxAbsDifference(expected) * 255)
        }
        #expect(smoothWorst > 0.25, "the rounding the exact path adds is there to add (\(smoothWorst) levels)")
    }

    /// The attack's variable is the image in [0, 1]; a processor that rescales otherwise is refused, not misread.
    @Test func aProcessorThatDoesNotRescaleBy1Over255IsRefused() throws {
        let folder = try TinyModelCopy.make("llava-siglip", addedTokens: [("<image>", 149)], chatTemplate: Self.llavaTemplate)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("preprocessor_config.json")
        let text = try String(contentsOf: config, encoding: .utf8).replacingOccurrences(of: "0.00392156862745098", with: "1.0")
        try text.write(to: config, atomically: true, encoding: .utf8)
        let opened = try ModelRegistry.standard.open(folder.path)
        let tokenizer = try ModelRegistry.standard.tokenizer(for: folder.path)
        #expect(try opened.imageNormalization()?.rescaleFactor == 1)
        #expect { try opened.imageAttack(tokenizer: tokenizer, image: Self.fixtures.appendingPathComponent("llava-siglip/wide.png").path,
                                         prompt: "what is this") } throws: { "\($0)".contains("not 1/255") }
    }

    @Test func aPreprocessorOfAnotherSizeIsRefusedBeforeTheAttack() throws {
        let fixture = Self.fixtures.appendingPathComponent("instructblip").path
        let (opened, tokenizer, folder) = try Self.openCopy("instructblip", image: 149, chatTemplate: nil)
        defer { try? FileManager.default.removeItem(at: folder) }
        let vision = try #require(opened.vision)
        #expect(throws: AttackError.self) {
            try ImageAttackContext.open(model: vision, tokenizer: tokenizer, image: fixture + "/image.png",
                                        prompt: "what is this", preprocessor: .defaults(imageSize: vision.imageSize * 2),
                                        template: .instructBlip)
        }
    }

    /// The sink attack runs from that start on a non-square Qwen2-VL image (M-RoPE over its own grid), on
    /// InstructBLIP (the Q-Former reading the prompt) and on LLaVA-NeXT's canvas image (through its tiles),
    /// staying in its budget.
    @Test(arguments: [("qwen2-vl", "wide.png", 140), ("instructblip", "image.png", 149), ("llava-next", "wide.png", 149)])
    func theSinkAttackRunsFromTheStart(_ name: String, _ file: String, _ image: Int) throws {
        let fixture = Self.fixtures.appendingPathComponent(name).path
        let (opened, tokenizer, folder) = try Self.openCopy(name, image: image, chatTemplate: name == "instructblip" ? nil : Self.llavaTemplate)
        defer { try? FileManager.default.removeItem(at: folder) }
        let start = try opened.imageAttack(tokenizer: tokenizer, image: fixture + "/" + file, prompt: "what is this")
        let attack = MirageAttack(loss: MirageSinkLoss(layer: -1), pgd: PixelPGD(epsilon: 8.0 / 255, stepSize: 2.0 / 255, steps: 2),
                                  beams: 1, maxNewTokens: 4)
        let (adversarial, steps) = try attack.run(start.context, clean: start.clean, eosTokenIDs: [])
        #expect(steps.count == 2 && steps.allSatisfy { $0.loss.isFinite })
        #expect(adversarial.shape == start.clean.shape)
        let moved = adversarial.maxAbsDifference(start.clean)
        #expect(moved > 0 && moved <= 8.0 / 255 + 1e-6)
        // The command's figure: Qwen2-VL's maps on its merged grid of this wide image (not a square), none for
        // InstructBLIP's queries (before session 33 both failed after the attack: "do not form a square grid").
        let response = [5, 6, 7]
        let figure = try start.context.sinkFigure(clean: start.clean, adversarial: adversarial, cleanResponse: response,
                                                  adversarialResponse: response, layer: -1, caption: [.init("test")])
        let layout = try start.context.model.imageSpanLayout(of: start.context.modelImage(start.clean))
        if name == "instructblip" {
            #expect(figure.rows == 0 && figure.before.isEmpty && !layout.hasGrid)
        } else {
            #expect(figure.rows == layout.rows && figure.columns == layout.columns)
            if name == "qwen2-vl" { #expect(figure.rows != figure.columns) }
            #expect(figure.before.count == layout.rows * layout.columns && figure.after.count == figure.before.count)
        }
        let rendered = try figure.render()
        #expect(rendered.width > 0 && rendered.height > 0)
    }
}
