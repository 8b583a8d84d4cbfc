import Foundation
import LucidGeneration
import LucidPipeline
import LucidRuns
import LucidTensor
import LucidTestSupport
import LucidText
import LucidVision
import Testing

/// A run manifest's `attack` option on the families beyond LLaVA-1.5, end to end through `ManifestWorker`:
/// the image is crafted against the item's own prompt as `OpenedModel.imageAttack` prepares the family,
/// written at the family's working size, and the item decodes that PNG as `lucid generate` would.
@Suite("manifest attacks on other families", .serialized)
struct ManifestFamilyAttackTests {
    static let llavaTemplate = "USER: <image>\n{{ messages }} ASSISTANT:"

    /// One PGD step (targeted text) on Qwen2-VL's smart-resized wide image, InstructBLIP (the Q-Former reading
    /// the item's prompt) and LLaVA-NeXT's canvas-fitted image; each item's tokens are the library's for the PNG.
    @Test(arguments: [("qwen2-vl", "wide.png", 140), ("instructblip", "image.png", 149), ("llava-next", "wide.png", 149)])
    func anAttackedItemOfAFamilyIsCraftedForItsPromptAndDecodedFromItsPNG(_ name: String, _ file: String, _ imageID: Int) throws {
        let fm = FileManager.default
        let blip = name == "instructblip"
        let modelFolder = try TinyModelCopy.make(name, extraFiles: blip ? ["qformer_tokenizer"] : [], addedTokens: [("<image>", imageID)],
                                                 chatTemplate: blip ? nil : Self.llavaTemplate)
        let folder = fm.temporaryDirectory.appendingPathComponent("lucid-manifest-family-\(UUID().uuidString)")
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        defer {
            try? fm.removeItem(at: folder)
            try? fm.removeItem(at: modelFolder)
        }
        let source = TinyModelCopy.fixtures.appendingPathComponent(name).appendingPathComponent(file)
        try fm.copyItem(at: source, to: folder.appendingPathComponent("scene.png"))
        let prompt = "what is in the picture"
        try Data("{\"image\": \"scene.png\", \"image_id\": 1, \"prompt\": \"\(prompt)\"}\n".utf8)
            .write(to: folder.appendingPathComponent("data.jsonl"))
        let attackOptions: [String: JSONValue] = ["name": .string("pgd"), "target": .string("a b"), "eps": .string("16/255"),
                                                  "step_size": .string("16/255"), "steps": .int(1)]
        let manifest = RunManifest(name: "t", models: [ModelSpec(label: name, path: modelFolder.path, options: ["attack": .object(attackOptions)])],
                                   dataset: DatasetSpec(url: folder.appendingPathComponent("data.jsonl"), kind: .captions),
                                   methods: [MethodSpec(name: "greedy")], seeds: [0], output: folder.appendingPathComponent("run"),
                                   generation: ["max_new_tokens": .int(3)])
        try ManifestWorker.validate(manifest)
        let plan = try RunPlan(manifest: manifest)
        let worker = ManifestWorker(plan: plan, runDirectory: folder.appendingPathComponent("run"))
        let item = try #require(plan.items.first)
        let fields = try #require(try worker.run(item).objectValue)
        let path = try #require(fields["adversarial_image"]?.stringValue)

        // The PNG is what the attack of the library makes for this prompt (deterministic: no random start).
        let opened = try ModelRegistry.standard.open(modelFolder.path)
        let tokenizer = try ModelRegistry.standard.tokenizer(for: modelFolder.path)
        let attack = try #require(try ManifestAttack.of(manifest.models[0]))
        let again = folder.appendingPathComponent("again.png").path
        try attack.adversarialImage(at: again, clean: folder.appendingPathComponent("scene.png").path, prompt: prompt, model: opened,
                                    tokenizer: tokenizer)
        let crafted = try ImageDecoder.decode(path: path)
        #expect(crafted == (try ImageDecoder.decode(path: again)))
        // It is the family's working image: the clean start's size, and the step moved it.
        let start = try opened.imageAttack(tokenizer: tokenizer, image: folder.appendingPathComponent("scene.png").path, prompt: prompt)
        #expect([1, 3, crafted.height, crafted.width] == start.clean.shape)
        let cleanPNG = folder.appendingPathComponent("clean.png").path
        try ImageEncoder.writePNG(try FloatImage(tensor: start.clean), to: cleanPNG)
        #expect(crafted != (try ImageDecoder.decode(path: cleanPNG)), "one step of 16/255 changes the image")
        // Against another prompt the step differs: the item's prompt is what the image was crafted for.
        let other = folder.appendingPathComponent("other.png").path
        try attack.adversarialImage(at: other, clean: folder.appendingPathComponent("scene.png").path, prompt: "describe the colours",
                                    model: opened, tokenizer: tokenizer)
        #expect(crafted != (try ImageDecoder.decode(path: other)))

        // The item decodes that PNG with its prompt, as the library does.
        let image = try opened.pixelValues(image: path, padToSquare: false)
        try opened.setImageInstruction(prompt)
        let template = try #require(opened.chatTemplate(for: tokenizer))
        let ids = try tokenizer.encode(chat: [.user(prompt, images: 1)], template: template)
        let limits = GenerationLimits(maxNewTokens: 3, eosTokenIDs: opened.stopTokenIDs(tokenizer: tokenizer))
        let expected = try Decoding.generate(opened.model, ids: ids, images: [image], method: .greedy, limits: limits)
        #expect(fields["token_ids"] == .array(expected.tokens.map { .int($0) }))
        #expect(fields["prompt_tokens"] == .int(expected.statistics.promptTokens))
    }

    /// A transfer across families: the image is crafted on a Qwen2-VL surrogate, at its smart-resized size,
    /// and the LLaVA-NeXT entry answers that PNG through its own processor.
    @Test func aSurrogateOfAnotherFamilyCraftsTheImageTheEntryAnswers() throws {
        let fm = FileManager.default
        let answerer = try TinyModelCopy.make("llava-next", addedTokens: [("<image>", 149)], chatTemplate: Self.llavaTemplate)
        let crafter = try TinyModelCopy.make("qwen2-vl", addedTokens: [("<image>", 140)], chatTemplate: Self.llavaTemplate)
        let folder = fm.temporaryDirectory.appendingPathComponent("lucid-manifest-transfer-\(UUID().uuidString)")
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        defer {
            for url in [folder, answerer, crafter] { try? fm.removeItem(at: url) }
        }
        try fm.copyItem(at: TinyModelCopy.fixtures.appendingPathComponent("qwen2-vl/wide.png"), to: folder.appendingPathComponent("scene.png"))
        try Data("{\"image\": \"scene.png\", \"image_id\": 1}\n".utf8).write(to: folder.appendingPathComponent("data.jsonl"))
        let attack: JSONValue = .object(["name": .string("pgd"), "target": .string("a b"), "step_size": .string("8/255"), "steps": .int(1),
                                         "surrogate": .string(crafter.path)])
        let manifest = RunManifest(name: "t", models: [ModelSpec(label: "next", path: answerer.path, options: ["attack": attack])],
                                   dataset: DatasetSpec(url: folder.appendingPathComponent("data.jsonl"), kind: .captions),
                                   methods: [MethodSpec(name: "greedy")], seeds: [0], output: folder.appendingPathComponent("run"),
                                   generation: ["max_new_tokens": .int(2)])
        try ManifestWorker.validate(manifest)
        let plan = try RunPlan(manifest: manifest)
        let item = try #require(plan.items.first)
        let fields = try #require(try ManifestWorker(plan: plan, runDirectory: folder.appendingPathComponent("run")).run(item).objectValue)
        let path = try #require(fields["adversarial_image"]?.stringValue)
        let surrogate = try ModelRegistry.standard.open(crafter.path)
        let start = try surrogate.imageAttack(tokenizer: try ModelRegistry.standard.tokenizer(for: crafter.path),
                                              image: folder.appendingPathComponent("scene.png").path, prompt: "Please describe this image in detail.")
        let crafted = try ImageDecoder.decode(path: path)
        #expect([1, 3, crafted.height, crafted.width] == start.clean.shape, "the surrogate's working size")
        let opened = try ModelRegistry.standard.open(answerer.path)
        let tokenizer = try ModelRegistry.standard.tokenizer(for: answerer.path)
        let image = try opened.pixelValues(image: path, padToSquare: false)
        let template: ChatTemplate = try #require(opened.chatTemplate(for: tokenizer))
        let ids = try tokenizer.encode(chat: [.user("Please describe this image in detail.", images: 1)], template: template)
        let limits = GenerationLimits(maxNewTokens: 2, eosTokenIDs: opened.stopTokenIDs(tokenizer: tokenizer))
        let expected = try Decoding.generate(opened.model, ids: ids, images: [image], method: .greedy, limits: limits)
        #expect(fields["token_ids"] == .array(expected.tokens.map { .int($0) }))
        #expect(fields["prompt_tokens"] == .int(expected.statistics.promptTokens))
    }
}
