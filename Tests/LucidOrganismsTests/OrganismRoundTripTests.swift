import Foundation
import Testing
@testable import LucidModels
@testable import LucidNN
@testable import LucidOrganisms
@testable import LucidTensor
@testable import LucidText
import LucidTraining
@testable import LucidWorld

/// Rounds every floating parameter through f16, as `model.safetensors` stores them.
func roundThroughHalf(_ module: any Module, skipping prefix: String? = nil) {
    withNoGrad {
        for (name, parameter) in module.namedParameters() where prefix.map({ !name.hasPrefix($0) }) ?? true {
            if name.contains(".lora_") { continue }
            parameter.value = parameter.value.to(.f16).to(.f32)
        }
    }
}

func temporaryDirectory(_ label: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("lucid-\(label)-\(UUID().uuidString)")
}

var smolInstalled: Bool {
    let ok = FileManager.default.fileExists(atPath: ModelLocations.smolLM2)
    if !ok { Issue.record("SmolLM2 GGUF missing at \(ModelLocations.smolLM2): run scripts/setup.sh") }
    return ok
}

@Suite("organism recipes and directories", .serialized)
struct OrganismRoundTripTests {
    /// shapes-tiny's recipe at a size that runs in seconds.
    static var microRecipe: OrganismRecipe {
        var recipe = OrganismRecipe.shapesTiny
        recipe.trainingScenes = 64
        recipe.evaluationScenes = 4
        recipe.vision = CLIPVisionConfig(hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 1, numAttentionHeads: 4, imageSize: 96, patchSize: 32)
        recipe.visionSchedule = TrainingSchedule(steps: 3, batchSize: 8, learningRate: 1e-3, warmupSteps: 1, checkpointEvery: 2)
        recipe.textHidden = 32
        recipe.textLayers = 1
        recipe.textHeads = 4
        recipe.textIntermediate = 64
        recipe.tokenizerVocabulary = 300
        recipe.instructSchedule = TrainingSchedule(steps: 3, batchSize: 4, learningRate: 1e-3, warmupSteps: 1, checkpointEvery: 2)
        recipe.maxDescriptionTokens = 8
        return recipe
    }

    @Test func tinyRecipeTrainsSavesAndLoadsBackTheSameModel() throws {
        let work = temporaryDirectory("train")
        let output = try OrganismTrainer(recipe: Self.microRecipe, workDirectory: work.appendingPathComponent("shapes-tiny"), log: { _ in }).train()
        #expect(output.stages.map(\.stage) == ["vision", "instruct"])
        #expect(output.stages.allSatisfy { $0.finalLoss.isFinite })
        let out = work.appendingPathComponent("model")
        let record = OrganismRecord(name: "micro", recipe: Self.microRecipe, scale: 1, dataHash: output.dataHash, stages: output.stages,
                                    trainingSeconds: 1, threads: "1/1", metrics: nil, command: "test")
        try OrganismDirectory.save(output.model, languageModelReference: nil, tokenizerJSON: output.tokenizerJSON, record: record,
                                   lossSVG: nil, to: out)
        let loaded = try OrganismLoader.load(directory: out.path)
        let tokenizer = try OrganismLoader.tokenizer(directory: out.path)
        #expect(ChatTemplate.detect(for: tokenizer) == .chatml)
        #expect(try OrganismRecord.load(directory: out.path).dataHash == output.dataHash)
        roundThroughHalf(output.model)
        let ids = try tokenizer.encode(chat: [.user(ConversationWriter.describePrompt, images: 1)])
        let pixels = Tensor.rand([1, 3, 96, 96], generator: Generator(seed: 2))
        let a = try withNoGrad { try output.model.forward(ids: ids, images: [pixels], cache: nil, options: ForwardOptions()).logits }
        let b = try withNoGrad { try loaded.forward(ids: ids, images: [pixels], cache: nil, options: ForwardOptions()).logits }
        #expect(try #require(a).maxAbsDifference(try #require(b)) < 1e-5)
    }

    /// The same recipe and seed give the same weights: training is deterministic.
    @Test func retrainingFromTheRecipeReproducesTheWeights() throws {
        let first = try OrganismTrainer(recipe: Self.microRecipe, workDirectory: temporaryDirectory("a").appendingPathComponent("t"), log: { _ in }).train()
        let second = try OrganismTrainer(recipe: Self.microRecipe, workDirectory: temporaryDirectory("b").appendingPathComponent("t"), log: { _ in }).train()
        #expect(first.dataHash == second.dataHash)
        let a = first.model.stateDictionary()
        let b = second.model.stateDictionary()
        #expect(a.keys.sorted() == b.keys.sorted())
        for (name, tensor) in a { #expect(tensor.maxAbsDifference(try #require(b[name])) == 0, "\(name)") }
    }

    /// A work folder resumes for the same recipe under another name, and is refused (and kept) for
    /// a recipe that trains differently, instead of continuing the first run under the second's recipe.
    @Test func aWorkFolderOfAnotherRecipeIsRefusedNotResumed() throws {
        let work = temporaryDirectory("identity").appendingPathComponent("t")
        _ = try OrganismTrainer(recipe: Self.microRecipe, workDirectory: work, log: { _ in }).train()
        var renamed = Self.microRecipe
        renamed.name = "renamed"
        renamed.evaluationScenes = 8
        let again = try OrganismTrainer(recipe: renamed, workDirectory: work, log: { _ in }).train()
        #expect(again.stages.first { $0.stage == "instruct" }?.resumedFrom == 3)
        var reseeded = Self.microRecipe
        reseeded.seed += 1
        let error = #expect(throws: TrainingError.self) {
            _ = try OrganismTrainer(recipe: reseeded, workDirectory: work, log: { _ in }).train()
        }
        #expect(error?.description.contains("another instruct run") == true, "\(String(describing: error))")
        #expect(FileManager.default.fileExists(atPath: work.appendingPathComponent("instruct/checkpoint.safetensors").path))
    }

    @Test func smolTokenizerHasOneImageTokenAndNoDefaultSystemPrompt() throws {
        guard smolInstalled else { return }
        let tokenizer = try OrganismDirectory.smolTokenizer(gguf: ModelLocations.smolLM2, imageTokenIndex: 49152)
        #expect(tokenizer.encode("<image>\nhi", addSpecialTokens: false).first == 49152)
        let text = try #require(ChatTemplate.detect(for: tokenizer)).render([.user("hi", images: 1)])
        #expect(text == "<|im_start|>user\n<image>\nhi<|im_end|>\n<|im_start|>assistant\n")
        #expect(throws: TokenizerError.self) {
            _ = try tokenizer.adding([AddedToken(id: 5, content: "<other>", special: true)])
        }
    }

    /// A frozen-SmolLM2 organism stores only the tower, projector and a PEFT adapter, and loads back
    /// (SmolLM2 from set-up, LoRA merged) to the same logits.
    @Test func frozenSmolOrganismRoundTripsThroughPEFTAdapter() throws {
        guard smolInstalled else { return }
        let language = try LlamaForCausalLM.load(path: ModelLocations.smolLM2)
        let vision = CLIPVisionConfig(hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 1, numAttentionHeads: 4, imageSize: 96, patchSize: 32)
        let config = LlavaConfig(visionConfig: vision, textConfig: language.config, imageTokenIndex: 49152, visionFeatureLayer: -1)
        let model = try LlavaForConditionalGeneration(config, languageModel: language)
        model.visionTower.initializeForTraining(std: 0.2, generator: Generator(seed: 4))
        model.projector.initializeForTraining(std: 0.2, generator: Generator(seed: 5))
        var recipe = OrganismRecipe.shapesSmol
        recipe.loraRank = 2
        recipe.loraTargets = ["q_proj", "v_proj"]
        let generator = Generator(seed: 6)
        for (name, module) in language.namedModules() {
            guard let linear = module as? Linear, name.hasSuffix(".q_proj") || name.hasSuffix(".v_proj") else { continue }
            let adapter = LoRAAdapter(inFeatures: linear.inFeatures, outFeatures: linear.outFeatures, rank: 2, alpha: recipe.loraAlpha, generator: generator)
            adapter.up.weight.value = Tensor.randn(adapter.up.weight.shape, generator: generator) * 0.05
            linear.lora = adapter
        }
        let out = temporaryDirectory("smol")
        let record = OrganismRecord(name: "smol-test", recipe: recipe, scale: 1, dataHash: "x", stages: [], trainingSeconds: 0,
                                    threads: "1/1", metrics: nil, command: "test")
        try OrganismDirectory.save(model, languageModelReference: ModelLocations.smolLM2, tokenizerJSON: nil, record: record, lossSVG: nil, to: out)
        let weights = try SafetensorsFile(path: out.appendingPathComponent("model.safetensors").path)
        #expect(weights.names.allSatisfy { !$0.hasPrefix("language_model.") })
        let adapter = try PEFTLoRAAdapter(directory: out.appendingPathComponent(OrganismDirectory.adapterDirectory).path)
        #expect(adapter.pairs.count == 60)
        let loaded = try OrganismLoader.load(directory: out.path)
        let tokenizer = try OrganismLoader.tokenizer(directory: out.path)
        roundThroughHalf(model, skipping: "language_model.")
        let ids = try tokenizer.encode(chat: [.user("What is here?", images: 1)])
        let pixels = Tensor.rand([1, 3, 96, 96], generator: Generator(seed: 7))
        let a = try withNoGrad { try model.forward(ids: ids, images: [pixels], cache: nil, options: ForwardOptions(logits: .last)).logits }
        let b = try withNoGrad { try loaded.forward(ids: ids, images: [pixels], cache: nil, options: ForwardOptions(logits: .last)).logits }
        #expect(try #require(a).maxAbsDifference(try #require(b)) < 2e-4)
    }
}
