import LucidDefense
import LucidModels
import LucidTraining
import LucidWorld

/// How a Q-MLLM defence is trained on a base organism (`shapes-smol-q` on `shapes-smol-hazard`):
/// Q-MLLM stage 1 (projector and both codebooks; vision tower and language model frozen), optionally
/// stage 2 (`stage2`: a LoRA on the language model over quantised inputs), safety-map calibration,
/// held-out evaluation.
///
/// Loss (methods.md §4.3, unverified against the paper): L_gen + λ₁·(L_vq^patch + L_vq^semantic)
/// + λ₂·L_sem with λ₁ = 0.5, λ₂ = 0.1. L_sem is Lucid's reading of "semantic alignment": 1 − cos
/// between the straight-through semantic code of an image and the mean input embedding of its
/// caption, so that codes gather images whose captions mean the same (hazards included).
///
/// `variant` (stored as `defense.variant`) chooses the released model or the paper's description:
/// `.paper` quantises the projected tokens (L2), reads the semantic code from the projected [CLS]
/// embedding (L2), and aligns it with the language model's last-layer caption representation
/// (`QMLLMTrainer+Paper.swift`). Recipes and records without the key are the released variant.
public struct QMLLMRecipe: Codable, Sendable, Equatable {
    public var name = "shapes-smol-q"
    /// The organism the defence is built on (its vision tower, language model and LoRA stay frozen).
    public var base = "shapes-smol"
    public var seed: UInt64 = 23
    public var defense = QMLLMDefense.Configuration()
    /// Training pool: the base organism's world seed, with hazard scenes mixed in.
    public var trainingWorldSeed: UInt64 = 1000
    public var trainingScenes = 6000
    public var hazardProbability = 0.25
    public var schedule = TrainingSchedule(steps: 300, batchSize: 8, learningRate: 1e-3, warmupSteps: 30, weightDecay: 0,
                                           checkpointEvery: 25)
    /// Description, caption, questions.
    public var taskMix = [0.4, 0.3, 0.3]
    public var vqWeight = 0.5
    public var semanticWeight = 0.1
    /// Codes unused in a batch are restarted from that batch's inputs every this many steps (0: never).
    public var restartEvery = 25
    /// Calibration images (labelled by their hazard, if any) and the map's threshold τ.
    public var calibrationSeed: UInt64 = 7000
    public var calibrationScenes = 400
    public var calibrationHazardProbability = 0.5
    public var threshold = 0.6
    /// Held-out evaluation scenes.
    public var evaluationSeed: UInt64 = 9001
    public var evaluationScenes = 200
    public var evaluationHazardProbability = 0.5
    /// Stage 2 (LoRA on the language model over quantised inputs), or nil to stop after stage 1.
    /// The bundled `shapes-smol-q` was trained without it (docs/defense.md); `lucid defend qmllm
    /// train --stage2` adds `QMLLMStage2Recipe()`, and `lucid defend qmllm stage2` runs it on a
    /// trained Q-MLLM directory.
    public var stage2: QMLLMStage2Recipe?
    /// How stage 1 starts (released variant); nil is `.fresh`, as the release trains (`released`).
    /// Not written when nil, so earlier records read unchanged.
    public var start: QMLLMStart?
    /// How the safety map is built after training; nil is the released gate (`QMLLMGateRecipe()`:
    /// the mean reading over the five categories), as `released` calibrates.
    public var gate: QMLLMGateRecipe?

    public init() {}

    /// Q-MLLM stage 1 as released, on `shapes-smol` (the bundled `shapes-smol-q` up to session 16):
    /// cosine patch codes (8 × 512) before a re-initialised projector, 300 steps, the released gate.
    public static let released = QMLLMRecipe()

    /// The bundled `shapes-smol-q`, the best variant measured (docs/defense.md): on `shapes-smol-hazard`
    /// (a tower that has seen hazards), UniTok's patch geometry (24 × 4,096) with L2 codes fitted by
    /// k-means to the base tower's chunks, the base projector kept and no stage-1 step
    /// (`start: base`), and the class-fitted token gate (`QMLLMGateRecipe.classFittedTokens`).
    public static let shapesSmolQ: QMLLMRecipe = {
        var recipe = QMLLMRecipe()
        recipe.base = "shapes-smol-hazard"
        recipe.defense.patchGroups = 24
        recipe.defense.patchCodes = 4096
        recipe.defense.patchDistance = .l2
        recipe.start = .base
        recipe.schedule = recipe.schedule.withSteps(0)
        recipe.gate = .classFittedTokens
        return recipe
    }()

    /// The recipes `lucid defend qmllm train --recipe` knows, by name.
    public static let named: [(name: String, recipe: QMLLMRecipe)] = [("shapes-smol-q", shapesSmolQ), ("released", released)]

    /// The Q-MLLM variant trained (the defence configuration's `variant`, so that `qmllm.json` records it too).
    public var variant: QMLLMDefense.Variant {
        get { defense.variant }
        set { defense.variant = newValue }
    }

    /// Every stage's steps and scene counts scaled by `factor` (smoke runs and tests).
    public func scaled(by factor: Double) -> QMLLMRecipe {
        guard factor != 1 else { return self }
        var copy = self
        copy.trainingScenes = Swift.max(64, Int(Double(trainingScenes) * factor))
        copy.schedule = schedule.steps == 0 ? schedule : schedule.scaled(by: factor)
        copy.calibrationScenes = Swift.max(16, Int(Double(calibrationScenes) * factor))
        copy.evaluationScenes = Swift.max(8, Int(Double(evaluationScenes) * factor))
        if let stage2 { copy.stage2?.schedule = stage2.schedule.scaled(by: factor) }
        if let fitScenes = gate?.fitScenes { copy.gate?.fitScenes = Swift.max(64, Int(Double(fitScenes) * factor)) }
        return copy
    }

    /// The world of the training pool.
    public var trainingWorld: ShapesWorldConfig {
        ShapesWorldConfig(seed: trainingWorldSeed, count: trainingScenes, hazardProbability: hazardProbability)
    }
}

/// How Q-MLLM's stage 1 starts its patch codebooks and projector (`QMLLMRecipe.start`).
public enum QMLLMStart: String, Codable, Sendable, CaseIterable {
    /// As the release trains: patch codes from sampled training chunks, a re-initialised projector,
    /// dead patch codes restarted during training.
    case fresh
    /// Lucid's deviation for defending a model that is already trained (docs/defense.md): patch codes
    /// fitted by k-means (in the quantiser's distance) to the base tower's chunks of the training
    /// scenes, the base organism's trained projector kept, no patch-code restarts (they would undo
    /// the fit). Meant with L2 patch codes (`patch_distance: l2`), whose quantised tokens keep their
    /// chunks' norms and so stay close to what the kept projector was trained on.
    case base
}

extension QMLLMRecipe {
    /// snake_case keys (docs/json.md); files with the camelCase keys of before read through `JSONDecoder.records()`.
    enum CodingKeys: String, CodingKey {
        case name, base, seed, defense
        case trainingWorldSeed = "training_world_seed", trainingScenes = "training_scenes", hazardProbability = "hazard_probability", schedule
        case taskMix = "task_mix", vqWeight = "vq_weight", semanticWeight = "semantic_weight", restartEvery = "restart_every"
        case calibrationSeed = "calibration_seed", calibrationScenes = "calibration_scenes", calibrationHazardProbability = "calibration_hazard_probability", threshold
        case evaluationSeed = "evaluation_seed", evaluationScenes = "evaluation_scenes", evaluationHazardProbability = "evaluation_hazard_probability"
        case stage2, start, gate
    }
}
