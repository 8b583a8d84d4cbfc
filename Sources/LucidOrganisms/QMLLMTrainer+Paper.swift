import Foundation
import LucidDefense
import LucidModels
import LucidNN
import LucidSupport
import LucidTensor
import LucidText
import LucidTraining

/// Stage 1 of the Q-MLLM paper variant (`QMLLMRecipe.variant == .paper`), beside the released one.
///
/// What differs from the released stage 1 (docs/defense.md): the patch quantiser sits after the
/// projector and picks codes by L2 distance on raw (unnormalised) chunks of the projected tokens; the
/// semantic code is the nearest (L2) code to the vision tower's [CLS] embedding passed through the
/// same projector; L_sem = 1 − cos(semantic code, mean over caption tokens of the language model's
/// last-layer (final-normed) hidden state of the caption alone). Losses, weights, schedule, batches,
/// dead-code restarts and the closing codebook fit (L2 k-means here) are the released stage's.
extension QMLLMTrainer {
    func trainPaperStage1(model: LlavaForConditionalGeneration, defense: QMLLMDefense, tokenizer: Tokenizer, pool: ScenePool,
                          writer: ConversationWriter) throws -> StageSummary {
        let generator = Generator(seed: recipe.seed &+ 1)
        model.projector.initializeForTraining(std: 0.02, generator: generator)
        try seedProjectedPatchCodebooks(defense, model: model, pool: pool, generator: generator)
        // Its own checkpoint directory: the paper's patch codebooks have another width than the released ones.
        let (loss, loop) = try stage1Loop("qmllm-paper", model: model, defense: defense)
        let sampler = QMLLMBatchSampler(recipe: recipe, pool: pool, writer: writer)
        var captionStates: [Int: Tensor] = [:]
        let summary = try loop.run { step in
            let (indices, conversations) = try sampler.batch(step: step, batchSize: recipe.schedule.batchSize, stream: 5)
            if recipe.restartEvery > 0, step % recipe.restartEvery == 0 {
                try restartDeadPaperCodes(defense, model: model, pool: pool, step: step)
            }
            let pixels = pool.pixels(indices)
            let (selected, classEmbedding) = try withNoGrad { () throws -> (Tensor, Tensor) in
                (model.selectedVisionFeatures(pixels), try model.visionClassEmbedding(pixels))
            }
            let patches = defense.patch.quantize(model.projector(selected), gradient: .straightThrough)
            let generative = try loss(conversations, imageFeatures: patches.quantized)
            let semantic = defense.semantic.quantize(model.projector(classEmbedding), gradient: .straightThrough)
            let captions = withNoGrad {
                Tensor.cat(indices.map { index in
                    if let known = captionStates[index] { return known }
                    let state = captionRepresentation(pool.texts[index].caption, model: model, tokenizer: tokenizer)
                    captionStates[index] = state
                    return state
                }, axis: 0)
            }
            return stage1Outcome(generative: generative, patches: patches, semantic: semantic, captions: captions)
        }
        try fitPaperSemanticCodebook(defense, model: model, pool: pool)
        return summary
    }

    /// The language model's last-layer (final-normed) hidden state of a caption alone (no template),
    /// mean over its tokens, [1, D_text]: what the paper's L_sem aligns the semantic code with.
    func captionRepresentation(_ caption: String, model: LlavaForConditionalGeneration, tokenizer: Tokenizer) -> Tensor {
        let ids = tokenizer.encode(caption, addSpecialTokens: false)
        let embeddings = model.embed(Tensor(ids.isEmpty ? [0] : ids, shape: [1, Swift.max(1, ids.count)]))
        return model.languageModel.hiddenStates(embeddings: embeddings).mean(axis: 1)
    }

    /// Each patch codebook starts from distinct chunks of projected training tokens (the freshly
    /// initialised projector's), random scenes and patches, with a little noise.
    func seedProjectedPatchCodebooks(_ defense: QMLLMDefense, model: LlavaForConditionalGeneration, pool: ScenePool, generator: Generator) throws {
        let scenes = Swift.min(pool.count, Swift.max(64, defense.patch.codebooks[0].count))
        withNoGrad {
            let flat = model.projector(model.selectedVisionFeatures(pool.pixels(Array(0..<scenes)))).reshaped([-1, defense.patch.dimension])
            for (g, codebook) in defense.patch.codebooks.items.enumerated() {
                let picks = Tensor.randint(0, flat.size(0), [codebook.count], generator: generator)
                let chunks = defense.patch.chunk(flat, group: g).indexSelect(axis: 0, index: picks)
                codebook.codebook.value = chunks + Tensor.randn(chunks.shape, generator: generator) * 1e-3
            }
        }
    }

    /// Restarts codes that no image of the released stage's fixed-size sample uses: patch codes from
    /// its projected tokens, semantic codes from its projected [CLS] embeddings.
    func restartDeadPaperCodes(_ defense: QMLLMDefense, model: LlavaForConditionalGeneration, pool: ScenePool, step: Int) throws {
        var random = SplitMix64.stream(seed: recipe.seed, step: step, stream: 6)
        let sample = (0..<Swift.min(pool.count, 256)).map { _ in random.below(pool.count) }
        let generator = Generator(seed: recipe.seed &+ UInt64(step) &* 7919)
        let (patchRestarts, semanticRestarts) = try withNoGrad { () throws -> (Int, Int) in
            let pixels = pool.pixels(sample)
            let flat = model.projector(model.selectedVisionFeatures(pixels)).reshaped([-1, defense.patch.dimension])
            let patches = restartPatchCodes(defense, tokens: flat, assignments: defense.patch.quantize(flat, gradient: .blocked), generator: generator)
            let classes = model.projector(try model.visionClassEmbedding(pixels))
            let semantic = defense.semantic.restartDeadCodes(classes, indices: defense.semantic.nearest(classes), generator: generator).count
            defense.semantic.codebook.value.requiresGrad = true
            return (patches, semantic)
        }
        log("qmllm-paper \(step): restarted \(patchRestarts) patch and \(semanticRestarts) semantic codes unused by \(sample.count) scenes")
    }

    /// Re-fits the semantic codebook to the trained projector, as the released stage does, with L2
    /// k-means (k-means++ start, 25 Lloyd iterations, seeded) on the projected [CLS] embeddings of up to
    /// 2,048 training scenes.
    func fitPaperSemanticCodebook(_ defense: QMLLMDefense, model: LlavaForConditionalGeneration, pool: ScenePool) throws {
        let count = Swift.min(pool.count, 2048)
        var rows: [Tensor] = []
        try withNoGrad { () throws in
            var start = 0
            while start < count {
                let indices = Array(start..<Swift.min(count, start + 64))
                rows.append(try defense.projectedClassEmbedding(model, pixels: pool.pixels(indices)))
                start += 64
            }
        }
        let points = Tensor.cat(rows, axis: 0).to(.f64)
        let centroids = SphericalKMeans.fit(points, k: defense.semantic.count, iterations: 25, seed: recipe.seed &+ 99, distance: .l2)
        withNoGrad { defense.semantic.codebook.value = centroids.to(.f32) }
        let used = Set(defense.semantic.nearest(points.to(.f32))).count
        log("semantic codebook fitted to \(count) scenes ([CLS], L2): \(used) of \(defense.semantic.count) codes used")
    }
}
