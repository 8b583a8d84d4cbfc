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

    /// Assignment is scored in blocks of rows (k reaches thousands for patch codebooks): the blocks
    /// give the nearest centroid of the whole score matrix, and a fit with more points than one block
    /// leaves every centroid at the mean of the points nearest to it (up to Lloyd's last move).
    @Test func blockedAssignmentMatchesTheWholeScoreMatrix() {
        let generator = Generator(seed: 23)
        let points = Tensor.randn([3000, 4], generator: generator)
        let centroids = Tensor.randn([4096, 4], generator: generator)  // 1,024 rows a block: three blocks
        for distance in VectorQuantizer.Distance.allCases {
            let (nearest, assignment) = SphericalKMeans.assign(points, centroids: centroids, distance: distance)
            let whole: Tensor
            switch distance {
            case .cosine: whole = points.matmul(centroids.transposed(0, 1))
            case .l2: whole = 0 - (points.unsqueezed(axis: 1) - centroids.unsqueezed(axis: 0)).square().sum(axis: -1)
            }
            #expect(assignment.toArray(Int64.self) == whole.argmax(axis: -1).toArray(Int64.self), "\(distance)")
            #expect((nearest - whole.max(axis: -1)).abs().max().item() < 1e-3, "\(distance)")
        }
        // Lloyd's update: each centroid after n iterations is the mean of the points nearest to it after n − 1.
        for start in [SphericalKMeans.Start.plusPlus, .sample] {
            let fitted = SphericalKMeans.fit(points, k: 64, iterations: 30, seed: 5, distance: .l2, start: start)
            let previous = SphericalKMeans.fit(points, k: 64, iterations: 29, seed: 5, distance: .l2, start: start)
            let labels = SphericalKMeans.assign(points, centroids: previous, distance: .l2).assignment.toArray(Int64.self)
            var worst = 0.0
            var clusters = 0
            for code in 0..<64 {
                let members = labels.indices.filter { labels[$0] == Int64(code) }.map(Int64.init)
                guard !members.isEmpty else { continue }
                clusters += 1
                let mean = points.indexSelect(axis: 0, index: Tensor(members, shape: [members.count])).mean(axis: 0)
                worst = Swift.max(worst, (mean - fitted.selected(axis: 0, index: code)).abs().max().item())
            }
            #expect(clusters == 64 && worst < 1e-5, "\(start): \(clusters) clusters, worst coordinate off the mean by \(worst)")
            #expect(SphericalKMeans.fit(points, k: 64, iterations: 30, seed: 5, distance: .l2, start: start).toArray(Float.self)
                    == fitted.toArray(Float.self), "\(start): seeded")
        }
    }
}
