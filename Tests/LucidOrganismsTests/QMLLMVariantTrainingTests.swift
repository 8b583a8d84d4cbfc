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

/// Q-MLLM's two variants trained on `shapes-tiny` at the scale of the CLI tests (`--scale 0.03`).
@Suite("Q-MLLM variants: training", .serialized)
struct QMLLMVariantTrainingTests {
    static func train(_ variant: QMLLMDefense.Variant, work: URL, log: @escaping (String) -> Void = { _ in }) throws -> QMLLMTrainer.Output {
        var recipe = QMLLMRecipe.released.scaled(by: 0.03)
        recipe.variant = variant
        return try QMLLMTrainer(recipe: recipe, baseDirectory: ModelLocations.resolve("shapes-tiny"), workDirectory: work, log: log).train()
    }

    /// The paper variant trains at tiny scale, uses the projected-token hook and L2 codes, and its
    /// directory reloads as the paper variant with the same gate decisions.
    @Test func paperVariantTrainsSavesAndReloads() throws {
        let work = temporaryDirectory("qmllm-paper")
        let out = temporaryDirectory("qmllm-paper-out")
        defer { try? FileManager.default.removeItem(at: work); try? FileManager.default.removeItem(at: out) }
        var lines: [String] = []
        let output = try Self.train(.paper, work: work) { lines.append($0) }
        #expect(output.summary.steps == QMLLMRecipe.released.scaled(by: 0.03).schedule.steps && output.summary.finalLoss.isFinite)
        #expect(lines.contains { $0.hasPrefix("semantic codebook fitted to") && $0.contains("[CLS], L2") }, "\(lines)")
        #expect(FileManager.default.fileExists(atPath: work.appendingPathComponent("qmllm-paper").path), "its own checkpoints")
        let defense = output.defense
        #expect(defense.variant == .paper && defense.patch.distance == .l2 && defense.semantic.distance == .l2)
        #expect(defense.patch.dimension == output.model.hiddenSize)
        #expect(output.model.visionFeatureTransform == nil && output.model.projectedFeatureTransform != nil)
        let scenes = try ScenePool(world: ShapesWorldConfig(seed: 9001, count: 12, hazardProbability: 0.5), imageSize: 96)
        let pixels = scenes.pixels(Array(0..<scenes.count))
        let labels = scenes.scenes.map(QMLLMCalibration.label)
        defense.safetyMap = try QMLLMCalibration.calibrate(defense: defense, model: output.model, pixels: pixels, labels: labels, threshold: 0.6)
        #expect(throws: DefenseError.self) {
            try QMLLMCalibration.calibrate(defense: defense, model: output.model, pixels: pixels, labels: labels, threshold: 0.6, reading: .tokens)
        }
        var recipe = QMLLMRecipe.released.scaled(by: 0.03)
        recipe.variant = .paper
        let record = QMLLMRecord(name: "paper", recipe: recipe, scale: 0.03, dataHash: output.dataHash, stage: output.summary, report: nil,
                                 version: "test")
        try QMLLMDirectory.save(model: output.model, defense: defense, baseDirectory: ModelLocations.resolve("shapes-tiny"), record: record, to: out)
        let recordJSON = try JSONDecoder.records().decode(QMLLMRecord.self, from: Data(contentsOf: out.appendingPathComponent(QMLLMDirectory.recordFile)))
        #expect(recordJSON.recipe.variant == .paper)
        let (loaded, loadedDefense) = try QMLLMDirectory.load(directory: out.path)
        #expect(loadedDefense.variant == .paper && loaded.projectedFeatureTransform != nil && loaded.imageGate != nil)
        #expect(loadedDefense.safetyMap == defense.safetyMap)
        // The reloaded projector is the stored f16 one: the gate reads the same codes as the trained model's f16 round trip.
        roundThroughHalf(output.model.projector)
        #expect(try QMLLMCalibration.codes(defense: loadedDefense, model: loaded, pixels: pixels)
                == QMLLMCalibration.codes(defense: defense, model: output.model, pixels: pixels))
    }

    /// `start: base` with L2 patch codes: the base projector is kept as it was, the patch codebooks
    /// are fitted by k-means (closer to the tower's tokens than codes sampled from them), and 0 steps
    /// train nothing; the recipe and the directory record both choices.
    @Test func baseStartKeepsTheProjectorAndFitsThePatchCodes() throws {
        let work = temporaryDirectory("qmllm-base-start")
        let out = temporaryDirectory("qmllm-base-start-out")
        defer { try? FileManager.default.removeItem(at: work); try? FileManager.default.removeItem(at: out) }
        var recipe = QMLLMRecipe.released.scaled(by: 0.03)
        recipe.start = .base
        recipe.defense.patchDistance = .l2
        recipe.schedule.steps = 0
        let baseDirectory = ModelLocations.resolve("shapes-tiny")
        var lines: [String] = []
        let trainer = QMLLMTrainer(recipe: recipe, baseDirectory: baseDirectory, workDirectory: work) { lines.append($0) }
        let output = try trainer.train()
        #expect(output.summary.steps == 0 && output.summary.finalLoss.isFinite)
        #expect(output.defense.patch.distance == .l2 && output.defense.variant == .released)
        #expect(lines.contains { $0.hasPrefix("patch codebooks fitted by k-means") }, "\(lines)")
        let base = try OrganismLoader.load(directory: baseDirectory)
        let kept = Dictionary(uniqueKeysWithValues: output.model.projector.namedParameters().map { ($0.name, $0.parameter.value) })
        for (name, parameter) in base.projector.namedParameters() {
            #expect(kept[name].map { $0.allClose(parameter.value, rtol: 0, atol: 0) } == true, "projector \(name) kept")
        }
        // k-means codes quantise the training tokens more closely than codes sampled from them.
        let pool = try ScenePool(world: recipe.trainingWorld, imageSize: output.model.config.visionConfig.imageSize)
        let tokens = withNoGrad { output.model.selectedVisionFeatures(pool.pixels(Array(0..<64))).reshaped([-1, output.defense.patch.dimension]) }
        func error(_ defense: QMLLMDefense) -> Double {
            withNoGrad { (defense.patch.quantize(tokens, gradient: .blocked).quantized - tokens).square().sum().item() / tokens.square().sum().item() }
        }
        let (_, sampled, _) = try trainer.prepare()
        try trainer.seedPatchCodebooks(sampled, model: output.model, pool: pool, generator: Generator(seed: 1))
        #expect(error(output.defense) < error(sampled), "k-means \(error(output.defense)) vs sampled \(error(sampled))")
        let record = QMLLMRecord(name: "base-start", recipe: recipe, scale: 0.03, dataHash: output.dataHash, stage: output.summary, report: nil,
                                 version: "test")
        try QMLLMDirectory.save(model: output.model, defense: output.defense, baseDirectory: baseDirectory, record: record, to: out)
        let (_, loaded) = try QMLLMDirectory.load(directory: out.path)
        #expect(loaded.patch.distance == .l2 && loaded.configuration.patchDistance == .l2)
        let written = try JSONDecoder.records().decode(QMLLMRecord.self, from: Data(contentsOf: out.appendingPathComponent(QMLLMDirectory.recordFile)))
        #expect(written.recipe.start == .base && written.recipe.defense.patchDistance == .l2)
        #expect(throws: TrainingError.self) {
            var paper = recipe
            paper.variant = .paper
            _ = try QMLLMTrainer(recipe: paper, baseDirectory: baseDirectory, workDirectory: work, log: { _ in }).train()
        }
        // 180 scenes of 9 tokens cannot place 4,096 codes: refused with what to change, before any training.
        var tooMany = recipe
        tooMany.defense.patchCodes = 4096
        #expect {
            _ = try QMLLMTrainer(recipe: tooMany, baseDirectory: baseDirectory, workDirectory: work, log: { _ in }).train()
        } throws: { error in
            (error as? TrainingError)?.description.contains("needs at least as many tokens as codes") == true
        }
    }

    /// Recipes and records written before the variant existed read as released; the key is `defense.variant`.
    @Test func recipesWithoutAVariantReadAsReleased() throws {
        var paper = QMLLMRecipe.released
        paper.variant = .paper
        let data = try JSONEncoder().encode(paper)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var defense = try #require(object["defense"] as? [String: Any])
        #expect(defense["variant"] as? String == "paper")
        #expect(try JSONDecoder.records().decode(QMLLMRecipe.self, from: data) == paper)
        defense.removeValue(forKey: "variant")
        object["defense"] = defense
        let old = try JSONDecoder.records().decode(QMLLMRecipe.self, from: try JSONSerialization.data(withJSONObject: object))
        #expect(old.variant == .released && old == QMLLMRecipe.released)
        let released = try #require(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(QMLLMRecipe.released)) as? [String: Any])
        #expect((released["defense"] as? [String: Any])?["variant"] == nil, "the released variant's records stay as they were")
        #expect((released["defense"] as? [String: Any])?["patch_distance"] == nil && released["start"] == nil,
                "neither do records without a patch distance or a start")
        #expect(old.start == nil && old.defense.patchDistance == nil)
        let bundled = URL(fileURLWithPath: ModelLocations.resolve("shapes-smol-q")).appendingPathComponent(QMLLMDirectory.recordFile)
        let record = try JSONDecoder.records().decode(QMLLMRecord.self, from: Data(contentsOf: bundled))
        #expect(record.recipe.variant == .released)
    }
}
