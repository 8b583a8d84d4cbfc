import Foundation
import LucidNN
import LucidTensor

/// What a stage's step function returns: the loss to minimise and numbers worth logging.
public struct StepOutcome {
    public var loss: Tensor
    public var metrics: [String: Double]
    public init(loss: Tensor, metrics: [String: Double] = [:]) {
        self.loss = loss
        self.metrics = metrics
    }
}

/// The summary of a finished stage.
public struct StageSummary: Codable, Sendable, Equatable {
    public var stage: String
    public var steps: Int
    public var seconds: Double
    public var firstLoss: Double
    public var finalLoss: Double
    public var resumedFrom: Int?
    /// libtorch intra-op thread counts the stage ran with, in order (more than one when it was resumed
    /// with another count: then no single-count run reproduces its weights bit for bit). Nil in
    /// records written before Lucid kept it.
    public var threads: [Int]?
}

/// Runs one training stage: AdamW with warm-up + cosine, gradient clipping, a checkpoint every
/// few steps (parameters and optimiser state, written atomically), resume from the last
/// checkpoint, progress lines, and the loss curve as `loss.csv`.
///
/// Determinism: the step function must derive its batch from the step number alone (see
/// `SplitMix64.stream`), so an interrupted and resumed stage trains on exactly the same batches.
///
/// Float sums depend on how libtorch splits work among its threads, so bit-identical weights also
/// need the same intra-op thread count: checkpoints record the counts a stage ran with, a resume with
/// another count says so, and `StageSummary.threads` keeps the history.
///
/// `identity` names the run (`TrainingIdentity`: a digest of the recipe and data the stage trains
/// on). Checkpoints carry it, and a checkpoint of another identity is refused, not resumed: the same
/// `--work` given to a run with other flags would otherwise continue the first run's parameters under
/// the second's schedule. Checkpoints written without one (before Lucid recorded it) resume as before.
public final class TrainingLoop {
    public let stage: String
    public let directory: URL
    public let schedule: TrainingSchedule
    public let identity: String?
    let parameters: [(name: String, parameter: Parameter)]
    let log: (String) -> Void
    /// Intra-op thread counts of this run so far (the checkpoint's history plus this process's count).
    var threadHistory: [Int] = []
    /// This process's libtorch intra-op thread count (a stored value so tests can stand in another).
    var intraOpThreads = Torch.threads

    public init(stage: String, directory: URL, parameters: [(name: String, parameter: Parameter)],
                schedule: TrainingSchedule, identity: String? = nil, log: @escaping (String) -> Void) {
        self.stage = stage
        self.directory = directory
        self.parameters = parameters
        self.schedule = schedule
        self.identity = identity
        self.log = log
    }

    var checkpointURL: URL { directory.appendingPathComponent("checkpoint.safetensors") }
    var curveURL: URL { directory.appendingPathComponent("loss.csv") }

    /// Trains from the last checkpoint (or the start) to `schedule.steps`. With 0 steps nothing is
    /// updated or written: step 0's loss is measured once, without a gradient (first = final loss).
    public func run(_ step: (Int) throws -> StepOutcome) throws -> StageSummary {
        if schedule.steps == 0 {
            let began = Date()
            let loss = try withNoGrad { try step(0).loss.item() }
            guard loss.isFinite else { throw TrainingError("\(stage): the loss is \(loss) at the start") }
            log("\(stage): 0 steps; loss at the start \(String(format: "%.4f", loss))")
            return StageSummary(stage: stage, steps: 0, seconds: Date().timeIntervalSince(began), firstLoss: loss, finalLoss: loss,
                                resumedFrom: nil, threads: [intraOpThreads])
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let optimizer = AdamW(parameters, learningRate: schedule.learningRate, weightDecay: schedule.weightDecay)
        let cosine = WarmupCosineSchedule(warmupSteps: schedule.warmupSteps, totalSteps: schedule.steps,
                                          minimumRatio: schedule.minimumRatio)
        var start = 0
        var resumedFrom: Int?
        threadHistory = [intraOpThreads]
        if FileManager.default.fileExists(atPath: checkpointURL.path) {
            let restored = try restore(optimizer)
            start = restored.step
            resumedFrom = start
            log("\(stage): resuming at step \(start) of \(schedule.steps)")
            if let saved = restored.threads, let last = saved.last {
                threadHistory = saved
                if last != intraOpThreads {
                    threadHistory.append(intraOpThreads)
                    log("\(stage): warning: its checkpoint was written with \(last) intra-op threads, this run has \(intraOpThreads): "
                        + "the weights will not be bit-identical to a run at one count (LUCID_THREADS=\(last) resumes it exactly)")
                }
            }
        }
        var curve = try LossCurveFile(url: curveURL, keepingStepsBelow: start)
        let began = Date()
        var window: [Double] = []
        var firstLoss = curve.firstLoss ?? .nan
        var lastLoss = curve.lastLoss ?? .nan
        var index = start
        while index < schedule.steps {
            let rate = schedule.learningRate * cosine.multiplier(at: index)
            optimizer.learningRate = rate
            optimizer.zeroGradients()
            let outcome = try step(index)
            let loss = outcome.loss.item()
            guard loss.isFinite else {
                throw TrainingError("\(stage): the loss became \(loss) at step \(index); the last checkpoint is step \(start)")
            }
            outcome.loss.backward()
            let norm = schedule.clipNorm > 0 ? Training.clipGradientNorm(parameters, maxNorm: schedule.clipNorm) : 0
            optimizer.update()
            if firstLoss.isNaN { firstLoss = loss }
            lastLoss = loss
            window.append(loss)
            try curve.append(step: index, loss: loss, learningRate: rate, gradientNorm: norm, metrics: outcome.metrics)
            index += 1
            if index % schedule.checkpointEvery == 0 || index == schedule.steps {
                try save(optimizer, step: index)
                start = index
            }
            if index % 10 == 0 || index == schedule.steps {
                let elapsed = Date().timeIntervalSince(began)
                let done = index - (resumedFrom ?? 0)
                let eta = done > 0 ? elapsed / Double(done) * Double(schedule.steps - index) : 0
                let mean = window.reduce(0, +) / Double(Swift.max(1, window.count))
                let extra = outcome.metrics.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.3f", $0.value))" }
                log("\(stage) \(index)/\(schedule.steps) loss \(String(format: "%.4f", mean)) lr \(String(format: "%.2e", rate)) "
                    + extra.joined(separator: " ") + " · \(Int(elapsed))s, eta \(Int(eta))s")
                window.removeAll()
            }
        }
        return StageSummary(stage: stage, steps: schedule.steps, seconds: Date().timeIntervalSince(began),
                            firstLoss: firstLoss, finalLoss: lastLoss, resumedFrom: resumedFrom, threads: threadHistory)
    }

    func save(_ optimizer: AdamW, step: Int) throws {
        var items: [SafetensorsWriter.Item] = []
        for (name, parameter) in parameters { items.append(try .init(name: "param." + name, tensor: parameter.value)) }
        let state = optimizer.stateDictionary()
        for (name, tensor) in state.tensors.sorted(by: { $0.key < $1.key }) { items.append(try .init(name: "optim." + name, tensor: tensor)) }
        var metadata = ["step": String(step), "optimizer_step": String(state.step), "stage": stage,
                        "threads": threadHistory.map(String.init).joined(separator: ",")]
        if let identity { metadata["identity"] = identity }
        try SafetensorsWriter.write(items, metadata: metadata, to: checkpointURL.path)
    }

    /// Restores parameters and optimiser state; returns the checkpoint's step and its thread history
    /// (nil when it has none).
    func restore(_ optimizer: AdamW) throws -> (step: Int, threads: [Int]?) {
        let file = try SafetensorsFile(path: checkpointURL.path)
        guard let stepText = file.metadata["step"], let step = Int(stepText),
              let optimizerStep = file.metadata["optimizer_step"].flatMap(Int.init) else {
            throw TrainingError("\(checkpointURL.path): not a Lucid training checkpoint (no step in its metadata)")
        }
        if let identity, let saved = file.metadata["identity"], saved != identity {
            throw TrainingError("\(directory.path) holds step \(step) of another \(stage) run (recipe or data differ: run \(saved.prefix(12)), "
                                + "this one \(identity.prefix(12))); give this run another --work, or delete that folder to train the stage anew")
        }
        withNoGrad {
            for (name, parameter) in parameters {
                if let saved = try? file.loadTensor(named: "param." + name), saved.shape == parameter.shape {
                    parameter.value.copy(from: saved.to(parameter.value.dtype))
                }
            }
        }
        for (name, parameter) in parameters where file.entry(named: "param." + name)?.shape != parameter.shape {
            throw TrainingError("\(checkpointURL.path): parameter '\(name)' is missing or has another shape (\(parameter.shape)); was the recipe changed?")
        }
        var state: [String: Tensor] = [:]
        for name in file.names where name.hasPrefix("optim.") {
            state[String(name.dropFirst("optim.".count))] = try file.loadTensor(named: name)
        }
        try optimizer.load(tensors: state, step: optimizerStep)
        let threads = file.metadata["threads"].map { $0.split(separator: ",").compactMap { Int($0) } }
        return (step, threads)
    }
}

/// A training stage that cannot go on.
public struct TrainingError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension StageSummary {
    /// snake_case keys (docs/json.md); files with the camelCase keys of before read through `JSONDecoder.records()`.
    enum CodingKeys: String, CodingKey {
        case stage, steps, seconds, firstLoss = "first_loss"
        case finalLoss = "final_loss", resumedFrom = "resumed_from", threads
    }
}
