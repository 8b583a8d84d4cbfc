import Foundation
import LucidSupport
import LucidDefense
import LucidOrganisms
import Testing
@testable import LucidCLI

/// `defend qmllm train --recipe`: the bundled model's recipe by default, Q-MLLM as released on request
/// (and for the paper variant), every other flag over the recipe chosen.
@Suite("defend qmllm train --recipe")
struct QMLLMTrainRecipeFlagTests {
    @Test func theRecipeFlagChoosesTheRecipeAndTheOtherFlagsOverrideIt() throws {
        let bundled = try QMLLMTrainCommand.parse([])
        #expect(try bundled.chosenRecipe() == QMLLMRecipe.shapesSmolQ)
        #expect(bundled.outputDirectory(for: try bundled.chosenRecipe()) == "Models/shapes-smol-q")
        let released = try QMLLMTrainCommand.parse(["--recipe", "released"])
        #expect(try released.chosenRecipe() == QMLLMRecipe.released)
        #expect(released.outputDirectory(for: try released.chosenRecipe()) == "Models/shapes-smol-q-released")
        let paper = try QMLLMTrainCommand.parse(["--variant", "paper"])
        let paperRecipe = try paper.chosenRecipe()
        #expect(paper.recipeName == "released" && paperRecipe.variant == .paper && paperRecipe.start == nil)
        #expect(paper.outputDirectory(for: paperRecipe) == "Models/shapes-smol-q-paper")
        let trained = try QMLLMTrainCommand.parse(["--steps", "50", "--base", "shapes-smol", "--fit-codes", "16"]).chosenRecipe()
        #expect(trained.schedule.steps == 50 && trained.base == "shapes-smol" && trained.start == .base && trained.gate?.fitCodes == 16
                && trained.gate?.fitScenes == 6000 && trained.defense.patchCodes == 4096)
        let fresh = try QMLLMTrainCommand.parse(["--start", "fresh", "--steps", "10", "--out", "Q"])
        #expect(try fresh.chosenRecipe().start == nil && fresh.outputDirectory(for: try fresh.chosenRecipe()) == "Q")
        // Each recipe checkpoints apart by default, so one's checkpoints are not offered to another.
        #expect(bundled.workDirectory(for: try bundled.chosenRecipe()) == ".lucid-train/shapes-smol-q")
        #expect(released.workDirectory(for: try released.chosenRecipe()) == ".lucid-train/shapes-smol-q-released")
        #expect(paper.workDirectory(for: paperRecipe) == ".lucid-train/shapes-smol-q-paper")
        #expect(try QMLLMTrainCommand.parse(["--work", "W"]).workDirectory(for: QMLLMRecipe.shapesSmolQ) == "W")
        #expect(throws: (any Error).self) { try QMLLMTrainCommand.parse(["--recipe", "shapes-smol-q", "--variant", "paper"]) }
        // --gate mean over the class-fitted gate keeps what the mean reading can use and drops what it cannot.
        let mean = try QMLLMTrainCommand.parse(["--gate", "mean"]).chosenRecipe()
        #expect(mean.gate == QMLLMGateRecipe(reading: .mean, tokenLabels: .image, mergeHarmful: true))
    }

    /// `defend qmllm stage2` trains on the scenes of the model's own recipe (its record's), the bundled
    /// recipe's where the model has no record.
    @Test func stageTwoTrainsOnTheModelsOwnRecipe() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-stage2-recipe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let command = try QMLLMStage2Command.parse(["--out", "O"])
        #expect(try command.trainingRecipe(modelDirectory: folder.path) == QMLLMRecipe.shapesSmolQ)
        let bundled = URL(fileURLWithPath: ModelPaths.resolve("shapes-smol-q")).appendingPathComponent(QMLLMDirectory.recordFile)
        var record = try JSONDecoder.records().decode(QMLLMRecord.self, from: Data(contentsOf: bundled))
        record.recipe = .released
        try JSONEncoder().encode(record).write(to: folder.appendingPathComponent(QMLLMDirectory.recordFile))
        #expect(try command.trainingRecipe(modelDirectory: folder.path) == QMLLMRecipe.released)
        let scaled = try QMLLMStage2Command.parse(["--out", "O", "--scale", "0.5"])
        #expect(try scaled.trainingRecipe(modelDirectory: folder.path) == QMLLMRecipe.released.scaled(by: 0.5))
    }
}
