import Foundation
import LucidModels
import LucidNN
import LucidSupport
import LucidTensor
import LucidTraining
import LucidWorld

/// Small heads on the vision tower's patch tokens for pre-training without a language model
/// (the cheap stand-in for CLIP pre-training): per cell, the category (or empty), the colour and
/// the size of what is drawn there.
public final class ShapesVisionHeads: Module {
    public let norm: LayerNorm
    public let category: Linear
    public let color: Linear
    public let size: Linear

    public init(hiddenSize: Int) {
        norm = LayerNorm(dimension: hiddenSize)
        category = Linear(inFeatures: hiddenSize, outFeatures: 1 + SceneLabels.categories.count)
        color = Linear(inFeatures: hiddenSize, outFeatures: ShapeColor.allCases.count)
        size = Linear(inFeatures: hiddenSize, outFeatures: ObjectSize.allCases.count)
    }

    public var children: [(name: String, module: any Module)] {
        [("norm", norm), ("category", category), ("color", color), ("size", size)]
    }
}

/// The vision pre-training stage: tower + heads trained on per-cell labels of a scene pool.
public struct VisionPretraining {
    public let tower: CLIPVisionModel
    public let heads: ShapesVisionHeads
    public let pool: ScenePool
    public let seed: UInt64

    public init(tower: CLIPVisionModel, pool: ScenePool, seed: UInt64, generator: Generator) {
        self.tower = tower
        self.pool = pool
        self.seed = seed
        heads = ShapesVisionHeads(hiddenSize: tower.config.hiddenSize)
        heads.initializeForTraining(std: 0.02, generator: generator)
        heads.setTrainable(true)
    }

    /// Patch tokens [B, 9, D] of the tower's last layer for pixels [B, 3, S, S].
    func patchTokens(_ pixels: Tensor) -> Tensor {
        let hidden = tower.forward(pixels, needHiddenState: tower.config.numHiddenLayers, options: ForwardOptions(), trace: ForwardTrace())
        return hidden.narrowed(axis: 1, start: 1, length: hidden.size(1) - 1)
    }

    /// Loss and cell accuracy on scenes `indices`.
    public func loss(indices: [Int]) -> StepOutcome {
        let tokens = heads.norm(patchTokens(pool.pixels(indices)))
        let flat = tokens.reshaped(-1, tokens.size(-1))
        let categories = Tensor(indices.flatMap { pool.labels[$0].category.map(Int64.init) }, shape: [indices.count * 9])
        let colors = Tensor(indices.flatMap { pool.labels[$0].color.map(Int64.init) }, shape: [indices.count * 9])
        let sizes = Tensor(indices.flatMap { pool.labels[$0].size.map(Int64.init) }, shape: [indices.count * 9])
        let categoryLogits = heads.category(flat)
        let loss = Training.crossEntropy(categoryLogits, categories)
            + Training.crossEntropy(heads.color(flat), colors)
            + Training.crossEntropy(heads.size(flat), sizes)
        let accuracy = withNoGrad { categoryLogits.argmax(axis: -1).eq(categories).to(.f32).mean().item() }
        return StepOutcome(loss: loss, metrics: ["cell_acc": accuracy])
    }

    /// The batch of `step`: `batchSize` scenes drawn from the pool by the step's own stream.
    public func batch(step: Int, batchSize: Int) -> [Int] {
        var random = SplitMix64.stream(seed: seed, step: step, stream: 1)
        return (0..<batchSize).map { _ in random.below(pool.count) }
    }

    /// Category accuracy per cell over `indices` (no gradients), for the stage's report.
    public func cellAccuracy(indices: [Int]) -> Double {
        withNoGrad {
            var correct = 0.0
            var start = 0
            while start < indices.count {
                let chunk = Array(indices[start..<Swift.min(indices.count, start + 128)])
                let logits = heads.category(heads.norm(patchTokens(pool.pixels(chunk))))
                let predicted = logits.argmax(axis: -1).reshaped(-1).toArray(Int64.self)
                let truth = chunk.flatMap { pool.labels[$0].category }
                correct += Double(zip(predicted, truth).filter { Int($0.0) == $0.1 }.count)
                start += 128
            }
            return correct / Double(Swift.max(1, indices.count * 9))
        }
    }
}
