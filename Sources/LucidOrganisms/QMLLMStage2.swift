import Foundation
import LucidDefense
import LucidFiles
import LucidModels
import LucidNN
import LucidSupport
import LucidTensor
import LucidTraining

/// Q-MLLM stage 2: a LoRA on the language model trained over quantised image tokens, so that the
/// language model learns to read what the frozen projector makes of codebook vectors.
///
/// The paper's second stage is "LLM-focused fine-tuning" after stage 1 has trained the codebooks
/// and the projector with the encoders frozen (methods.md §4.1). Here the vision tower, the patch
/// quantiser, the projector and the semantic codebook are frozen (so the gate's decisions do not
/// change), and a fresh LoRA (B = 0, so training starts from the stage-1 model exactly) is trained
/// on top of the language model as loaded (with the base organism's LoRA already merged) on the
/// same conversations as stage 1. `QMLLMDirectory.save` writes the base LoRA and this one as one
/// PEFT adapter (`PEFTLoRAAdapter.saveStacked`), or merges it into a language model stored in full.
public struct QMLLMStage2Recipe: Codable, Sendable, Equatable {
    public var schedule: TrainingSchedule
    public var loraRank: Int
    public var loraAlpha: Double
    public var loraTargets: [String]

    public init(schedule: TrainingSchedule = TrainingSchedule(steps: 200, batchSize: 8, learningRate: 5e-4, warmupSteps: 20, weightDecay: 0,
                                                              checkpointEvery: 25),
                loraRank: Int = 8, loraAlpha: Double = 16,
                loraTargets: [String] = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]) {
        self.schedule = schedule
        self.loraRank = loraRank
        self.loraAlpha = loraAlpha
        self.loraTargets = loraTargets
    }

    /// snake_case keys (docs/json.md).
    enum CodingKeys: String, CodingKey {
        case schedule, loraRank = "lora_rank", loraAlpha = "lora_alpha", loraTargets = "lora_targets"
    }
}

/// Runs stage 2 on a model whose Q-MLLM defence is installed (`QMLLMDefense.install(on:)`).
public struct QMLLMStage2 {
    public let recipe: QMLLMRecipe
    public let stage2: QMLLMStage2Recipe
    /// Checkpoints and the loss curve go to `workDirectory/qmllm-stage2` (`qmllm-paper-stage2` for the paper variant).
    public let workDirectory: URL
    public let log: (String) -> Void

    public init(recipe: QMLLMRecipe, stage2: QMLLMStage2Recipe, workDirectory: URL, log: @escaping (String) -> Void) {
        self.recipe = recipe
        self.stage2 = stage2
        self.workDirectory = workDirectory
        self.log = log
    }

    /// Attaches the LoRA to `model.languageModel`, freezes everything else, and trains; a killed
    /// run resumes from its last checkpoint. The adapters stay attached (unmerged) on return.
    /// `modelIdentity` names the Q-MLLM model trained on (its recipe's `stage1Identity()`, the default
    /// being this recipe's), so that its checkpoints are not resumed for another model.
    public func train(model: LlavaForConditionalGeneration, defense: QMLLMDefense, pool: ScenePool, writer: ConversationWriter,
                      modelIdentity: String? = nil) throws -> StageSummary {
        guard stage2.loraRank > 0, stage2.loraAlpha > 0, !stage2.loraTargets.isEmpty else {
            throw TrainingError("Q-MLLM stage 2 needs a positive LoRA rank and alpha and at least one target module")
        }
        model.setTrainable(false)
        defense.setTrainable(false)
        PEFTLoRAAdapter.attachTrainable(to: model.languageModel, targets: stage2.loraTargets, rank: stage2.loraRank, alpha: stage2.loraAlpha,
                                        generator: Generator(seed: recipe.seed &+ 31))
        let parameters = model.languageModel.namedParameters().filter { $0.parameter.value.requiresGrad }
            .map { ("language_model." + $0.name, $0.parameter) }
        guard !parameters.isEmpty else {
            throw TrainingError("Q-MLLM stage 2: no language-model layer matches the LoRA targets \(stage2.loraTargets)")
        }
        log("qmllm-stage2: LoRA r\(stage2.loraRank) on \(parameters.count / 2) layers, \(parameters.reduce(0) { $0 + $1.1.value.count }) parameters; projector and codebooks frozen")
        let loss = LlavaTrainingLoss(model: model, freezeVision: true, weighting: .conversation)
        // The paper variant checkpoints apart, so one --work can hold both variants' runs.
        let stage = defense.variant == .paper ? "qmllm-paper-stage2" : "qmllm-stage2"
        let loop = TrainingLoop(stage: stage, directory: workDirectory.appendingPathComponent(stage), parameters: parameters,
                                schedule: stage2.schedule, identity: try recipe.stage2Identity(stage2, model: modelIdentity ?? recipe.stage1Identity()), log: log)
        let sampler = QMLLMBatchSampler(recipe: recipe, pool: pool, writer: writer)
        return try loop.run { step in
            let (indices, conversations) = try sampler.batch(step: step, batchSize: stage2.schedule.batchSize, stream: 7)
            // The gate's path exactly: frozen tower, quantised patches (no gradient), frozen projector.
            let features = withNoGrad { model.imageFeatures(pool.pixels(indices)) }
            return try loss(conversations, imageFeatures: features)
        }
    }
}

/// Q-MLLM's training batches: scenes drawn from the pool and a task per scene by the recipe's mix,
/// both from a SplitMix stream of (seed, step, stream), so a resumed stage sees the same batches.
struct QMLLMBatchSampler {
    let recipe: QMLLMRecipe
    let pool: ScenePool
    let writer: ConversationWriter

    func batch(step: Int, batchSize: Int, stream: UInt64) throws -> (indices: [Int], conversations: [TrainingConversation]) {
        var random = SplitMix64.stream(seed: recipe.seed, step: step, stream: stream)
        let tasks = ConversationWriter.Task.allCases
        let total = recipe.taskMix.reduce(0, +)
        var indices: [Int] = []
        var conversations: [TrainingConversation] = []
        for _ in 0..<batchSize {
            let index = random.below(pool.count)
            var draw = random.unit() * total
            var task = tasks[0]
            for (candidate, weight) in zip(tasks, recipe.taskMix) {
                if draw < weight { task = candidate; break }
                draw -= weight
            }
            indices.append(index)
            conversations.append(try writer.example(pool.texts[index], task: task, random: &random))
        }
        return (indices, conversations)
    }
}

extension QMLLMStage2 {
    /// Runs stage 2 on a trained Q-MLLM directory (e.g. the bundled `shapes-smol-q`) and writes the
    /// result to `out`: the same vision side, projector, codebooks and safety map, the language
    /// model's adapter stacked with the new LoRA, and the record with `stage2` set (its `report`
    /// is dropped: it was measured before stage 2; `lucid defend qmllm eval` measures again).
    public func run(directory: String, out: URL) throws -> StageSummary {
        let source = URL(fileURLWithPath: directory).standardizedFileURL
        guard source.resolvingSymlinksInPath().path != out.standardizedFileURL.resolvingSymlinksInPath().path else {
            throw TrainingError("stage 2 writes a new directory: the output \(out.path) is the model directory itself")
        }
        var record = try QMLLMDirectory.record(in: source)
        let (model, defense) = try QMLLMDirectory.load(directory: directory)
        let tokenizer = try OrganismLoader.tokenizer(directory: directory)
        guard let end = tokenizer.id(for: "<|im_end|>") else { throw TrainingError("\(directory): the tokenizer has no <|im_end|>") }
        let writer = ConversationWriter(tokenizer: tokenizer, template: .chatml, endOfTurn: end)
        log("rendering \(recipe.trainingScenes) training scenes (world seed \(recipe.trainingWorldSeed), hazards \(recipe.hazardProbability))")
        let pool = try ScenePool(world: recipe.trainingWorld, imageSize: model.config.visionConfig.imageSize)
        let summary = try train(model: model, defense: defense, pool: pool, writer: writer,
                                modelIdentity: try record?.recipe.stage1Identity() ?? source.path)
        record?.recipe.stage2 = stage2
        record?.stage2 = summary
        record?.report = nil
        try QMLLMDirectory.save(model: model, defense: defense, baseDirectory: directory, record: record, to: out)
        return summary
    }
}
