import Testing
@testable import LucidDefense
@testable import LucidTensor

@Suite("spherical k-means")
struct SphericalKMeansTests {
    @Test func separatedClustersGetOneCentroidEachAndTheFitIsSeeded() {
        let generator = Generator(seed: 21)
        let centres = VectorQuantizer.unitRows(Tensor.randn([3, 8], dtype: .f64, generator: generator))
        let labels = (0..<60).map { $0 % 3 }
        let noise = Tensor.randn([60, 8], dtype: .f64, generator: generator) * 0.05
        let points = VectorQuantizer.unitRows(centres.indexSelect(axis: 0, index: Tensor(labels.map(Int64.init), shape: [60])) + noise)
        let fitted = SphericalKMeans.fit(points, k: 3, iterations: 10, seed: 4)
        #expect(fitted.shape == [3, 8])
        // Every true centre has a centroid within cosine 0.99, and the rows are unit.
        let cosines = centres.matmul(fitted.transposed(0, 1)).max(axis: 1).toArray(Double.self)
        #expect(cosines.allSatisfy { $0 > 0.99 }, "\(cosines)")
        #expect((fitted.square().sum(axis: 1) - 1).abs().max().item() < 1e-9)
        #expect(SphericalKMeans.fit(points, k: 3, iterations: 10, seed: 4).toArray(Double.self) == fitted.toArray(Double.self))
        // More centroids than distinct clusters still gives k unit rows.
        #expect(SphericalKMeans.fit(points, k: 7, iterations: 5, seed: 1).shape == [7, 8])
    }

    /// `.l2` (the Q-MLLM paper variant's codebook fit): clusters that differ in scale along one direction,
    /// which cosine cannot tell apart, get one centroid each, at the clusters' means (not unit rows).
    @Test func l2FitSeparatesClustersThatCosineCannot() {
        let generator = Generator(seed: 22)
        let direction = VectorQuantizer.unitRows(Tensor.randn([1, 8], dtype: .f64, generator: generator))
        let centres = Tensor.cat([direction * 1, direction * 4, direction * 9], axis: 0)
        let labels = (0..<60).map { $0 % 3 }
        let noise = Tensor.randn([60, 8], dtype: .f64, generator: generator) * 0.05
        let points = centres.indexSelect(axis: 0, index: Tensor(labels.map(Int64.init), shape: [60])) + noise
        let fitted = SphericalKMeans.fit(points, k: 3, iterations: 10, seed: 4, distance: .l2)
        let nearest = (centres.unsqueezed(axis: 1) - fitted.unsqueezed(axis: 0)).square().sum(axis: -1).min(axis: 1).sqrt().toArray(Double.self)
        #expect(nearest.allSatisfy { $0 < 0.1 }, "\(nearest)")
        let spherical = SphericalKMeans.fit(VectorQuantizer.unitRows(points), k: 3, iterations: 10, seed: 4)
        let cosineSpread = spherical.matmul(spherical.transposed(0, 1)).min().item()
        #expect(cosineSpread > 0.9, "on the sphere the three clusters are one (min cosine between centroids \(cosineSpread))")
        #expect(SphericalKMeans.fit(points, k: 3, iterations: 10, seed: 4, distance: .l2).toArray(Double.self) == fitted.toArray(Double.self))
    }
}
