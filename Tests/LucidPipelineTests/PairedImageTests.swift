import Foundation
import LucidAttacks
import LucidGeneration
import LucidModels
import LucidPipeline
import LucidTensor
import LucidTestSupport
import LucidText
import Testing

/// SCAV with `--image` (`OpenedModel.pairedImage`): each instruction's prompt is embedded with the image
/// at the model's own positions and, on InstructBLIP, with the instruction as the Q-Former's text.
@Suite("an image paired with SCAV's instructions")
struct PairedImageTests {
    static let template = "USER: <image>\n{{ messages }} ASSISTANT:"

    /// Probe features of a Qwen2-VL prompt with an image are the model's own forward pass at its M-RoPE
    /// positions (the command line embedded the image without them before session 33).
    @Test func qwenProbeFeaturesAreTheModelsForwardAtItsPositions() throws {
        let copy = try TinyModelCopy.make("qwen2-vl", addedTokens: [("<image>", 140)], chatTemplate: Self.template)
        defer { try? FileManager.default.removeItem(at: copy) }
        let opened = try ModelRegistry.standard.open(copy.path)
        let tokenizer = try ModelRegistry.standard.tokenizer(for: copy.path)
        let template = try #require(opened.chatTemplate(for: tokenizer))
        let image = TinyModelCopy.fixtures.appendingPathComponent("qwen2-vl/wide.png").path
        var trainer = ProbeTrainer(model: opened.model, tokenizer: tokenizer, template: template)
        trainer.pairedImage = try opened.pairedImage(image)
        let prompt = "what is this"
        let features = try trainer.features([prompt])
        let vision = try #require(opened.vision)
        let ids = try tokenizer.encode(chat: [.user(prompt, images: 1)], template: template)
        let pixels = try opened.pixelValues(image: image, padToSquare: false)
        let layers = vision.layerCount
        let trace = try withNoGrad {
            try vision.forward(ids: ids, images: [pixels], cache: nil, options: ForwardOptions(hiddenStates: .layers(Array(0..<layers)), logits: .none))
        }
        let reference = try #require(trace.hiddenStates[layers - 1]).selected(axis: 1, index: -1).to(.f64)
        #expect(features[layers - 1].maxAbsDifference(reference) < 1e-5)
        guard case .positionedEmbeddings(_, let positions) = try #require(trainer.pairedImage).prefill(ids: ids, instruction: prompt) else {
            Issue.record("a Qwen2-VL prompt with an image needs its M-RoPE positions")
            return
        }
        // M-RoPE positions differ from 0..<T once the image's grid is in the prompt: the check can fail.
        #expect(positions.shape.first == 3)
        #expect(positions.toArray(Int.self).last != positions.shape.last.map { $0 - 1 })
    }

    /// On InstructBLIP each instruction is the Q-Former's text when its prompt is embedded, so two
    /// instructions give the image two sets of query features.
    @Test func instructBlipReadsEachInstruction() throws {
        let copy = try TinyModelCopy.make("instructblip", extraFiles: ["qformer_tokenizer"], addedTokens: [("<image>", 149)], chatTemplate: nil)
        defer { try? FileManager.default.removeItem(at: copy) }
        let opened = try ModelRegistry.standard.open(copy.path)
        let tokenizer = try ModelRegistry.standard.tokenizer(for: copy.path)
        let paired = try opened.pairedImage(TinyModelCopy.fixtures.appendingPathComponent("instructblip/image.png").path)
        let blip = try #require(opened.vision as? InstructBlipForConditionalGeneration)
        let ids = try tokenizer.encode(chat: [.user("what is this", images: 1)], template: .instructBlip)
        let a = try #require(try paired.prefill(ids: ids, instruction: "what is this").embeddings)
        let instruction = blip.qformerInstruction
        #expect(!instruction.isEmpty)
        let b = try #require(try paired.prefill(ids: ids, instruction: "how many squares are there").embeddings)
        #expect(blip.qformerInstruction != instruction)
        #expect(a.maxAbsDifference(b) > 1e-4)
    }

    /// The model's gate screens the paired image as generation screens it: its refusal, or nil.
    @Test func theGateScreensThePairedImage() throws {
        let opened = try ModelRegistry.standard.open(TinyModelCopy.fixtures.appendingPathComponent("llava-siglip/model").path)
        let paired = try opened.pairedImage(TinyModelCopy.fixtures.appendingPathComponent("llava-siglip/wide.png").path)
        #expect(paired.gateRefusal() == nil)
        let vision = try #require(opened.vision)
        var screened: [Int] = []
        vision.imageGate = { input in
            screened = input.pixels.shape
            return "no"
        }
        #expect(paired.gateRefusal() == "no" && screened == paired.pixels.shape)
    }
}
