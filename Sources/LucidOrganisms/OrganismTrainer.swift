import Foundation
import LucidModels
import LucidNN
import LucidRuns
import LucidSupport
import LucidTensor
import LucidText
import LucidTraining
import LucidWorld

/// Trains an organism from its recipe: scene pool → vision pre-training → (alignment) →
/// instruction tuning, each stage checkpointed and resumable under `workDirectory`.
public final class OrganismTrainer {
    public let recipe: OrganismRecipe
    public let workDirectory: URL
    let log: (String) -> Void

    public init(recipe: OrganismRecipe, workDirectory: URL, log: @escaping (String) -> Void) {
        self.recipe = recipe
        self.workDirectory = workDirectory
        self.log = log
    }

    /// What training produced.
    public struct Output {
        public var model: LlavaForConditionalGeneration
        public var writer: ConversationWriter
        public var tokenizerJSON: Data?
        public var stages: [StageSummary]
        public var dataHash: String
        public var curves: [(name: String, losses: [Double])]
    }

    /// The training pool of the recipe.
    public func trainingPool() throws -> ScenePool {
        let world = ShapesWorldConfig(seed: recipe.trainingWorldSeed, count: recipe.trainingScenes,
                                      hazardProbability: recipe.hazardProbability ?? 0, text: recipe.textOptions ?? SceneTextOptions())
        log("rendering \(recipe.trainingScenes) training scenes (world seed \(recipe.trainingWorldSeed))")
        return try ScenePool(world: world, imageSize: recipe.vision.imageSize) { done, total in
            if done % 2048 < 512 || done == total { self.log("scenes \(done)/\(total)") }
        }
    }

    public func train() throws -> Output {
        let pool = try trainingPool()
        var stages: [StageSummary] = []
        var curves: [(name: String, losses: [Double])] = []
        let tower = try trainVision(pool: pool, stages: &stages, curves: &curves)
        let (model, writer, tokenizerJSON) = try buildModel(tower: tower, pool: pool)
        let whitening = try featureWhitening(model: model, pool: pool)
        if recipe.alignSchedule.steps > 0 {
            model.projector.setTrainable(true)
            let summary = try runLanguageStage("align", model: model, writer: writer, pool: pool, whitening: whitening, schedule: recipe.alignSchedule,
                                               mix: [0, 1, 0], parameters: model.projector.trainableParameters().map { ("multi_modal_projector." + $0.name, $0.parameter) })
            stages.append(summary)
            curves.append(("align", LossCurvePlot.losses(csv: stageDirectory("align").appendingPathComponent("loss.csv"))))
        }
        if recipe.loraRank > 0 { attachLoRA(model.languageModel) }
        let trainable = model.namedParameters().filter { $0.parameter.value.requiresGrad }
        log("instruct: \(trainable.count) trainable tensors, \(trainable.reduce(0) { $0 + $1.parameter.value.count }) parameters")
        let summary = try runLanguageStage("instruct", model: model, writer: writer, pool: pool, whitening: whitening,
                                           schedule: recipe.instructSchedule,
                                           mix: recipe.taskMix, parameters: trainable)
        stages.append(summary)
        if let whitening {
            whitening.fold(into: model.projector)
            log("instruct: feature whitening folded into multi_modal_projector.linear_1")
        }
        curves.append(("instruct", LossCurvePlot.losses(csv: stageDirectory("instruct").appendingPathComponent("loss.csv"))))
        return Output(model: model, writer: writer, tokenizerJSON: tokenizerJSON, stages: stages, dataHash: pool.dataHash, curves: curves)
    }

    func stageDirectory(_ stage: String) -> URL { workDirectory.appendingPathComponent(stage) }

    /// Vision pre-training; the stage directory is keyed by its inputs so recipes sharing the same
    /// vision stage (shapes-tiny and shapes-smol) train it once.
    func trainVision(pool: ScenePool, stages: inout [StageSummary], curves: inout [(name: String, losses: [Double])]) throws -> CLIPVisionModel {
        let tower = try CLIPVisionModel(recipe.vision)
        let seed = recipe.trainingWorldSeed &+ 101
        tower.initializeForTraining(std: 0.02, generator: Generator(seed: seed))
        tower.setTrainable(true)
        let stage = VisionPretraining(tower: tower, pool: pool, seed: seed, generator: Generator(seed: seed &+ 1))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let key = SHA256.hex(String(decoding: try encoder.encode(recipe.vision), as: UTF8.self)
            + String(decoding: try JSONEncoder.camelCaseKeys().encode(recipe.visionSchedule), as: UTF8.self) + pool.dataHash + "\(seed)")
        let directory = workDirectory.deletingLastPathComponent().appendingPathComponent("vision-" + key.prefix(12))
        let parameters = tower.trainableParameters().map { ("tower." + $0.name, $0.parameter) }
            + stage.heads.trainableParameters().map { ("heads." + $0.name, $0.parameter) }
        let loop = TrainingLoop(stage: "vision", directory: directory, parameters: parameters, schedule: recipe.visionSchedule, identity: key, log: log)
        let summary = try loop.run { step in stage.loss(indices: stage.batch(step: step, batchSize: recipe.visionSchedule.batchSize)) }
        let heldOut = Array(0..<Swift.min(pool.count, 512))
        log("vision: cell accuracy \(String(format: "%.4f", stage.cellAccuracy(indices: heldOut))) on \(heldOut.count) training scenes")
        tower.setTrainable(false)
        stages.append(summary)
        curves.append(("vision", LossCurvePlot.losses(csv: directory.appendingPathComponent("loss.csv"))))
        return tower
    }

    /// The LLaVA model around the pre-trained tower, with its tokenizer and conversation writer.
    func buildModel(tower: CLIPVisionModel, pool: ScenePool) throws -> (LlavaForConditionalGeneration, ConversationWriter, Data?) {
        let generator = Generator(seed: recipe.seed)
        let model: LlavaForConditionalGeneration
        let tokenizer: Tokenizer
        var tokenizerJSON: Data?
        switch recipe.languageModel {
        case .fromScratch:
            let json = try trainTokenizer(pool: pool)
            tokenizerJSON = json
            let directory = workDirectory.appendingPathComponent("tokenizer")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try json.write(to: directory.appendingPathComponent("tokenizer.json"), options: .atomic)
            tokenizer = try Tokenizer.load(modelPath: directory.path)
            guard let image = tokenizer.id(for: "<image>"), let end = tokenizer.id(for: "<|im_end|>") else {
                throw TrainingError("the trained tokenizer lacks <image> or <|im_end|>")
            }
            let text = LlamaConfig(vocabSize: tokenizer.vocabularySize, hiddenSize: recipe.textHidden, intermediateSize: recipe.textIntermediate,
                                   numHiddenLayers: recipe.textLayers, numAttentionHeads: recipe.textHeads, rmsNormEps: 1e-5,
                                   maxPositionEmbeddings: 512, tieWordEmbeddings: true, eosTokenIDs: [end])
            model = try LlavaForConditionalGeneration(LlavaConfig(visionConfig: recipe.vision, textConfig: text, imageTokenIndex: image,
                                                                  visionFeatureLayer: -1))
            model.languageModel.initializeForTraining(std: 0.02, generator: generator)
            model.languageModel.setTrainable(true)
        case .frozenSmolLM2:
            let path = ModelLocations.smolLM2
            guard FileManager.default.fileExists(atPath: path) else {
                throw TrainingError("SmolLM2 is not installed at \(path): run scripts/setup.sh")
            }
            let language = try LlamaForCausalLM.load(path: path)
            language.setTrainable(false)
            tokenizer = try OrganismDirectory.smolTokenizer(gguf: path, imageTokenIndex: language.config.vocabSize)
            model = try LlavaForConditionalGeneration(LlavaConfig(visionConfig: recipe.vision, textConfig: language.config,
                                                                  imageTokenIndex: language.config.vocabSize, visionFeatureLayer: -1),
                                                      languageModel: language)
        }
        try copyParameters(from: tower, to: model.visionTower)
        model.visionTower.setTrainable(false)
        model.projector.initializeForTraining(std: 0.02, generator: generator)
        model.projector.setTrainable(true)
        guard let end = tokenizer.id(for: "<|im_end|>") else { throw TrainingError("the tokenizer has no <|im_end|>") }
        return (model, ConversationWriter(tokenizer: tokenizer, template: .chatml, endOfTurn: end), tokenizerJSON)
    }

    func copyParameters(from source: any Module, to target: any Module) throws {
        let values = source.stateDictionary()
        try withNoGrad { () throws(TrainingError) in
            for (name, parameter) in target.namedParameters() {
                guard let value = values[name], value.shape == parameter.shape else { throw TrainingError("vision tower parameter '\(name)' does not match") }
                parameter.value = value.detached().clone()
            }
        }
    }

    /// A byte-level BPE tokenizer trained on the pool's text and the prompts.
    func trainTokenizer(pool: ScenePool) throws -> Data {
        var corpus: [String] = ConversationWriter.describePrompts + ConversationWriter.captionPrompts
        for text in pool.texts.prefix(4000) {
            corpus.append(text.description)
            corpus.append(text.caption)
            for question in text.questions { corpus.append(question.question + " " + ConversationWriter.answer(question)) }
        }
        log("training a \(recipe.tokenizerVocabulary)-token BPE tokenizer on \(corpus.count) texts")
        return try BPETrainer(vocabularySize: recipe.tokenizerVocabulary,
                              specialTokens: ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>"]).train(corpus)
    }

    func attachLoRA(_ language: LlamaForCausalLM) {
        PEFTLoRAAdapter.attachTrainable(to: language, targets: recipe.loraTargets, rank: recipe.loraRank, alpha: recipe.loraAlpha,
                                        generator: Generator(seed: recipe.seed &+ 17))
    }

    /// The recipe's vision-feature whitening, estimated once from the first 2,048 training scenes
    /// and kept in the work directory so that a resumed run uses the same matrix.
    func featureWhitening(model: LlavaForConditionalGeneration, pool: ScenePool) throws -> VisionFeatureWhitening? {
        guard let shrinkage = recipe.featureWhitening else { return nil }
        let url = workDirectory.appendingPathComponent("whitening.safetensors")
        if FileManager.default.fileExists(atPath: url.path) {
            let saved = try VisionFeatureWhitening.load(from: url)
            guard saved.matrix.shape == [recipe.vision.hiddenSize, recipe.vision.hiddenSize] else {
                throw TrainingError("\(url.path) does not match the recipe's vision width; delete it or the work directory")
            }
            return saved
        }
        log("estimating vision-feature whitening (shrinkage \(shrinkage))")
        let whitening = try VisionFeatureWhitening.estimate(model: model, pool: pool, scenes: 2048, shrinkage: shrinkage)
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        try whitening.save(to: url)
        return whitening
    }

    func runLanguageStage(_ name: String, model: LlavaForConditionalGeneration, writer: ConversationWriter, pool: ScenePool,
                          whitening: VisionFeatureWhitening?, schedule: TrainingSchedule, mix: [Double], parameters: [(name: String, parameter: Parameter)]) throws -> StageSummary {
        let loss = LlavaTrainingLoss(model: model, freezeVision: true, weighting: recipe.answerWeighting ?? .conversation,
                                     whitening: whitening)
        let loop = TrainingLoop(stage: name, directory: stageDirectory(name), parameters: parameters, schedule: schedule,
                                identity: try recipe.trainingIdentity(dataHash: pool.dataHash), log: log)
        let alignment = try recipe.cellWordAlignment.map { try CellWordAlignment(tokenizer: writer.tokenizer, weight: $0) }
        let stream: UInt64 = name == "align" ? 2 : 3
        let tasks = ConversationWriter.Task.allCases
        let total = mix.reduce(0, +)
        return try loop.run { step in
            var random = SplitMix64.stream(seed: recipe.seed, step: step, stream: stream)
            var indices: [Int] = []
            var conversations: [TrainingConversation] = []
            for _ in 0..<schedule.batchSize {
                let index = random.below(pool.count)
                var draw = random.unit() * total
                var task = tasks[0]
                for (candidate, weight) in zip(tasks, mix) {
                    if draw < weight { task = candidate; break }
                    draw -= weight
                }
                indices.append(index)
                conversations.append(try writer.example(pool.texts[index], task: task, random: &random))
            }
            guard let alignment else { return try loss(conversations, pixels: pool.pixels(indices)) }
            let selected = withNoGrad { model.selectedVisionFeatures(pool.pixels(indices)) }
            let features = model.project(whitening.map { $0(selected) } ?? selected)
            var outcome = try loss(conversations, imageFeatures: features)
            if let auxiliary = try alignment.loss(features: features, scenes: indices.map { pool.scenes[$0] },
                                                  embedding: model.languageModel.model.embedTokens.weight.value) {
                outcome.metrics["cells"] = auxiliary.item() / alignment.weight
                outcome.loss = outcome.loss + auxiliary
            }
            return outcome
        }
    }
}
