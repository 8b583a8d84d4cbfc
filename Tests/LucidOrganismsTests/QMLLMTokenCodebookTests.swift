import Foundation
import LucidDefense
import LucidModels
import LucidTensor
import LucidTraining
import LucidWorld
import Testing
@testable import LucidOrganisms

/// The semantic codebook fitted class by class for the token gate (`calibrate --fit-codes H`).
@Suite("Q-MLLM token codebook")
struct QMLLMTokenCodebookTests {
    /// Unit points around `centre` (a basis direction of 8) with seeded noise.
    static func cluster(_ centre: Int, count: Int, spread: Double, seed: UInt64, towards other: Int? = nil, mix: Double = 0) -> Tensor {
        var base = [Double](repeating: 0, count: 8)
        base[centre] = 1
        if let other { base[other] = mix }
        let noise = Tensor.randn([count, 8], dtype: .f64, generator: Generator(seed: seed)) * spread
        return VectorQuantizer.unitRows(Tensor(base, shape: [1, 8]).to(.f64) + noise)
    }

    /// Benign tokens in two large groups, hazard tokens a small group near one of them: k-means on
    /// all tokens gives the hazards no code of their own, the class fit does, and only then does a
    /// calibrated map refuse them without refusing the benign group beside them.
    @Test func hazardTokensGetCodesOfTheirOwnThatTheMapRefuses() throws {
        let benignA = Self.cluster(0, count: 400, spread: 0.05, seed: 1)
        let benignB = Self.cluster(1, count: 400, spread: 0.05, seed: 2)
        let hazard = Self.cluster(0, count: 24, spread: 0.05, seed: 3, towards: 2, mix: 0.35)  // ~19° from benign group A
        let points = Tensor.cat([benignA, benignB, hazard], axis: 0)
        let harmful = [Bool](repeating: false, count: 800) + [Bool](repeating: true, count: 24)
        let calibration = Tensor.cat([Self.cluster(0, count: 100, spread: 0.05, seed: 4), Self.cluster(1, count: 100, spread: 0.05, seed: 5),
                                      Self.cluster(0, count: 12, spread: 0.05, seed: 6, towards: 2, mix: 0.35)], axis: 0)
        let calibrationLabels = [Int](repeating: 0, count: 200) + [Int](repeating: 1, count: 12)

        func map(_ codes: Tensor) throws -> (SafetyCodeMap, [Int]) {
            let quantizer = VectorQuantizer(count: codes.size(0), dimension: 8, generator: Generator(seed: 0))
            withNoGrad { quantizer.codebook.value = codes.to(.f32) }
            let read = quantizer.nearest(calibration.to(.f32))
            let map = try SafetyCodeMap(codebookSize: codes.size(0), categories: ["benign", "harmful"],
                                        observations: zip(read, calibrationLabels).map { (code: $0, category: $1) }, threshold: 0.6,
                                        reading: .tokens, tokenLabels: .cells)
            return (map, read)
        }
        let fitted = try QMLLMTokenCodebook.centroids(points, harmful: harmful, codes: 4, hazardCodes: 1, seed: 7)
        #expect(fitted.shape == [4, 8])
        let (fittedMap, fittedRead) = try map(fitted)
        #expect(fittedMap.codeCategory == [0, 0, 0, 1], "the last code is the hazard code, and it refuses")
        #expect(fittedRead.suffix(12).allSatisfy { $0 == 3 } && fittedRead.prefix(200).allSatisfy { $0 != 3 })

        let plain = SphericalKMeans.fit(points, k: 2, iterations: 25, seed: 7)
        let (plainMap, _) = try map(plain)
        #expect(plainMap.codeCategory == [0, 0], "two codes over all tokens: the hazards share group A's code, which stays benign")
    }

    @Test func theFitIsRefusedWhenTheCountsCannotWork() throws {
        let points = Self.cluster(0, count: 10, spread: 0.1, seed: 1)
        let harmful = [false, false, false, false, false, false, false, false, true, true]
        for hazardCodes in [0, 4, 5] {
            #expect(throws: TrainingError.self) { try QMLLMTokenCodebook.centroids(points, harmful: harmful, codes: 4, hazardCodes: hazardCodes, seed: 1) }
        }
        #expect(throws: TrainingError.self) { try QMLLMTokenCodebook.centroids(points, harmful: harmful, codes: 6, hazardCodes: 3, seed: 1) }
        #expect(throws: TrainingError.self) { try QMLLMTokenCodebook.centroids(points, harmful: harmful, codes: 12, hazardCodes: 2, seed: 1) }
        #expect(throws: TrainingError.self) { try QMLLMTokenCodebook.centroids(points, harmful: [true], codes: 4, hazardCodes: 1, seed: 1) }
        #expect(try QMLLMTokenCodebook.centroids(points, harmful: harmful, codes: 4, hazardCodes: 2, seed: 1).shape == [4, 8])
    }

    /// The map records the fit; maps without one encode without the key and read back as nil.
    @Test func theMapRecordsTheFit() throws {
        var map = try SafetyCodeMap(codebookSize: 4, categories: ["benign", "harmful"], observations: [(code: 3, category: 1)],
                                    reading: .tokens, tokenLabels: .cells)
        let plain = try JSONEncoder().encode(map)
        #expect(!String(decoding: plain, as: UTF8.self).contains("codebook_fit"))
        #expect(try JSONDecoder().decode(SafetyCodeMap.self, from: plain).codebookFit == nil)
        map.codebookFit = .init(hazardCodes: 1, benignCodes: 3, scenes: 16, hazardTokens: 5, benignTokens: 139, worldSeed: 1000)
        let data = try JSONEncoder().encode(map)
        #expect(String(decoding: data, as: UTF8.self).contains("\"hazard_codes\":1"))
        #expect(try JSONDecoder().decode(SafetyCodeMap.self, from: data) == map)
    }

    /// On the bundled model: the fit replaces the semantic codes, counts every token once, is the same
    /// for the same seed, and fits its hazard codes to exactly the tokens that show a hazard.
    @Test func fittingTheBundledModelsCodebookIsDeterministicAndFitsHazardCodesToHazardTokens() throws {
        guard smolInstalled else { return }
        let (model, defense) = try QMLLMDirectory.load(directory: ModelLocations.resolve("shapes-smol-q"))
        let pool = try ScenePool(world: ShapesWorldConfig(seed: 43, count: 20, hazardProbability: 0.5), imageSize: model.config.visionConfig.imageSize)
        let pixels = pool.pixels(Array(0..<pool.count))
        let grid = model.config.visionConfig.imageSize / model.config.visionConfig.patchSize
        let labels = pool.scenes.map { QMLLMTokenLabels.labels($0, grid: grid, mergeHarmful: true) }
        let hazardTokens = labels.joined().filter { $0 != 0 }.count
        try #require(hazardTokens >= 2)
        let before = defense.semantic.codebook.value.clone()
        let fit = try QMLLMTokenCodebook.fit(defense: defense, model: model, pixels: pixels, tokenLabels: labels, hazardCodes: 2, seed: 5, worldSeed: 43)
        #expect(fit == .init(hazardCodes: 2, benignCodes: defense.semantic.count - 2, scenes: 20, hazardTokens: hazardTokens,
                             benignTokens: 20 * grid * grid - hazardTokens, worldSeed: 43))
        let first = defense.semantic.codebook.value.clone()
        #expect(first.shape == before.shape && first.maxAbsDifference(before) > 0)
        _ = try QMLLMTokenCodebook.fit(defense: defense, model: model, pixels: pixels, tokenLabels: labels, hazardCodes: 2, seed: 5)
        #expect(defense.semantic.codebook.value.maxAbsDifference(first) == 0)
        // The last two codes are k-means of exactly the hazard tokens' projected features, the rest of the others'.
        let tokens = VectorQuantizer.unitRows(try withNoGrad { try defense.gateRows(model, pixels: pixels, reading: .tokens).to(.f64) })
        let flat = labels.flatMap { $0 }
        func rows(_ keep: (Int) -> Bool) -> Tensor {
            let indices = flat.indices.filter { keep(flat[$0]) }.map(Int64.init)
            return tokens.indexSelect(axis: 0, index: Tensor(indices, shape: [indices.count]))
        }
        let hazardFit = SphericalKMeans.fit(rows { $0 != 0 }, k: 2, iterations: 25, seed: 5 &+ 1)
        let benignFit = SphericalKMeans.fit(rows { $0 == 0 }, k: defense.semantic.count - 2, iterations: 25, seed: 5)
        #expect(first.narrowed(axis: 0, start: defense.semantic.count - 2, length: 2).to(.f64).maxAbsDifference(hazardFit) < 1e-6)
        #expect(first.narrowed(axis: 0, start: 0, length: defense.semantic.count - 2).to(.f64).maxAbsDifference(benignFit) < 1e-6)
        let mismatched = labels.map { Array($0.prefix(3)) }
        #expect(throws: TrainingError.self) {
            try QMLLMTokenCodebook.fit(defense: defense, model: model, pixels: pixels, tokenLabels: mismatched, hazardCodes: 2, seed: 5)
        }
    }
}
