import Foundation
import LucidDefense
import LucidModels
import LucidNN
import LucidSupport
import LucidTensor
import LucidTraining
import LucidWorld
import Testing
@testable import LucidOrganisms

/// Q-MLLM stage 2 on the bundled `shapes-smol-q`: a LoRA trained over quantised inputs changes the
/// language model only, is written stacked with the model's own adapter, and leaves the gate as it was.
@Suite("Q-MLLM stage 2", .serialized)
struct QMLLMStage2Tests {
    func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("lucid-stage2-\(name)-\(UUID().uuidString)")
    }

    @Test func stage2OnTheBundledModelStacksItsAdapterAndKeepsTheGate() throws {
        guard smolInstalled else { return }
        let source = ModelLocations.resolve("shapes-smol-q")
        let out = temporary("out")
        let work = temporary("work")
        defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: work) }
        var recipe = QMLLMRecipe.shapesSmolQ.scaled(by: 0.02)
        recipe.trainingScenes = 16
        var stage2 = QMLLMStage2Recipe()
        stage2.schedule = TrainingSchedule(steps: 1, batchSize: 2, learningRate: 5e-3, warmupSteps: 0, weightDecay: 0, checkpointEvery: 1)
        var lines: [String] = []
        let summary = try QMLLMStage2(recipe: recipe, stage2: stage2, workDirectory: work, log: { lines.append($0) })
            .run(directory: source, out: out)
        #expect(summary.steps == 1 && summary.firstLoss.isFinite)
        #expect(lines.contains { $0.hasPrefix("qmllm-stage2: LoRA r8 on 210 layers") }, "\(lines)")

        // One PEFT adapter of rank 8 + 8 whose first ranks are the model's own (scaled by its α/r).
        let own = try PEFTLoRAAdapter(directory: URL(fileURLWithPath: source).appendingPathComponent(OrganismDirectory.adapterDirectory).path)
        let stacked = try PEFTLoRAAdapter(directory: out.appendingPathComponent(OrganismDirectory.adapterDirectory).path)
        #expect(stacked.rank == own.rank + 8 && stacked.scale == 1 && stacked.pairs.count == own.pairs.count)
        let module = try #require(own.pairs.keys.sorted().first)
        let (ownPair, stackedPair) = (try #require(own.pairs[module]), try #require(stacked.pairs[module]))
        #expect(stackedPair.down.narrowed(axis: 0, start: 0, length: own.rank).maxAbsDifference(ownPair.down) == 0)
        #expect(stackedPair.up.narrowed(axis: 1, start: 0, length: own.rank).maxAbsDifference(ownPair.up * own.scale) < 1e-6)
        #expect(stackedPair.up.narrowed(axis: 1, start: own.rank, length: 8).abs().max().item() > 0, "the new LoRA trained (B left zero)")

        // The record says stage 2 ran; the stage-1 report is dropped (it no longer describes the model).
        let record = try JSONDecoder.records().decode(QMLLMRecord.self, from: Data(contentsOf: out.appendingPathComponent(QMLLMDirectory.recordFile)))
        #expect(record.stage2 == summary && record.recipe.stage2 == stage2 && record.report == nil)

        // Vision side, projector, codebooks and safety map unchanged: the gate reads the same codes.
        let (before, defenseBefore) = try QMLLMDirectory.load(directory: source)
        let (after, defenseAfter) = try QMLLMDirectory.load(directory: out.path)
        #expect(defenseAfter.safetyMap == defenseBefore.safetyMap)
        let pool = try ScenePool(world: ShapesWorldConfig(seed: 4242, count: 4, hazardProbability: 0.5), imageSize: after.config.visionConfig.imageSize)
        let pixels = pool.pixels(Array(0..<4))
        #expect(defenseAfter.screen(after, pixels: pixels) == defenseBefore.screen(before, pixels: pixels))
        let features = withNoGrad { (before.imageFeatures(pixels), after.imageFeatures(pixels)) }
        #expect(features.0.maxAbsDifference(features.1) == 0)
        // The language model changed.
        let ids = Tensor([1, 2, 3, 4], shape: [1, 4])
        let logits = withNoGrad { (before.languageModel.forward(tokens: ids, cache: nil, options: ForwardOptions()).logits,
                                   after.languageModel.forward(tokens: ids, cache: nil, options: ForwardOptions()).logits) }
        #expect(try #require(logits.0).maxAbsDifference(try #require(logits.1)) > 1e-4)
    }

    @Test func stage2RefusesToOverwriteTheModelItReads() throws {
        let source = ModelLocations.resolve("shapes-smol-q")
        #expect(throws: TrainingError.self) {
            _ = try QMLLMStage2(recipe: .shapesSmolQ, stage2: QMLLMStage2Recipe(), workDirectory: temporary("w"), log: { _ in })
                .run(directory: source, out: URL(fileURLWithPath: source))
        }
    }

    @Test func aRecordWithoutStage2ReadsAsNone() throws {
        let source = ModelLocations.resolve("shapes-smol-q")
        let record = try JSONDecoder.records().decode(QMLLMRecord.self, from: Data(contentsOf: URL(fileURLWithPath: source)
            .appendingPathComponent(QMLLMDirectory.recordFile)))
        #expect(record.stage2 == nil && record.recipe.stage2 == nil)
    }
}
