import Foundation
import Testing
import LucidDefense
@testable import LucidOrganisms
import LucidTraining
import LucidWorld

/// Token labels for the token gate's calibration (`--token-labels cells`): which patches show a hazard.
@Suite("Q-MLLM token labels")
struct QMLLMTokenLabelsTests {
    @Test func aHazardLabelsThePatchesItCoversOrCentresIn() {
        // ShapesWorld's 96-px scenes on a 3 × 3 grid: a small box in the bottom-right cell labels token 8 only.
        let small = QMLLMTokenLabels.Hazard(category: 2, box: BoundingBox(x: 70, y: 72, width: 19, height: 20))
        #expect(QMLLMTokenLabels.labels(hazards: [small], imageSize: 96, grid: 3) == [0, 0, 0, 0, 0, 0, 0, 0, 2])
        // 224 px on a 7 × 7 grid (32-px patches): a 64-px box at the corner covers four patches whole.
        let corner = QMLLMTokenLabels.Hazard(category: 1, box: BoundingBox(x: 0, y: 0, width: 64, height: 64))
        let labels = QMLLMTokenLabels.labels(hazards: [corner], imageSize: 224, grid: 7)
        #expect(labels.count == 49)
        #expect(Set(labels.indices.filter { labels[$0] != 0 }) == [0, 1, 7, 8])
        // A box covering under half of each patch it meets still labels the patch of its centre.
        let straddling = QMLLMTokenLabels.Hazard(category: 3, box: BoundingBox(x: 20, y: 20, width: 24, height: 24))
        let centre = QMLLMTokenLabels.labels(hazards: [straddling], imageSize: 224, grid: 7)
        #expect(Set(centre.indices.filter { centre[$0] != 0 }) == [8])
        #expect(QMLLMTokenLabels.labels(hazards: [], imageSize: 96, grid: 3) == [Int](repeating: 0, count: 9))
    }

    @Test func aSceneHazardLabelsTheTokenOfItsCell() throws {
        let scenes = try ShapesWorld.generate(ShapesWorldConfig(seed: 31, count: 24, imageSize: 96, hazardProbability: 1))
        var checked = 0
        for scene in scenes {
            let labels = QMLLMTokenLabels.labels(scene, grid: 3)
            for object in scene.objects {
                if object.category.isHazard {
                    #expect(labels[object.cell.index] == QMLLMCalibration.categories.firstIndex(of: object.category.name))
                    #expect(QMLLMTokenLabels.labels(scene, grid: 3, mergeHarmful: true)[object.cell.index] == 1)
                    checked += 1
                }
            }
            #expect(labels.filter { $0 != 0 }.count >= scene.objects.filter(\.category.isHazard).count)
        }
        #expect(checked >= 20)
    }

    /// Calibration counts each token's code with that token's label: the harmful counts are exactly the
    /// hazard tokens (image labels would count all nine tokens of a hazard scene).
    @Test func calibrationByCellsCountsOnlyTheHazardTokens() throws {
        guard FileManager.default.fileExists(atPath: ModelLocations.smolLM2) else { return }
        let (model, defense) = try QMLLMDirectory.load(directory: ModelLocations.resolve("shapes-smol-q"))
        let pool = try ScenePool(world: ShapesWorldConfig(seed: 41, count: 8, hazardProbability: 0.5), imageSize: model.config.visionConfig.imageSize)
        let labels = pool.scenes.map(QMLLMCalibration.label)
        let tokenLabels = pool.scenes.map { QMLLMTokenLabels.labels($0, grid: 3) }
        let pixels = pool.pixels(Array(0..<pool.count))
        func total(_ map: SafetyCodeMap) -> Int { map.counts.map { row in row.reduce(0, +) }.reduce(0, +) }
        func harmfulCount(_ map: SafetyCodeMap) -> Int { map.counts.map { row in row.dropFirst().reduce(0, +) }.reduce(0, +) }
        let hazardTokens = tokenLabels.joined().filter { $0 != 0 }.count
        let hazardImages = labels.filter { $0 != 0 }.count
        let byCell = try QMLLMCalibration.calibrate(defense: defense, model: model, pixels: pixels, labels: labels, threshold: 0.6,
                                                    reading: .tokens, tokenLabels: tokenLabels)
        #expect(total(byCell) == 8 * 9)
        #expect(harmfulCount(byCell) == hazardTokens)
        let byImage = try QMLLMCalibration.calibrate(defense: defense, model: model, pixels: pixels, labels: labels, threshold: 0.6, reading: .tokens)
        #expect(harmfulCount(byImage) == 9 * hazardImages)
        #expect(hazardImages > 0, "seed 41 gives no hazard scene: the test could not fail")
        #expect(throws: TrainingError.self) {
            try QMLLMCalibration.calibrate(defense: defense, model: model, pixels: pixels, labels: labels, threshold: 0.6, reading: .mean,
                                           tokenLabels: tokenLabels)
        }
    }
}
