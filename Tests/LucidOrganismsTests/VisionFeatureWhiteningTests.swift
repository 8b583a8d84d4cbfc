import Foundation
import Testing
@testable import LucidModels
@testable import LucidOrganisms
@testable import LucidTensor
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
