import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidPipeline
@testable import LucidRuns
@testable import LucidTensor
@testable import LucidVision
import LucidTestSupport
import LucidText

/// Manifest method entries as typed methods, and one work item end to end on the bundled `shapes-tiny`.
@Suite("manifest worker", .serialized)
struct ManifestWorkerTests {
    @Test func methodEntriesBecomeTypedMethodsWithTheirDefaults() throws {
        guard case .damro(let contrast, let outliers, let attention) = try DecodingMethod(
            manifest: MethodSpec(name: "damro", options: ["outliers": .int(3), "attention": .string("head-mean")]), seed: 7) else {
            Issue.record("not damro")
            return
        }
        #expect(contrast.alpha == 2 && contrast.beta == 0.1 && !contrast.applyWarpers && contrast.sampling == nil)
        #expect(outliers == 3 && attention == .headMean)
        guard case .sample(let sampling) = try DecodingMethod(manifest: MethodSpec(name: "sample"), seed: 5) else {
            Issue.record("not sample")
            return
        }
        #expect(sampling.temperature == 1 && sampling.seed == 5)
        guard case .vcd(_, let step, let seed) = try DecodingMethod(manifest: MethodSpec(name: "vcd", options: ["temperature": .double(0.5)]), seed: 2) else {
            Issue.record("not vcd")
            return
        }
        #expect(step == 500 && seed == 2)
        #expect(throws: RunSpecError("method 'beam': unknown option 'temperature' (known: beams, hypothesis_length, length_penalty, logit_bias, min_new_tokens, no_repeat_ngram_size, repetition_context, repetition_penalty)")) {
            _ = try DecodingMethod(manifest: MethodSpec(name: "beam", options: ["temperature": .double(1)]), seed: 0)
        }
        #expect(throws: RunSpecError("method 'vcd': noise step must be in 0…999")) {
            _ = try DecodingMethod(manifest: MethodSpec(name: "vcd", options: ["noise_step": .int(1000)]), seed: 0)
        }
        #expect(throws: RunSpecError("method 'nucleus' is not one of greedy, sample, beam, opera, vcd, damro")) {
            _ = try DecodingMethod(manifest: MethodSpec(name: "nucleus"), seed: 0)
        }
    }

    @Test func anAttackedImageItemIsCraftedOnceAndDecodedWithTheItemsMethod() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("worker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pixels = (Tensor.rand([1, 3, 64, 64], generator: Generator(seed: 3)) * 255).round() / 255
        try ImageEncoder.writePNG(try FloatImage(tensor: pixels), to: folder.appendingPathComponent("scene.png").path)
        try Data("{\"image\": \"scene.png\", \"image_id\": 1}\n".utf8).write(to: folder.appendingPathComponent("data.jsonl"))
        let manifest = RunManifest(name: "t", models: [ModelSpec(label: "tiny", path: "shapes-tiny",
                                                                 options: ["attack": .object(["name": .string("noise"), "eps": .string("8/255")])])],
                                   dataset: DatasetSpec(url: folder.appendingPathComponent("data.jsonl"), kind: .captions),
                                   methods: [MethodSpec(name: "greedy"), MethodSpec(name: "beam", options: ["beams": .int(2)])], seeds: [0],
                                   output: folder.appendingPathComponent("run"), generation: ["max_new_tokens": .int(3)])
        try ManifestWorker.validate(manifest)
        let plan = try RunPlan(manifest: manifest)
        let worker = ManifestWorker(plan: plan, runDirectory: folder.appendingPathComponent("run"))
        #expect(plan.items.count == 2)
        let first = try #require(try worker.run(plan.items[0]).objectValue)
        let path = try #require(first["adversarial_image"]?.stringValue)
        let written = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        let second = try #require(try worker.run(plan.items[1]).objectValue)
        #expect(second["adversarial_image"]?.stringValue == path)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date == written, "made once, then reused")
        // The item's tokens are what the library's pieces give for that image and prompt.
        let opened = try ModelRegistry.standard.open("shapes-tiny")
        let tokenizer = try ModelRegistry.standard.tokenizer(for: "shapes-tiny")
        let template = try #require(opened.chatTemplate(for: tokenizer))
        let ids = try tokenizer.encode(chat: [.user("Please describe this image in detail.", images: 1)], template: template)
        let image = try opened.pixelValues(image: path, padToSquare: false)
        let limits = GenerationLimits(maxNewTokens: 3, eosTokenIDs: opened.stopTokenIDs(tokenizer: tokenizer))
        for (fields, method) in [(first, DecodingMethod.greedy), (second, .beam(BeamSearchParameters(beams: 2)))] {
            let expected = try Decoding.generate(opened.model, ids: ids, images: [image], method: method, limits: limits)
            #expect(fields["token_ids"] == .array(expected.tokens.map { .int($0) }))
            #expect(fields["finish_reason"] == .string(expected.finishReason.rawValue))
        }
    }

    /// A model entry's `template:` renders the item's prompt in place of the model's own (here vicuna for
    /// shapes-tiny's ChatML), checked before any item runs; an unknown name names its file, line and key.
    @Test func aModelEntrysTemplateRendersItsPromptsAndAnUnknownOneIsRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("worker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("{\"prompt\": \"Name a colour.\"}\n".utf8).write(to: folder.appendingPathComponent("data.jsonl"))
        let manifest = RunManifest(name: "t", models: [ModelSpec(label: "own", path: "shapes-tiny"),
                                                      ModelSpec(label: "vicuna", path: "shapes-tiny", options: ["template": .string("vicuna")])],
                                   dataset: DatasetSpec(url: folder.appendingPathComponent("data.jsonl"), kind: .prompts),
                                   methods: [MethodSpec(name: "greedy")], seeds: [0],
                                   output: folder.appendingPathComponent("run"), generation: ["max_new_tokens": .int(2)])
        try ManifestWorker.validate(manifest)
        let plan = try RunPlan(manifest: manifest)
        let worker = ManifestWorker(plan: plan, runDirectory: folder.appendingPathComponent("run"))
        let opened = try ModelRegistry.standard.open("shapes-tiny")
        let tokenizer = try ModelRegistry.standard.tokenizer(for: "shapes-tiny")
        let own = try #require(opened.chatTemplate(for: tokenizer))
        #expect(own.style == .chatml)
        var promptTokens: [String: Int] = [:]
        for item in plan.items {
            promptTokens[item.model.label] = try #require(try worker.run(item).objectValue)["prompt_tokens"]?.intValue
        }
        let chat = [ChatMessage.user("Name a colour.")]
        #expect(promptTokens["own"] == (try tokenizer.encode(chat: chat, template: own)).count)
        #expect(promptTokens["vicuna"] == (try tokenizer.encode(chat: chat, template: .vicuna)).count)
        #expect(promptTokens["own"] != promptTokens["vicuna"])

        let unknown = try RunManifest.parse("""
            name: t
            models:
              - {path: shapes-tiny, template: alpaca}
            dataset: {path: d.jsonl, kind: prompts}
            methods: [greedy]
            """, file: "m.yaml", baseDirectory: URL(fileURLWithPath: "/tmp"))
        let message = try #require({ () -> String? in
            do { try ManifestWorker.validate(unknown); return nil } catch { return "\(error)" }
        }())
        #expect(message.hasPrefix("m.yaml:3: models[0].template: unknown chat template 'alpaca'; known templates: llava-1.5"), "\(message)")
    }

    /// A model prompted with a template that writes reasoning (`deepseek-r1`) records its answer as `text` and
    /// its reasoning apart; `generation.reasoning: keep` records the whole output as `text`; a template without
    /// reasoning records no `reasoning`.
    @Test func aReasoningTemplatesOutputIsSplitUnlessTheRunKeepsIt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("worker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("{\"prompt\": \"Name a colour.\"}\n".utf8).write(to: folder.appendingPathComponent("data.jsonl"))
        let tokenizer = try ModelRegistry.standard.tokenizer(for: "shapes-tiny")
        func results(_ generation: [String: JSONValue]) throws -> [String: [String: JSONValue]] {
            let manifest = RunManifest(name: "t", models: [ModelSpec(label: "own", path: "shapes-tiny"),
                                                          ModelSpec(label: "r1", path: "shapes-tiny", options: ["template": .string("deepseek-r1")])],
                                       dataset: DatasetSpec(url: folder.appendingPathComponent("data.jsonl"), kind: .prompts),
                                       methods: [MethodSpec(name: "greedy")], seeds: [0],
                                       output: folder.appendingPathComponent("run"), generation: generation)
            try ManifestWorker.validate(manifest)
            let plan = try RunPlan(manifest: manifest)
            let worker = ManifestWorker(plan: plan, runDirectory: folder.appendingPathComponent("run"))
            var out: [String: [String: JSONValue]] = [:]
            for item in plan.items {
                let object: [String: JSONValue] = try #require(try worker.run(item).objectValue)
                out[item.model.label] = object
            }
            return out
        }
        func output(_ fields: [String: JSONValue]?) throws -> String {
            try tokenizer.decode(try #require(fields?["token_ids"]?.arrayValue).compactMap(\.intValue), skipSpecialTokens: true)
        }
        let split = try results(["max_new_tokens": .int(6)])
        let r1 = try output(split["r1"])
        #expect(!r1.isEmpty)
        let expected = ReasoningSplitter.split(r1)
        #expect(split["r1"]?["reasoning"] == .string(expected.reasoning))
        #expect(split["r1"]?["text"] == .string(expected.answer.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(split["own"]?["reasoning"] == nil)
        #expect(split["own"]?["text"] == .string(try output(split["own"]).trimmingCharacters(in: .whitespacesAndNewlines)))
        let kept = try results(["max_new_tokens": .int(6), "reasoning": .string("keep")])
        #expect(kept["r1"]?["reasoning"] == nil)
        #expect(kept["r1"]?["text"] == .string(r1.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(throws: ManifestError.self) { _ = try results(["reasoning": .string("drop")]) }
    }

    /// `generation.logprobs` records each token's log-probability and alternatives with its result, for every
    /// method; a bad `logprobs` or `logprobs_mode` is refused when the manifest is checked, before any item runs.
    @Test func anItemRecordsItsTokensLogprobsWhereTheRunAsks() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("worker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("{\"prompt\": \"Name a colour.\"}\n".utf8).write(to: folder.appendingPathComponent("data.jsonl"))
        func manifest(_ methods: [MethodSpec], _ generation: [String: JSONValue]) -> RunManifest {
            RunManifest(name: "t", models: [ModelSpec(label: "own", path: "shapes-tiny")],
                        dataset: DatasetSpec(url: folder.appendingPathComponent("data.jsonl"), kind: .prompts), methods: methods, seeds: [0],
                        output: folder.appendingPathComponent("run"), generation: generation)
        }
        let asked = manifest([MethodSpec(name: "greedy"), MethodSpec(name: "beam", options: ["beams": 2]),
                              MethodSpec(name: "opera", options: ["beams": 2, "candidates": 2])],
                             ["max_new_tokens": 4, "logprobs": 2, "logprobs_mode": "processed_logprobs"])
        try ManifestWorker.validate(asked)
        let plan = try RunPlan(manifest: asked)
        let worker = ManifestWorker(plan: plan, runDirectory: folder.appendingPathComponent("run"))
        for item in plan.items {
            let fields = try #require(try worker.run(item).objectValue)
            let tokens = try #require(fields["token_ids"]?.arrayValue)
            let entries = try #require(fields["logprobs"]?.arrayValue, "\(item.method.name)")
            #expect(entries.map { $0["token_id"] } == tokens && !tokens.isEmpty, "\(item.method.name)")
            #expect(entries.allSatisfy { $0["top_logprobs"]?.arrayValue?.count == 2 && ($0["logprob"]?.doubleValue ?? 1) <= 0 })
            if item.method.name == "greedy" { #expect(entries.allSatisfy { $0["top_logprobs"]?.arrayValue?.first?["token_id"] == $0["token_id"] }) }
        }
        let refused: [(RunManifest, String)] = [
            (manifest([MethodSpec(name: "greedy")], ["logprobs_mode": "processed_logprobs"]), "generation.logprobs_mode: needs `logprobs`"),
            (manifest([MethodSpec(name: "greedy")], ["logprobs": 1, "logprobs_mode": "final"]), "generation.logprobs_mode: expected raw_logprobs or"),
            (manifest([MethodSpec(name: "greedy")], ["logprobs": 21]), "generation.logprobs: must be in 0…20"),
        ]
        for (bad, key) in refused {
            let message = { () -> String in
                do { try ManifestWorker.validate(bad); return "" } catch { return "\(error)" }
            }()
            #expect(message.contains(key), "\(key): \(message)")
        }
    }

    /// A run of a reasoning template records that it splits, so that a run started before the split (whole
    /// outputs) is refused on resume rather than finished with split ones; other models record nothing new.
    @Test func aRunThatSplitsReasoningRecordsItAndARunStartedWholeIsNotResumed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("worker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("{\"prompt\": \"Name a colour.\"}\n".utf8).write(to: folder.appendingPathComponent("data.jsonl"))
        func manifest(_ generation: [String: JSONValue]) -> RunManifest {
            RunManifest(name: "t", models: [ModelSpec(label: "own", path: "shapes-tiny"),
                                            ModelSpec(label: "r1", path: "shapes-tiny", options: ["template": .string("deepseek-r1")])],
                        dataset: DatasetSpec(url: folder.appendingPathComponent("data.jsonl"), kind: .prompts),
                        methods: [MethodSpec(name: "greedy")], seeds: [0], output: folder.appendingPathComponent("run"), generation: generation)
        }
        let split = try ManifestWorker.engine(of: manifest([:]))
        #expect(split["models"]?["r1"]?["reasoning"] == .string("split"))
        #expect(split["models"]?["own"]?["reasoning"] == nil)
        #expect(try ManifestWorker.engine(of: manifest(["reasoning": .string("keep")]))["models"]?["r1"]?["reasoning"] == nil)
        // Without `template:`, the template the family detects from the tokenizer (Qwen3's Hub template).
        let qwen3 = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("LucidTextTests/Fixtures/hub-templates/Qwen-Qwen3-0.6B.jinja"), encoding: .utf8)
        let copy = try TinyModelCopy.make("qwen2-vl", addedTokens: [("<|im_start|>", 141), ("<|im_end|>", 142)], chatTemplate: qwen3)
        defer { try? FileManager.default.removeItem(at: copy) }
        let detected = RunManifest(name: "t", models: [ModelSpec(label: "q", path: copy.path)],
                                   dataset: DatasetSpec(url: folder.appendingPathComponent("data.jsonl"), kind: .prompts),
                                   methods: [MethodSpec(name: "greedy")], seeds: [0], output: folder.appendingPathComponent("run"), generation: [:])
        #expect(try ManifestWorker.engine(of: detected)["models"]?["q"]?["reasoning"] == .string("split"))
        // The settings a run of the same manifest recorded before the split: the same, less the new key.
        guard case .object(var models)? = split["models"], case .object(var r1)? = models["r1"] else { Issue.record("\(split)"); return }
        r1["reasoning"] = nil
        models["r1"] = .object(r1)
        let plan = try RunPlan(manifest: manifest([:]))
        let started = try RunDirectory.prepare(for: plan.recording(engine: .object(["models": .object(models)])))
        #expect(throws: RunError.engineChanged(directory: started.url.path, changes: ["models.r1.reasoning: absent then, \"split\" now"])) {
            try RunDirectory.prepare(for: plan.recording(engine: split))
        }
    }

    /// An attack crafted on an entry with a `template:` targets the prompt as that template renders it: the PNG
    /// is the library attack's with that template, not with the model's own.
    @Test func anAttackOnAnEntryWithATemplateIsCraftedForThatTemplatesPrompt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("worker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let scene = folder.appendingPathComponent("scene.png").path
        try ImageEncoder.writePNG(try FloatImage(tensor: (Tensor.rand([1, 3, 64, 64], generator: Generator(seed: 4)) * 255).round() / 255), to: scene)
        try Data("{\"image\": \"scene.png\", \"image_id\": 1}\n".utf8).write(to: folder.appendingPathComponent("data.jsonl"))
        let attack: JSONValue = .object(["name": .string("pgd"), "target": .string("a b"), "eps": .string("16/255"),
                                         "step_size": .string("16/255"), "steps": .int(1)])
        let manifest = RunManifest(name: "t", models: [ModelSpec(label: "tiny", path: "shapes-tiny",
                                                                 options: ["attack": attack, "template": .string("vicuna")])],
                                   dataset: DatasetSpec(url: folder.appendingPathComponent("data.jsonl"), kind: .captions),
                                   methods: [MethodSpec(name: "greedy")], seeds: [0],
                                   output: folder.appendingPathComponent("run"), generation: ["max_new_tokens": .int(2)])
        try ManifestWorker.validate(manifest)
        let plan = try RunPlan(manifest: manifest)
        let fields = try #require(try ManifestWorker(plan: plan, runDirectory: folder.appendingPathComponent("run")).run(plan.items[0]).objectValue)
        let crafted = try ImageDecoder.decode(path: try #require(fields["adversarial_image"]?.stringValue))
        let opened = try ModelRegistry.standard.open("shapes-tiny")
        let tokenizer = try ModelRegistry.standard.tokenizer(for: "shapes-tiny")
        let library = try #require(try ManifestAttack.of(manifest.models[0]))
        let prompt = "Please describe this image in detail."
        let (vicuna, own) = (folder.appendingPathComponent("vicuna.png").path, folder.appendingPathComponent("own.png").path)
        try library.adversarialImage(at: vicuna, clean: scene, prompt: prompt, model: opened, tokenizer: tokenizer, template: .vicuna)
        try library.adversarialImage(at: own, clean: scene, prompt: prompt, model: opened, tokenizer: tokenizer)
        #expect(crafted == (try ImageDecoder.decode(path: vicuna)))
        #expect(crafted != (try ImageDecoder.decode(path: own)), "the template changes what the attack optimises")
    }

    /// A model named by a Hugging Face id that is neither a path nor in the hub cache is refused before
    /// any item runs, with where Lucid looked and how to fetch it.
    @Test func aHubIdMissingFromTheCacheIsRefusedWithHowToFetchIt() throws {
        let manifest = try RunManifest.parse("""
            name: hub
            models: [no-such-org/no-such-model]
            dataset: {path: d.jsonl, kind: captions}
            methods: [greedy]
            """, file: "m.yaml", baseDirectory: URL(fileURLWithPath: "/tmp"))
        let message = try #require({ () -> String? in
            do { try ManifestWorker.validate(manifest); return nil } catch { return "\(error)" }
        }())
        #expect(message.contains("models[0]: no-such-org/no-such-model: no such file or directory, and "), "\(message)")
        #expect(message.contains("(no models--no-such-org--no-such-model folder)") && message.contains("huggingface-cli download"))
    }
}
