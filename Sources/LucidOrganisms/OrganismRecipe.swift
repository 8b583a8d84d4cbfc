import LucidModels
import LucidTraining
import LucidWorld

/// How one of Lucid's model organisms is trained: data, architecture, stages and seed.
///
/// Recipes are values: `lucid train NAME` runs the named one, `--scale` shrinks every stage (for
/// tests and smoke runs), and the recipe is recorded next to the weights it produced.
public struct OrganismRecipe: Codable, Sendable, Equatable {
    /// How the language side is built.
    public enum LanguageModel: String, Codable, Sendable {
        /// A small Llama trained from scratch with a BPE tokenizer trained on the corpus.
        case fromScratch = "from-scratch"
        /// SmolLM2-135M-Instruct from set-up, frozen; a LoRA is trained in the instruction stage.
        case frozenSmolLM2 = "frozen-smollm2"
    }

    /// The bundled model an organism directory names for its frozen language side (`smollm2`), nil when
    /// the language model is trained from scratch and saved with the organism (`OrganismDirectory.save`).
    public var languageModelReference: String? { languageModel == .frozenSmolLM2 ? "smollm2" : nil }

    public var name: String
    public var summary: String
    public var seed: UInt64
    /// World seed and scene count of the training pool (evaluation uses `evaluationSeed`).
    public var trainingWorldSeed: UInt64
    public var trainingScenes: Int
    public var evaluationSeed: UInt64
    public var evaluationScenes: Int
    public var vision: CLIPVisionConfig
    public var visionSchedule: TrainingSchedule
    public var languageModel: LanguageModel
    /// From-scratch language model (ignored for SmolLM2).
    public var textHidden: Int
    public var textLayers: Int
    public var textHeads: Int
    public var textIntermediate: Int
    public var tokenizerVocabulary: Int
    /// Projector-only alignment on captions (frozen SmolLM2 only; 0 steps skips it).
    public var alignSchedule: TrainingSchedule
    /// Instruction tuning on descriptions, captions and QA.
    public var instructSchedule: TrainingSchedule
    /// Task mix of the instruction stage: description, caption, questions.
    public var taskMix: [Double]
    /// LoRA on SmolLM2 in the instruction stage (rank 0: none).
    public var loraRank: Int
    public var loraAlpha: Double
    public var loraTargets: [String]
    /// Longest description the evaluation generates, in tokens.
    public var maxDescriptionTokens: Int
    /// How answer tokens are weighted in the language stages (nil: per conversation, as `shapes-smol` was trained).
    public var answerWeighting: AnswerWeighting?
    /// Train the projector on whitened vision features with this shrinkage (× the mean eigenvalue),
    /// folded into the projector afterwards; nil: raw features (see `VisionFeatureWhitening`).
    public var featureWhitening: Double?
    /// Weight of `CellWordAlignment` in the language stages (from-scratch models; nil: off).
    public var cellWordAlignment: Double?
    /// Text options of the training world (nil: ShapesWorld's defaults, as the first runs used).
    public var textOptions: SceneTextOptions?
    /// Probability that a training scene holds one hazard (skull, bomb, gun, syringe), so the vision
    /// tower learns them as CLIP has seen such images; nil: none, as the bundled organisms were trained
    /// (docs/defense.md: a tower that never saw hazards leaves Q-MLLM's gate little to read).
    public var hazardProbability: Double?

    /// The recipes Lucid ships.
    public static let all: [OrganismRecipe] = [.shapesTiny, .shapesSmol, .shapesSmolHazard]

    public static func named(_ name: String) -> OrganismRecipe? { all.first { $0.name == name } }

    static let shapesVision = CLIPVisionConfig(hiddenSize: 192, intermediateSize: 768, numHiddenLayers: 4, numAttentionHeads: 6,
                                               imageSize: 96, patchSize: 32)
    static let shapesVisionSchedule = TrainingSchedule(steps: 700, batchSize: 64, learningRate: 1e-3, warmupSteps: 50,
                                                       weightDecay: 0.05, checkpointEvery: 100)

    /// A tiny LLaVA trained from scratch: ShapesWorld ViT (9 patch tokens), 2-layer projector,
    /// 4-layer Llama with a 1024-token BPE vocabulary.
    public static let shapesTiny = OrganismRecipe(
        name: "shapes-tiny",
        summary: "tiny LLaVA from scratch on ShapesWorld: ViT 4×192 (96 px, 32 px patches) + projector + Llama 4×192, BPE 1024",
        seed: 7, trainingWorldSeed: 1000, trainingScenes: 12000, evaluationSeed: 9001, evaluationScenes: 200,
        vision: shapesVision, visionSchedule: shapesVisionSchedule, languageModel: .fromScratch,
        textHidden: 192, textLayers: 4, textHeads: 6, textIntermediate: 512, tokenizerVocabulary: 1024,
        alignSchedule: TrainingSchedule(steps: 0, batchSize: 16, learningRate: 1e-3, warmupSteps: 0),
        instructSchedule: TrainingSchedule(steps: 3000, batchSize: 16, learningRate: 2e-3, warmupSteps: 100, weightDecay: 0.05,
                                           checkpointEvery: 200),
        taskMix: [0.5, 0.1, 0.4], loraRank: 0, loraAlpha: 0, loraTargets: [], maxDescriptionTokens: 120, answerWeighting: .token,
        featureWhitening: 0.5, cellWordAlignment: 0.5)

    /// The ShapesWorld ViT + projector on frozen SmolLM2-135M-Instruct (LLaVA recipe: projector
    /// alignment on captions, then instruction tuning of the projector and a LoRA).
    public static let shapesSmol = OrganismRecipe(
        name: "shapes-smol",
        summary: "ShapesWorld ViT 4×192 + projector on frozen SmolLM2-135M-Instruct (+ LoRA r8 in stage 2)",
        seed: 11, trainingWorldSeed: 1000, trainingScenes: 12000, evaluationSeed: 9001, evaluationScenes: 200,
        vision: shapesVision, visionSchedule: shapesVisionSchedule, languageModel: .frozenSmolLM2,
        textHidden: 0, textLayers: 0, textHeads: 0, textIntermediate: 0, tokenizerVocabulary: 0,
        alignSchedule: TrainingSchedule(steps: 150, batchSize: 8, learningRate: 2e-3, warmupSteps: 15, weightDecay: 0,
                                        checkpointEvery: 25),
        instructSchedule: TrainingSchedule(steps: 450, batchSize: 8, learningRate: 1e-3, warmupSteps: 30, weightDecay: 0,
                                           checkpointEvery: 25),
        taskMix: [0.5, 0.1, 0.4], loraRank: 8, loraAlpha: 16,
        loraTargets: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], maxDescriptionTokens: 120,
        textOptions: SceneTextOptions(tailPartnerPreference: 1, tailOtherAbsentProbability: 0.25))

    /// `shapes-smol` on a training world with one hazard (skull, bomb, gun, syringe) in a quarter of the
    /// scenes, so that its vision tower learns them: the base of the bundled `shapes-smol-q`, whose gate
    /// has nothing to read on a tower that never saw a hazard (docs/defense.md). Everything else is
    /// `shapes-smol`'s (the name is not an input of training).
    public static let shapesSmolHazard: OrganismRecipe = {
        var recipe = shapesSmol
        recipe.name = "shapes-smol-hazard"
        recipe.summary = shapesSmol.summary + "; a hazard in a quarter of the training scenes"
        recipe.hazardProbability = 0.25
        return recipe
    }()

    /// This recipe with every stage's steps and the training pool scaled by `factor` (≤ 1 for
    /// smoke runs; evaluation scenes scale too, at least 8).
    public func scaled(by factor: Double) -> OrganismRecipe {
        guard factor != 1 else { return self }
        var copy = self
        copy.trainingScenes = Swift.max(64, Int(Double(trainingScenes) * factor))
        copy.evaluationScenes = Swift.max(8, Int(Double(evaluationScenes) * factor))
        copy.visionSchedule = visionSchedule.scaled(by: factor)
        copy.alignSchedule = alignSchedule.steps == 0 ? alignSchedule : alignSchedule.scaled(by: factor)
        copy.instructSchedule = instructSchedule.scaled(by: factor)
        return copy
    }
}

extension OrganismRecipe {
    /// snake_case keys (docs/json.md); files with the camelCase keys of before read through `JSONDecoder.records()`.
    enum CodingKeys: String, CodingKey {
        case name, summary, seed, trainingWorldSeed = "training_world_seed"
        case trainingScenes = "training_scenes", evaluationSeed = "evaluation_seed", evaluationScenes = "evaluation_scenes", vision
        case visionSchedule = "vision_schedule", languageModel = "language_model", textHidden = "text_hidden", textLayers = "text_layers"
        case textHeads = "text_heads", textIntermediate = "text_intermediate", tokenizerVocabulary = "tokenizer_vocabulary", alignSchedule = "align_schedule"
        case instructSchedule = "instruct_schedule", taskMix = "task_mix", loraRank = "lora_rank", loraAlpha = "lora_alpha"
        case loraTargets = "lora_targets", maxDescriptionTokens = "max_description_tokens", answerWeighting = "answer_weighting", featureWhitening = "feature_whitening"
        case cellWordAlignment = "cell_word_alignment", textOptions = "text_options", hazardProbability = "hazard_probability"
    }
}
