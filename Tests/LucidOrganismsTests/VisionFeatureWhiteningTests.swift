import Foundation
import Testing
@testable import LucidModels
@testable import LucidOrganisms
@testable import LucidTensor
import LucidTraining
@testable import LucidWorld

@Suite("vision-feature whitening")
struct VisionFeatureWhiteningTests {
    @Test func whitenedFeaturesHaveIdentityCovarianceWithoutShrinkage() throws {
        let fixture = try TinyFixture()
        let pool = try ScenePool(world: ShapesWorldConfig(seed: 41, count: 96), imageSize: 96)
        let whitening = try VisionFeatureWhitening.estimate(model: fixture.model, pool: pool, scenes: 96, shrinkage: 0, batchSize: 32)
        let features = withNoGrad { fixture.model.selectedVisionFeatures(pool.pixels(Array(0..<96))) }
        let z = whitening(features).reshaped([-1, 32]).to(.f64)
        let centred = z - z.mean(axis: 0, keepDims: true)
        let covariance = centred.transposed(0, 1).matmul(centred) / Double(z.size(0) - 1)
        let error = (covariance - Tensor.eye(32, dtype: .f64)).abs().max().item()
        #expect(error < 1e-3, "whitened covariance differs from I by \(error)")
        #expect(z.mean(axis: 0).abs().max().item() < 1e-4)
    }

    @Test func shrinkageKeepsLowVarianceDirectionsBounded() throws {
        let fixture = try TinyFixture()
        let pool = try ScenePool(world: ShapesWorldConfig(seed: 41, count: 32), imageSize: 96)
        let raw = try VisionFeatureWhitening.estimate(model: fixture.model, pool: pool, scenes: 32, shrinkage: 0)
        let shrunk = try VisionFeatureWhitening.estimate(model: fixture.model, pool: pool, scenes: 32, shrinkage: 1)
        #expect(shrunk.matrix.abs().max().item() < raw.matrix.abs().max().item())
    }

    @Test func foldingGivesAPlainProjectorWithTheSameOutputs() throws {
        let fixture = try TinyFixture()
        let pool = try ScenePool(world: ShapesWorldConfig(seed: 42, count: 48), imageSize: 96)
        let whitening = try VisionFeatureWhitening.estimate(model: fixture.model, pool: pool, scenes: 48, shrinkage: 0.5)
        let features = withNoGrad { fixture.model.selectedVisionFeatures(pool.pixels([3, 7, 11])) }
        let trained = withNoGrad { fixture.model.projector(whitening(features)) }
        whitening.fold(into: fixture.model.projector)
        let folded = withNoGrad { fixture.model.projector(features) }
        let scale = trained.abs().max().item()
        let error = (trained - folded).abs().max().item()
        #expect(scale > 1e-3)
        #expect(error <= 1e-4 * Swift.max(1, scale), "folded projector differs by \(error) (scale \(scale))")
        // And the whole model's image features are the folded projector on raw features.
        let image = withNoGrad { fixture.model.imageFeatures(pool.pixels([3, 7, 11])) }
        #expect((image - folded).abs().max().item() <= 1e-5 * Swift.max(1, scale))
    }

    @Test func savedWhiteningReloadsBitIdentically() throws {
        let fixture = try TinyFixture()
        let pool = try ScenePool(world: ShapesWorldConfig(seed: 43, count: 16), imageSize: 96)
        let whitening = try VisionFeatureWhitening.estimate(model: fixture.model, pool: pool, scenes: 16, shrinkage: 0.5)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-whitening-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try whitening.save(to: url)
        let loaded = try VisionFeatureWhitening.load(from: url)
        #expect(loaded.matrix.toArray(Float.self) == whitening.matrix.toArray(Float.self))
        #expect(loaded.mean.toArray(Float.self) == whitening.mean.toArray(Float.self))
    }
}

@Suite("cell-word alignment")
struct CellWordAlignmentTests {
    @Test func occupiedCellsAreClassifiedAsTheirCategoryWords() throws {
        let fixture = try TinyFixture()
        let pool = try ScenePool(world: ShapesWorldConfig(seed: 44, count: 4), imageSize: 96)
        let alignment = try CellWordAlignment(tokenizer: fixture.tokenizer, weight: 2)
        #expect(alignment.wordIDs.count == SceneLabels.categories.count)
        let selected = withNoGrad { fixture.model.selectedVisionFeatures(pool.pixels([0, 1, 2, 3])) }
        fixture.model.projector.setTrainable(true)
        let features = fixture.model.project(selected)
        let embedding = fixture.model.languageModel.model.embedTokens.weight.value
        let loss = try #require(try alignment.loss(features: features, scenes: Array(pool.scenes), embedding: embedding))
        // The same loss by hand: CE over the category words at every occupied cell, times the weight.
        var total = 0.0
        var count = 0
        let words = embedding.indexSelect(axis: 0, index: Tensor(alignment.wordIDs.map(Int64.init), shape: [alignment.wordIDs.count]))
        for (b, scene) in pool.scenes.enumerated() {
            for (cell, label) in SceneLabels(scene: scene).category.enumerated() where label > 0 {
                let logits = withNoGrad { features.detached()[b, cell].unsqueezed(axis: 0).matmul(words.detached().transposed(0, 1)) }
                total -= Double(logits.logSoftmax(axis: -1).toArray(Float.self)[label - 1])
                count += 1
            }
        }
        #expect(abs(loss.item() - 2 * total / Double(count)) < 1e-4)
        loss.backward()
        #expect((fixture.model.projector.linear2.weight.value.grad?.abs().sum().item() ?? 0) > 0)
        #expect(throws: TrainingError.self) { try alignment.loss(features: features.narrowed(axis: 1, start: 0, length: 4), scenes: Array(pool.scenes), embedding: embedding) }
    }
}
