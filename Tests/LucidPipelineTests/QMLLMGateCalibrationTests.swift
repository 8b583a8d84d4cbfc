import Foundation
import LucidDefense
import LucidModels
import LucidNN
import LucidOrganisms
import LucidTensor
import LucidWorld
import Testing
@testable import LucidPipeline

/// The gate recipe drives calibration: the released gate gives exactly the map `QMLLMCalibration`
/// builds, and the class-fitted token gate re-fits the codebook first and records it in the map.
@Suite("Q-MLLM gate calibration", .serialized)
struct QMLLMGateCalibrationTests {
    static func defended() throws -> (LlavaForConditionalGeneration, QMLLMDefense) {
        let model = try OrganismLoader.load(directory: ModelLocations.resolve("shapes-tiny"))
        let defense = try QMLLMDefense(configuration: .init(patchGroups: 4, patchCodes: 8, semanticCodes: 16),
                                       visionWidth: model.visionFeatureWidth, textWidth: model.hiddenSize, generator: Generator(seed: 6))
        try defense.installWithGate(on: model)
        return (model, defense)
    }

    static func images() throws -> LabelledImageFolder {
        try LabelledImageFolder(world: ShapesWorldConfig(seed: 7000, count: 24, hazardProbability: 0.5), imageSize: 96)
    }

    @Test func theReleasedGateIsTheMapQMLLMCalibrationBuilds() throws {
        let (model, defense) = try Self.defended()
        let images = try Self.images()
        let map = try QMLLMGateCalibration.calibrate(QMLLMGateRecipe(), threshold: 0.6, recipe: .released, defense: defense, model: model,
                                                     images: images, log: { _ in })
        let direct = try QMLLMCalibration.calibrate(defense: defense, model: model, pixels: images.pixels, labels: images.labels, threshold: 0.6)
        #expect(map == direct && map.reading == .mean && map.codebookFit == nil)
    }

    @Test func theClassFittedTokenGateFitsTheCodebookAndRecordsIt() throws {
        let (model, defense) = try Self.defended()
        let before = defense.semantic.codebook.value.clone()
        var lines: [String] = []
        let gate = QMLLMGateRecipe(reading: .tokens, tokenLabels: .cells, mergeHarmful: true, fitCodes: 3, fitScenes: 64)
        let map = try QMLLMGateCalibration.calibrate(gate, threshold: 0.6, recipe: .released, defense: defense, model: model,
                                                     images: try Self.images()) { lines.append($0) }
        #expect(map.reading == .tokens && map.tokenLabels == .cells && map.categories == ["benign", "harmful"])
        #expect(map.codebookFit?.hazardCodes == 3 && map.codebookFit?.worldSeed == QMLLMRecipe.released.trainingWorldSeed, "\(String(describing: map.codebookFit))")
        #expect(!defense.semantic.codebook.value.allClose(before), "the semantic codebook was re-fitted")
        #expect(lines.contains { $0.hasPrefix("fitting 13 + 3 semantic codes to the tokens of 64 scenes") }, "\(lines)")
        // A later calibration without a fit keeps the fit's record.
        defense.safetyMap = map
        let again = try QMLLMGateCalibration.calibrate(QMLLMGateRecipe(reading: .tokens, tokenLabels: .cells, mergeHarmful: true), threshold: 0.6,
                                                       recipe: .released, defense: defense, model: model, images: try Self.images(), log: { _ in })
        #expect(again.codebookFit == map.codebookFit)
    }
}
