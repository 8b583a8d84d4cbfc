
/// Optimiser and schedule settings of one training stage.
public struct TrainingSchedule: Codable, Sendable, Equatable {
    public var steps: Int
    public var batchSize: Int
    public var learningRate: Double
    public var warmupSteps: Int
    /// The cosine schedule ends at `learningRate × minimumRatio`.
    public var minimumRatio: Double
    public var weightDecay: Double
    /// Global gradient-norm clip (PyTorch's `clip_grad_norm_`); 0 turns it off.
    public var clipNorm: Double
    /// Steps between checkpoints (a kill loses at most this many steps).
    public var checkpointEvery: Int

    public init(steps: Int, batchSize: Int, learningRate: Double, warmupSteps: Int, minimumRatio: Double = 0.1,
                weightDecay: Double = 0.01, clipNorm: Double = 1.0, checkpointEvery: Int = 100) {
        self.steps = steps
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.warmupSteps = warmupSteps
        self.minimumRatio = minimumRatio
        self.weightDecay = weightDecay
        self.clipNorm = clipNorm
        self.checkpointEvery = checkpointEvery
    }

    /// The same schedule over `steps` steps: warm-up at most a tenth of them, a checkpoint at least at the end.
    public func withSteps(_ steps: Int) -> TrainingSchedule {
        var copy = self
        copy.steps = steps
        copy.warmupSteps = Swift.min(warmupSteps, steps / 10)
        copy.checkpointEvery = Swift.max(1, Swift.min(checkpointEvery, steps))
        return copy
    }

    /// Steps scaled by `factor` (at least 1; warm-up and checkpoints scale along).
    public func scaled(by factor: Double) -> TrainingSchedule {
        var copy = self
        copy.steps = Swift.max(1, Int((Double(steps) * factor).rounded()))
        copy.warmupSteps = Swift.min(copy.steps - 1, Swift.max(0, Int((Double(warmupSteps) * factor).rounded())))
        copy.checkpointEvery = Swift.max(1, Swift.min(checkpointEvery, copy.steps))
        return copy
    }
}

extension TrainingSchedule {
    /// snake_case keys (docs/json.md); files with the camelCase keys of before read through `JSONDecoder.records()`.
    enum CodingKeys: String, CodingKey {
        case steps, batchSize = "batch_size", learningRate = "learning_rate", warmupSteps = "warmup_steps"
        case minimumRatio = "minimum_ratio", weightDecay = "weight_decay", clipNorm = "clip_norm", checkpointEvery = "checkpoint_every"
    }
}
