import Foundation
import LucidDefense
import LucidModels
import LucidNN
import LucidSupport
import LucidTensor
import LucidText
import LucidTraining
import LucidWorld

/// Trains Q-MLLM on a bundled organism: stage 1, then stage 2 when the recipe has one (`QMLLMStage2`).
///
/// The base model's vision tower and language model (with its LoRA merged) are frozen; the
/// projector is re-initialised and trained on quantised patches together with both codebooks.
/// Patch codebooks start from unit chunks of training features, the semantic codebook from its
/// U(−1/K, 1/K) initialisation; codes unused in a batch are restarted from that batch. With
/// `recipe.start == .base` the patch codebooks start from k-means of the tower's chunks and the
/// base projector is kept (and trained on from there). This file
/// trains the released variant; the paper's stage 1 is in `QMLLMTrainer+Paper.swift`.
public struct QMLLMTrainer {
    public let recipe: QMLLMRecipe
    /// The base organism directory (e.g. Models/shapes-smol).
    public let baseDirectory: String
    public let workDirectory: URL
    public let log: (String) -> Void

    public init(recipe: QMLLMRecipe, baseDirectory: String, workDirectory: URL, log: @escaping (String) -> Void) {
        self.recipe = recipe
        self.baseDirectory = baseDirectory
        self.workDirectory = workDirectory
        self.log = log
    }

    public struct Output {
        public var model: LlavaForConditionalGeneration
        public var defense: QMLLMDefense
        public var tokenizer: Tokenizer
        public var summary: StageSummary
        /// Stage 2 (LoRA on quantised inputs), when the recipe has one.
        public var stage2: StageSummary?
        public var dataHash: String
    }

    /// Loads the base organism with a fresh (untrained) defence installed.
    public func prepare() throws -> (LlavaForConditionalGeneration, QMLLMDefense, Tokenizer) {
        let model = try OrganismLoader.load(directory: baseDirectory)
        model.setTrainable(false)
        let tokenizer = try OrganismLoader.tokenizer(directory: baseDirectory)
        let defense = try QMLLMDefense(configuration: recipe.defense, visionWidth: model.config.visionConfig.hiddenSize,
                                       textWidth: model.config.textConfig.hiddenSize, generator: Generator(seed: recipe.seed))
        try defense.install(on: model)
        return (model, defense, tokenizer)
    }

    public func train() throws -> Output {
        if recipe.variant == .paper, let start = recipe.start, start != .fresh {
            throw TrainingError("the Q-MLLM paper variant trains its projector and L2 codes from scratch; start '\(start.rawValue)' is for the released variant")
        }
        let (model, defense, tokenizer) = try prepare()
        guard let end = tokenizer.id(for: "<|im_end|>") else { throw TrainingError("the base tokenizer has no <|im_end|>") }
        let writer = ConversationWriter(tokenizer: tokenizer, template: .chatml, endOfTurn: end)
        log("rendering \(recipe.trainingScenes) training scenes (world seed \(recipe.trainingWorldSeed), hazards \(recipe.hazardProbability))")
        let pool = try ScenePool(world: recipe.trainingWorld, imageSize: model.config.visionConfig.imageSize)
        let summary: StageSummary
        switch recipe.variant {
        case .released: summary = try trainReleasedStage1(model: model, defense: defense, tokenizer: tokenizer, pool: pool, writer: writer)
        case .paper: summary = try trainPaperStage1(model: model, defense: defense, tokenizer: tokenizer, pool: pool, writer: writer)
        }
        var stage2Summary: StageSummary?
        if let stage2 = recipe.stage2 {
            stage2Summary = try QMLLMStage2(recipe: recipe, stage2: stage2, workDirectory: workDirectory, log: log)
                .train(model: model, defense: defense, pool: pool, writer: writer)
        }
        return Output(model: model, defense: defense, tokenizer: tokenizer, summary: summary, stage2: stage2Summary, dataHash: pool.dataHash)
    }

    /// The released stage 1: cosine patch codes before the projector, the semantic code of the mean
    /// projected token, L_sem against the caption's mean input embedding; then the semantic codebook
    /// fitted to the trained projector.
    func trainReleasedStage1(model: LlavaForConditionalGeneration, defense: QMLLMDefense, tokenizer: Tokenizer, pool: ScenePool,
                             writer: ConversationWriter) throws -> StageSummary {
        let generator = Generator(seed: recipe.seed &+ 1)
        let start = recipe.start ?? .fresh
        switch start {
        case .fresh:
            try seedPatchCodebooks(defense, model: model, pool: pool, generator: generator)
            model.projector.initializeForTraining(std: 0.02, generator: generator)
        case .base:
            try fitPatchCodebooks(defense, model: model, pool: pool)
        }
        let (loss, loop) = try stage1Loop("qmllm", model: model, defense: defense)
        let sampler = QMLLMBatchSampler(recipe: recipe, pool: pool, writer: writer)
        let summary = try loop.run { step in
            let (indices, conversations) = try sampler.batch(step: step, batchSize: recipe.schedule.batchSize, stream: 5)
            if recipe.restartEvery > 0, step % recipe.restartEvery == 0 {
                restartDeadCodes(defense, model: model, pool: pool, step: step, patches: start == .fresh)
            }
            let selected = withNoGrad { model.selectedVisionFeatures(pool.pixels(indices)) }
            let patches = defense.patch.quantize(selected, gradient: .straightThrough)
            let features = model.projector(patches.quantized)
            let generative = try loss(conversations, imageFeatures: features)
            let semantic = defense.semantic.quantize(features.mean(axis: 1), gradient: .straightThrough)
            let captions = withNoGrad { captionEmbeddings(indices.map { pool.texts[$0].caption }, model: model, tokenizer: tokenizer) }
            return stage1Outcome(generative: generative, patches: patches, semantic: semantic, captions: captions)
        }
        try fitSemanticCodebook(defense, model: model, pool: pool)
        return summary
    }

    /// Re-fits the semantic codebook to the trained projector: spherical k-means (k-means++ start,
    /// 25 Lloyd iterations, seeded) on the mean projected tokens of up to 2,048 training scenes.
    ///
    /// During stage 1 the pooled features move with the projector faster than the codes follow
    /// (in the first run every scene ended on one code). The semantic code never reaches the
    /// language model (only the gate reads it), so fitting it to the final features changes
    /// nothing else. Lucid's choice; the release does not say how its codebook was trained.
    func fitSemanticCodebook(_ defense: QMLLMDefense, model: LlavaForConditionalGeneration, pool: ScenePool) throws {
        let count = Swift.min(pool.count, 2048)
        var pooled: [Tensor] = []
        withNoGrad {
            var start = 0
            while start < count {
                let indices = Array(start..<Swift.min(count, start + 64))
                pooled.append(model.imageFeatures(pool.pixels(indices)).mean(axis: 1))
                start += 64
            }
        }
        let points = VectorQuantizer.unitRows(Tensor.cat(pooled, axis: 0).to(.f64))
        let centroids = SphericalKMeans.fit(points, k: defense.semantic.count, iterations: 25, seed: recipe.seed &+ 99)
        withNoGrad { defense.semantic.codebook.value = centroids.to(.f32) }
        let used = Set(defense.semantic.nearest(points.to(.f32))).count
        log("semantic codebook fitted to \(count) scenes: \(used) of \(defense.semantic.count) codes used")
    }

    /// Each patch codebook starts from distinct unit chunks of training features (random scenes and patches).
    func seedPatchCodebooks(_ defense: QMLLMDefense, model: LlavaForConditionalGeneration, pool: ScenePool, generator: Generator) throws {
        let scenes = Swift.min(pool.count, Swift.max(64, defense.patch.codebooks[0].count))
        let features = withNoGrad { model.selectedVisionFeatures(pool.pixels(Array(0..<scenes))) }
        let flat = features.reshaped([-1, defense.patch.dimension])
        withNoGrad {
            for (g, codebook) in defense.patch.codebooks.items.enumerated() {
                let picks = Tensor.randint(0, flat.size(0), [codebook.count], generator: generator)
                let chunks = flat.narrowed(axis: 1, start: g * defense.patch.chunkWidth, length: defense.patch.chunkWidth).indexSelect(axis: 0, index: picks)
                let jittered = chunks + Tensor.randn(chunks.shape, generator: generator) * 1e-3
                codebook.codebook.value = defense.patch.distance == .cosine ? VectorQuantizer.unitRows(jittered) : jittered
            }
        }
    }

    /// Fits each patch codebook by k-means (random distinct points as the start, 10 Lloyd iterations, seeded; the
    /// quantiser's distance) to that group's chunks of every vision token of the training pool (`QMLLMStart.base`).
    func fitPatchCodebooks(_ defense: QMLLMDefense, model: LlavaForConditionalGeneration, pool: ScenePool) throws {
        var tokens: [Tensor] = []
        withNoGrad {
            var start = 0
            while start < pool.count {
                let indices = Array(start..<Swift.min(pool.count, start + 64))
                tokens.append(model.selectedVisionFeatures(pool.pixels(indices)).reshaped([-1, defense.patch.dimension]).to(.f32))
                start += 64
            }
        }
        let flat = Tensor.cat(tokens, axis: 0)
        guard flat.size(0) >= defense.patch.codebooks[0].count else {
            throw TrainingError("start 'base' fits \(defense.patch.codebooks[0].count) codes per patch codebook to the \(flat.size(0)) vision tokens of \(pool.count) training scenes: it needs at least as many tokens as codes (more training scenes, or fewer --patch-codes)")
        }
        var error = 0.0
        withNoGrad {
            for (g, codebook) in defense.patch.codebooks.items.enumerated() {
                let chunks = defense.patch.chunk(flat, group: g)
                codebook.codebook.value = SphericalKMeans.fit(chunks, k: codebook.count, iterations: 10, seed: recipe.seed &+ 131 &+ UInt64(g),
                                                              distance: defense.patch.distance, start: .sample).to(codebook.codebook.value.dtype)
                codebook.codebook.value.requiresGrad = true
            }
            let sample = flat.narrowed(axis: 0, start: 0, length: Swift.min(flat.size(0), 2048))
            let quantized = defense.patch.quantize(sample, gradient: .blocked).quantized
            error = ((quantized - sample).square().sum() / sample.square().sum()).item()
        }
        log("patch codebooks fitted by k-means to \(flat.size(0)) tokens of \(pool.count) scenes: relative squared error \(String(format: "%.4f", error)) on the first 2,048")
    }

    /// Restarts codes that no image of a fixed-size sample (a function of the step) uses: patch codes
    /// (unless `patches` is false) from that sample's unit chunks, semantic codes from its mean projected tokens.
    func restartDeadCodes(_ defense: QMLLMDefense, model: LlavaForConditionalGeneration, pool: ScenePool, step: Int, patches: Bool = true) {
        var random = SplitMix64.stream(seed: recipe.seed, step: step, stream: 6)
        let sample = (0..<Swift.min(pool.count, 256)).map { _ in random.below(pool.count) }
        let generator = Generator(seed: recipe.seed &+ UInt64(step) &* 7919)
        var patchRestarts = 0
        var semanticRestarts = 0
        withNoGrad {
            let selected = model.selectedVisionFeatures(pool.pixels(sample))
            let flat = selected.reshaped([-1, defense.patch.dimension])
            let assignments = defense.patch.quantize(flat, gradient: .blocked)
            if patches { patchRestarts = restartPatchCodes(defense, tokens: flat, assignments: assignments, generator: generator) }
            let pooled = model.projector(assignments.quantized.reshaped(selected.shape)).mean(axis: 1)
            semanticRestarts = defense.semantic.restartDeadCodes(pooled, indices: defense.semantic.nearest(pooled), generator: generator).count
            defense.semantic.codebook.value.requiresGrad = true
        }
        log("qmllm \(step): restarted \(patchRestarts) patch and \(semanticRestarts) semantic codes unused by \(sample.count) scenes")
    }

    /// Restarts every patch codebook's codes unused by `assignments` of `tokens` [N, D] (from the
    /// chunks as that codebook sees them); returns how many were restarted. No gradient is recorded.
    func restartPatchCodes(_ defense: QMLLMDefense, tokens: Tensor, assignments: MultiCodebookQuantizer.Output, generator: Generator) -> Int {
        var restarted = 0
        for (g, codebook) in defense.patch.codebooks.items.enumerated() {
            restarted += codebook.restartDeadCodes(defense.patch.chunk(tokens, group: g), indices: assignments.indices.map { $0[g] },
                                                   generator: generator).count
            codebook.codebook.value.requiresGrad = true
        }
        return restarted
    }

    /// Stage 1's trainable pieces (projector and both codebooks), loss and loop, checkpointing into `WORK/stage`.
    func stage1Loop(_ stage: String, model: LlavaForConditionalGeneration, defense: QMLLMDefense) throws -> (LlavaTrainingLoss, TrainingLoop) {
        model.projector.setTrainable(true)
        defense.setTrainable(true)
        let parameters = model.projector.trainableParameters().map { ("multi_modal_projector." + $0.name, $0.parameter) }
            + defense.trainableParameters().map { ("qmllm." + $0.name, $0.parameter) }
        let loss = LlavaTrainingLoss(model: model, freezeVision: true, weighting: .conversation)
        let loop = TrainingLoop(stage: stage, directory: workDirectory.appendingPathComponent(stage), parameters: parameters,
                                schedule: recipe.schedule, identity: try recipe.stage1Identity(), log: log)
        return (loss, loop)
    }

    /// Stage 1's objective (both variants): L_gen + λ₁·(patch + semantic VQ losses) + λ₂·L_sem with
    /// L_sem = 1 − cos(semantic code, caption representation); logs the VQ loss, L_sem and the semantic codes in use.
    func stage1Outcome(generative: StepOutcome, patches: MultiCodebookQuantizer.Output, semantic: VectorQuantizer.Output,
                       captions: Tensor) -> StepOutcome {
        let alignment = (1 - cosine(semantic.quantized, captions)).mean()
        let vq = patches.codebookLoss + patches.commitmentLoss + semantic.codebookLoss + semantic.commitmentLoss
        let total = generative.loss + vq * recipe.vqWeight + alignment * recipe.semanticWeight
        var metrics = generative.metrics
        metrics["vq"] = vq.item()
        metrics["sem"] = alignment.item()
        metrics["codes"] = Double(Set(semantic.indices).count)
        return StepOutcome(loss: total, metrics: metrics)
    }

    /// Mean input embedding of each caption [B, D].
    func captionEmbeddings(_ captions: [String], model: LlavaForConditionalGeneration, tokenizer: Tokenizer) -> Tensor {
        Tensor.cat(captions.map { caption in
            let ids = tokenizer.encode(caption, addSpecialTokens: false)
            return model.embed(Tensor(ids.isEmpty ? [0] : ids, shape: [1, Swift.max(1, ids.count)])).mean(axis: 1)
        }, axis: 0)
    }

    func cosine(_ a: Tensor, _ b: Tensor) -> Tensor {
        (a * b).sum(axis: -1) / ((a.square().sum(axis: -1) * b.square().sum(axis: -1)).sqrt() + 1e-8)
    }
}
