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
            // The separability script's rule (scripts/qmllm_separability.py): a token is harmful exactly when
            // a hazard's cell is its patch (3 × 3 cells = 3 × 3 patches of 32 px on 96-px scenes).
            let hazardCells = Set(scene.objects.filter(\.category.isHazard).map(\.cell.index))
            #expect(Set(labels.indices.filter { labels[$0] != 0 }) == hazardCells, "\(scene.objects.map { ($0.category.name, $0.cell.name, $0.bbox) })")
        }
        #expect(checked >= 20)
    }

    /// Two hazard scenes whose background tokens read code 5 and whose hazard token reads code 7, and a
    /// benign scene reading code 5 everywhere: 16 of code 5's 25 tokens are in hazard scenes.
    static let codes = [[5, 5, 5, 5, 5, 5, 5, 5, 7], [5, 5, 5, 5, 7, 5, 5, 5, 5], [Int](repeating: 5, count: 9)]
    static let imageLabels = [2, 2, 0]
    static let cellLabels = [[0, 0, 0, 0, 0, 0, 0, 0, 2], [0, 0, 0, 0, 2, 0, 0, 0, 0], [Int](repeating: 0, count: 9)]

    @Test func cellLabelsRefuseTheCodeOnlyHazardTokensUseButNotTheBackgroundHazardScenesShare() throws {
        let byCell = try QMLLMCalibration.map(codes: Self.codes, labels: Self.imageLabels, tokenLabels: Self.cellLabels, codebookSize: 8,
                                              threshold: 0.6, reading: .tokens)
        let byImage = try QMLLMCalibration.map(codes: Self.codes, labels: Self.imageLabels, codebookSize: 8, threshold: 0.6, reading: .tokens)
        #expect(byCell.tokenLabels == .cells && byImage.tokenLabels == .image)
        // Code 7: both of its tokens show the hazard, under either labelling.
        #expect(byCell.category(of: 7) == 2 && byImage.category(of: 7) == 2)
        // Code 5: image labels count 16 of 25 as harmful (> τ 0.6), so the background refuses; cells count none.
        #expect(byImage.counts[5] == [9, 0, 16, 0, 0] && byImage.isHarmful(5))
        #expect(byCell.counts[5] == [25, 0, 0, 0, 0] && !byCell.isHarmful(5))
        // The gate (one harmful token code refuses): the benign scene passes only with cell labels.
        func refused(_ map: SafetyCodeMap) -> [Bool] { Self.codes.map { $0.contains(where: map.isHarmful) } }
        #expect(refused(byCell) == [true, true, false])
        #expect(refused(byImage) == [true, true, true])
    }

    @Test func cellLabelsAreRefusedWithoutTheTokenReadingOrWithTheWrongShape() throws {
        #expect(throws: TrainingError.self) {
            try QMLLMCalibration.map(codes: Self.codes.map { [$0[0]] }, labels: Self.imageLabels, tokenLabels: Self.cellLabels, codebookSize: 8,
                                     threshold: 0.6, reading: .mean)
        }
        #expect(throws: TrainingError.self) {
            try QMLLMCalibration.map(codes: Self.codes, labels: Self.imageLabels, tokenLabels: Self.cellLabels.map { Array($0.prefix(4)) },
                                     codebookSize: 8, threshold: 0.6, reading: .tokens)
        }
        #expect(throws: DefenseError.self) {
            try SafetyCodeMap(codebookSize: 8, categories: ["benign", "harmful"], observations: [], reading: .mean, tokenLabels: .cells)
        }
    }

    /// The labelling is saved with the map and read back; maps labelled by image are written without the key, as before.
    @Test func theMapRecordsCellLabelsAndOlderFilesReadAsImageLabels() throws {
        let byCell = try QMLLMCalibration.map(codes: Self.codes, labels: Self.imageLabels, tokenLabels: Self.cellLabels, codebookSize: 8,
                                              threshold: 0.6, reading: .tokens)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(byCell)
        #expect(String(decoding: data, as: UTF8.self).contains("\"token_labels\":\"cells\""))
        #expect(try JSONDecoder().decode(SafetyCodeMap.self, from: data) == byCell)
        var byImage = byCell
        byImage.tokenLabels = .image
        let plain = String(decoding: try encoder.encode(byImage), as: UTF8.self)
        #expect(!plain.contains("token_labels") && plain.contains("\"reading\":\"tokens\""))
        #expect(try JSONDecoder().decode(SafetyCodeMap.self, from: Data(plain.utf8)).tokenLabels == .image)
        // A file that claims cell labels for the mean reading is refused, not read as something else.
        let contradictory = plain.replacingOccurrences(of: "\"reading\":\"tokens\"", with: "\"reading\":\"mean\",\"token_labels\":\"cells\"")
        #expect(contradictory != plain)
        #expect(throws: (any Error).self) { try JSONDecoder().decode(SafetyCodeMap.self, from: Data(contradictory.utf8)) }
    }

    /// Calibration counts each token's code with that token's label: the harmful counts are exactly the
    /// hazard tokens (image labels would count all nine tokens of a hazard scene).
    @Test func calibrationByCellsCountsOnlyTheHazardTokens() throws {
        guard smolInstalled else { return }
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
        #expect(byCell.tokenLabels == .cells && byImage.tokenLabels == .image)
        #expect(hazardImages > 0, "seed 41 gives no hazard scene: the test could not fail")
        #expect(throws: TrainingError.self) {
            try QMLLMCalibration.calibrate(defense: defense, model: model, pixels: pixels, labels: labels, threshold: 0.6, reading: .mean,
                                           tokenLabels: tokenLabels)
        }
    }
}
