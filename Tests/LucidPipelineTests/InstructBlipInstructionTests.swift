import Foundation
import LucidModels
import LucidPipeline
import LucidTensor
import LucidText
import Testing

/// `--image` on InstructBLIP: the Q-Former reads the prompt through the checkpoint's
/// `qformer_tokenizer/` as transformers' `InstructBlipProcessor` gives it (fixture from
/// scripts/make_instructblip_instruction_fixture.py on the tiny InstructBLIP fixture).
@Suite("InstructBLIP's Q-Former instruction from text")
struct InstructBlipInstructionTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("LucidModelsTests/Fixtures/instructblip").path

    @Test func thePromptBecomesTheProcessorsQFormerIdsAndTheModelsLogits() throws {
        let golden = try SafetensorsFile(path: Self.fixture + "/instruction.safetensors")
        let prompt = try #require(golden.metadata["prompt"])
        let opened = try ModelRegistry.standard.open(Self.fixture + "/model")
        #expect(opened.readsImageInstruction)
        let expected = try golden.loadTensor(named: "qformer_input_ids").toArray(Int.self)
        #expect(try opened.setImageInstruction(prompt) == .set(ids: expected))

        let pixels = try opened.pixelValues(image: Self.fixture + "/image.png", padToSquare: false)
        let vlm = try #require(opened.vision)
        let ids = try SafetensorsFile(path: Self.fixture + "/golden.safetensors").loadTensor(named: "input_ids").toArray(Int.self)
        let trace = try withNoGrad { try vlm.forward(ids: ids, images: [pixels], cache: nil, options: ForwardOptions()) }
        let logits = try #require(trace.logits)
        let reference = try golden.loadTensor(named: "logits")
        #expect(logits.shape == reference.shape)
        let difference: Double = (logits.to(.f64) - reference.to(.f64)).abs().max().item()
        #expect(difference <= 1e-4, "logits max-abs \(difference)")
        // Without the instruction the image features, hence the logits, differ: the test can fail.
        try opened.setImageInstruction("")
        let bare = try withNoGrad { try vlm.forward(ids: ids, images: [pixels], cache: nil, options: ForwardOptions()) }
        let changed: Double = (try #require(bare.logits).to(.f64) - reference.to(.f64)).abs().max().item()
        #expect(changed > 1e-3)
    }

    @Test func aDirectoryWithoutTheQFormerTokenizerSaysSoAndOtherFamiliesReadNoText() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-blip-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["config.json", "model.safetensors", "preprocessor_config.json"] {
            try FileManager.default.copyItem(atPath: Self.fixture + "/model/" + name, toPath: folder.appendingPathComponent(name).path)
        }
        let opened = try ModelRegistry.standard.open(folder.path)
        let missing = folder.appendingPathComponent("qformer_tokenizer/tokenizer.json").path
        #expect(try opened.setImageInstruction("what is this") == .missingTokenizer(path: missing))
        let llava = try ModelRegistry.standard.open("shapes-tiny")
        #expect(!llava.readsImageInstruction)
        #expect(try llava.setImageInstruction("what is this") == .notRead)
    }

    /// InstructBLIP has no chat template: its tokenizers carry none, and its prompts take the processor's
    /// format (`instructblip`); a template the tokenizer does carry still wins. Other families keep none.
    @Test func anInstructBlipPromptWithoutATemplateTakesTheProcessorsFormat() throws {
        let opened = try ModelRegistry.standard.open(Self.fixture + "/model")
        let untemplated = try Tokenizer(tokenizerJSON: Data(contentsOf: URL(fileURLWithPath: Self.fixture + "/model/qformer_tokenizer/tokenizer.json")))
        #expect(untemplated.chatTemplate == nil)
        #expect(opened.chatTemplate(for: untemplated) == .instructBlip)
        #expect(ModelFamily.llava.chatTemplate(untemplated) == nil)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-blip-template-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(atPath: Self.fixture + "/model/qformer_tokenizer/tokenizer.json", toPath: folder.appendingPathComponent("tokenizer.json").path)
        try Data(#"{"chat_template": "USER: <image>\n{{ messages }} ASSISTANT:"}"#.utf8).write(to: folder.appendingPathComponent("tokenizer_config.json"))
        let templated = try ModelRegistry.standard.tokenizer(for: folder.path)
        #expect(opened.chatTemplate(for: templated) == .llava15)
    }
}
