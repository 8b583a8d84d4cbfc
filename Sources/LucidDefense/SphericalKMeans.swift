import LucidTensor

/// k-means on the unit sphere (cosine similarity), seeded: k-means++ initialisation, then Lloyd
/// iterations whose centroids are renormalised means. Empty clusters take the point farthest from
/// its centroid.
public enum SphericalKMeans {
    /// Centroids [k, D] (unit rows) for unit points [N, D] (k ≤ N).
    public static func fit(_ points: Tensor, k: Int, iterations: Int, seed: UInt64) -> Tensor {
        withNoGrad {
            let n = points.size(0)
            let k = Swift.min(k, n)
            let generator = Generator(seed: seed)
            // k-means++: each next centre drawn with probability ∝ (1 − best cosine)².
            var chosen = [Int(Tensor.randint(0, n, [1], generator: generator).toArray(Int64.self)[0])]
            var best = points.matmul(points.selected(axis: 0, index: chosen[0]).unsqueezed(axis: 1)).reshaped([-1])
            while chosen.count < k {
                let distance = (1 - best).clamped(min: 0, max: 2).square()
                let total = distance.sum().item()
                let next: Int
                if total <= 0 {
                    next = (0..<n).first { !chosen.contains($0) } ?? 0
                } else {
                    next = Int(distance.multinomial(1, generator: generator).intValue)
                }
                chosen.append(next)
                let similarity = points.matmul(points.selected(axis: 0, index: next).unsqueezed(axis: 1)).reshaped([-1])
                best = Tensor.where(similarity .> best, similarity, best)
            }
            var centroids = points.indexSelect(axis: 0, index: Tensor(chosen.map(Int64.init), shape: [k]))
            for _ in 0..<iterations {
                let similarities = points.matmul(centroids.transposed(0, 1))  // [N, k]
                let (nearest, assignment) = similarities.maxWithIndices(axis: -1)
                let onehot = Tensor.zeros([n, k], dtype: points.dtype).scattering(axis: 1, index: assignment.unsqueezed(axis: 1),
                                                                                   source: Tensor.ones([n, 1], dtype: points.dtype))
                let sums = onehot.transposed(0, 1).matmul(points)  // [k, D]
                let counts = onehot.sum(axis: 0).toArray(Double.self)
                var updated = VectorQuantizer.unitRows(sums)
                let empty = counts.indices.filter { counts[$0] == 0 }
                if !empty.isEmpty {
                    let far = (0 - nearest).topK(empty.count).indices
                    updated = updated.indexCopying(axis: 0, index: Tensor(empty.map(Int64.init), shape: [empty.count]),
                                                   source: points.indexSelect(axis: 0, index: far))
                }
                centroids = updated
            }
            return centroids
        }
    }
}
