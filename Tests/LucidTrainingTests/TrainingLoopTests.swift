import Foundation
import Testing
@testable import LucidNN
@testable import LucidTensor
@testable import LucidTraining

@Suite("training loop")
struct TrainingLoopTests {
    /// A linear regression whose batch is a pure function of the step, as the recipes' are.
    final class Problem {
        let layer: Linear
        init() {
            layer = Linear(inFeatures: 4, outFeatures: 2, generator: Generator(seed: 1))
            layer.setTrainable(true)
        }
        func step(_ index: Int) -> StepOutcome {
            let x = Tensor.randn([8, 4], generator: Generator(seed: UInt64(100 + index)))
            let target = x.matmul(Tensor([[1, -1], [2, 0], [0, 3], [1, 1]] as [[Float]]))
            let loss = (layer(x) - target).square().mean()
            return StepOutcome(loss: loss, metrics: ["mse": loss.item()])
        }
    }

    func directory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("lucid-loop-\(UUID().uuidString)")
    }

    let schedule = TrainingSchedule(steps: 12, batchSize: 8, learningRate: 0.05, warmupSteps: 2, checkpointEvery: 4)

    @Test func lossGoesDownAndTheCurveHasOneRowPerStep() throws {
        let problem = Problem()
        let url = directory()
        let long = TrainingSchedule(steps: 60, batchSize: 8, learningRate: 0.1, warmupSteps: 5, checkpointEvery: 20)
        _ = try TrainingLoop(stage: "fit", directory: url, parameters: problem.layer.trainableParameters(), schedule: long,
                             log: { _ in }).run(problem.step)
        let rows = try String(contentsOf: url.appendingPathComponent("loss.csv"), encoding: .utf8).split(separator: "\n")
        #expect(rows.first == "step,loss,lr,grad_norm,mse")
        #expect(rows.count == 61)
        let losses = rows.dropFirst().compactMap { $0.split(separator: ",").dropFirst().first.flatMap { Double($0) } }
        let first = losses.prefix(5).reduce(0, +) / 5
        let last = losses.suffix(5).reduce(0, +) / 5
        #expect(last < first / 10, "first \(first), last \(last)")
    }

    /// A stage stopped after a checkpoint and started again ends bit-identical to one that ran through.
    @Test func resumedRunEqualsUninterruptedRun() throws {
        let straight = Problem()
        let straightURL = directory()
        _ = try TrainingLoop(stage: "fit", directory: straightURL, parameters: straight.layer.trainableParameters(), schedule: schedule,
                             log: { _ in }).run(straight.step)

        let interrupted = Problem()
        let url = directory()
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            _ = try TrainingLoop(stage: "fit", directory: url, parameters: interrupted.layer.trainableParameters(), schedule: schedule,
                                 log: { _ in }).run { step in
                if step == 6 { throw Stop() }  // killed mid-way; the last checkpoint is step 4
                return interrupted.step(step)
            }
        }
        let resumed = Problem()  // a fresh process: new parameters, state comes from the checkpoint
        var lines: [String] = []
        let summary = try TrainingLoop(stage: "fit", directory: url, parameters: resumed.layer.trainableParameters(), schedule: schedule,
                                       log: { lines.append($0) }).run(resumed.step)
        #expect(summary.resumedFrom == 4)
        #expect(lines.first?.contains("resuming at step 4") == true)
        #expect(resumed.layer.weight.value.maxAbsDifference(straight.layer.weight.value) == 0)
        let a = try String(contentsOf: straightURL.appendingPathComponent("loss.csv"), encoding: .utf8)
        let b = try String(contentsOf: url.appendingPathComponent("loss.csv"), encoding: .utf8)
        #expect(a == b)
    }

    @Test func zeroStepsMeasuresTheStartWithoutUpdatingOrWriting() throws {
        let problem = Problem()
        let url = directory()
        let before = problem.layer.weight.value.clone()
        var calls: [(step: Int, gradient: Bool)] = []
        let zero = TrainingSchedule(steps: 0, batchSize: 8, learningRate: 0.1, warmupSteps: 0, checkpointEvery: 1)
        let summary = try TrainingLoop(stage: "start", directory: url, parameters: problem.layer.trainableParameters(), schedule: zero,
                                       log: { _ in }).run { index in
            calls.append((index, Torch.isGradEnabled))
            return problem.step(index)
        }
        #expect(calls.map(\.step) == [0] && calls.allSatisfy { !$0.gradient }, "step 0 once, without a gradient")
        #expect(summary.steps == 0 && summary.firstLoss == summary.finalLoss)
        #expect(summary.firstLoss == problem.step(0).loss.item())
        #expect(problem.layer.weight.value.allClose(before, rtol: 0, atol: 0), "nothing is updated")
        #expect(!FileManager.default.fileExists(atPath: url.path), "nothing is written")
    }

    @Test func aCheckpointOfAnotherShapeIsRefused() throws {
        let url = directory()
        let problem = Problem()
        _ = try TrainingLoop(stage: "fit", directory: url, parameters: problem.layer.trainableParameters(), schedule: schedule,
                             log: { _ in }).run(problem.step)
        let other = Linear(inFeatures: 3, outFeatures: 2, generator: Generator(seed: 1))
        other.setTrainable(true)
        #expect(throws: TrainingError.self) {
            _ = try TrainingLoop(stage: "fit", directory: url, parameters: other.trainableParameters(), schedule: schedule, log: { _ in })
                .run { _ in StepOutcome(loss: other.weight.value.sum()) }
        }
    }

    /// Checkpoints carry the run's identity: another run's checkpoint is refused and left in place,
    /// the same run's resumes, and one written without an identity (before Lucid recorded it) resumes.
    /// A run of `identity` killed at step 6 (its last checkpoint is step 4); returns its directory.
    func interruptedRun(identity: String?) -> URL {
        let url = directory()
        struct Stop: Error {}
        let problem = Problem()
        #expect(throws: Stop.self) {
            _ = try TrainingLoop(stage: "fit", directory: url, parameters: problem.layer.trainableParameters(), schedule: schedule,
                                 identity: identity, log: { _ in }).run { step in
                if step == 6 { throw Stop() }
                return problem.step(step)
            }
        }
        return url
    }

    @Test func aCheckpointOfAnotherRunIsRefusedAndKept() throws {
        let url = interruptedRun(identity: "run-a")
        let other = Problem()
        let error = #expect(throws: TrainingError.self) {
            _ = try TrainingLoop(stage: "fit", directory: url, parameters: other.layer.trainableParameters(), schedule: schedule,
                                 identity: "run-b", log: { _ in }).run(other.step)
        }
        #expect(error?.description.contains("another fit run") == true && error?.description.contains(url.path) == true,
                "\(String(describing: error))")
        #expect(FileManager.default.fileExists(atPath: url.appendingPathComponent("checkpoint.safetensors").path))
        let same = Problem()
        let summary = try TrainingLoop(stage: "fit", directory: url, parameters: same.layer.trainableParameters(), schedule: schedule,
                                       identity: "run-a", log: { _ in }).run(same.step)
        #expect(summary.resumedFrom == 4)
    }

    @Test func aCheckpointWithoutAnIdentityResumesUnderOne() throws {
        let url = interruptedRun(identity: nil)
        let resumed = Problem()
        let summary = try TrainingLoop(stage: "fit", directory: url, parameters: resumed.layer.trainableParameters(), schedule: schedule,
                                       identity: "run-a", log: { _ in }).run(resumed.step)
        #expect(summary.resumedFrom == 4)
    }

    /// Float sums depend on the thread count, so a stage resumed with another count says so and
    /// keeps both counts in its summary; one resumed with the same count keeps one.
    @Test func aResumeWithAnotherThreadCountIsLoggedAndRecorded() throws {
        let url = interruptedRun(identity: "run-a")
        let saved = try SafetensorsFile(path: url.appendingPathComponent("checkpoint.safetensors").path)
        #expect(saved.metadata["threads"] == String(Torch.threads))
        let resumed = Problem()
        let other = Torch.threads + 1
        var lines: [String] = []
        let warned = TrainingLoop(stage: "fit", directory: url, parameters: resumed.layer.trainableParameters(), schedule: schedule,
                                  identity: "run-a", log: { lines.append($0) })
        warned.intraOpThreads = other
        let summary = try warned.run(resumed.step)
        #expect(summary.threads == [Torch.threads, other])
        #expect(lines.contains { $0.contains("warning") && $0.contains("LUCID_THREADS=\(Torch.threads)") }, "\(lines)")
        let final = try SafetensorsFile(path: url.appendingPathComponent("checkpoint.safetensors").path)
        #expect(final.metadata["threads"] == "\(Torch.threads),\(other)")

        let same = interruptedRun(identity: "run-a")
        var quiet: [String] = []
        let sameProblem = Problem()
        let again = try TrainingLoop(stage: "fit", directory: same, parameters: sameProblem.layer.trainableParameters(), schedule: schedule,
                                     identity: "run-a", log: { quiet.append($0) }).run(sameProblem.step)
        #expect(again.threads == [Torch.threads])
        #expect(!quiet.contains { $0.contains("warning") }, "\(quiet)")
    }

    @Test func nonFiniteLossStopsWithTheLastCheckpointNamed() throws {
        let problem = Problem()
        #expect(throws: TrainingError.self) {
            _ = try TrainingLoop(stage: "fit", directory: directory(), parameters: problem.layer.trainableParameters(), schedule: schedule,
                                 log: { _ in }).run { step in
                step == 5 ? StepOutcome(loss: problem.layer.weight.value.sum() / 0) : problem.step(step)
            }
        }
    }
}
