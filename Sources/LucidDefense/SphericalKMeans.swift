import LucidTensor

/// k-means on the unit sphere (cosine similarity), seeded: k-means++ initialisation, then Lloyd
/// iterations whose centroids are renormalised means. Empty clusters take the point farthest from
/// its centroid. `distance: .l2` is plain (Euclidean) k-means with the same steps and plain means
/// (the Q-MLLM paper variant's semantic codebook).
public enum SphericalKMeans {
    /// Centroids [k, D] (unit rows) for unit points [N, D] (k ≤ N); with `.l2`, centroids for any points.
    public static func fit(_ points: Tensor, k: Int, iterations: Int, seed: UInt64, distance: VectorQuantizer.Distance = .cosine) -> Tensor {
        withNoGrad {
            let n = points.size(0)
            let k = Swift.min(k, n)
            let generator = Generator(seed: seed)
            // Similarity of every point to one centre: cosine, or −‖x − c‖².
            func similarity(to index: Int) -> Tensor {
                let centre = points.selected(axis: 0, index: index)
                switch distance {
                case .cosine: return points.matmul(centre.unsqueezed(axis: 1)).reshaped([-1])
                case .l2: return 0 - (points - centre.unsqueezed(axis: 0)).square().sum(axis: -1)
                }
            }
            // k-means++: each next centre drawn with probability ∝ (1 − best cosine)², or the squared distance.
            var chosen = [Int(Tensor.randint(0, n, [1], generator: generator).toArray(Int64.self)[0])]
            var best = similarity(to: chosen[0])
            while chosen.count < k {
                let weight = distance == .cosine ? (1 - best).clamped(min: 0, max: 2).square() : (0 - best).clamped(min: 0)
                let total = weight.sum().item()
                let next: Int
                if total <= 0 {
                    next = (0..<n).first { !chosen.contains($0) } ?? 0
                } else {
                    next = Int(weight.multinomial(1, generator: generator).intValue)
                }
                chosen.append(next)
                let candidate = similarity(to: next)
                best = Tensor.where(candidate .> best, candidate, best)
            }
            var centroids = points.indexSelect(axis: 0, index: Tensor(chosen.map(Int64.init), shape: [k]))
            for _ in 0..<iterations {
                let similarities: Tensor  // [N, k]
                switch distance {
                case .cosine: similarities = points.matmul(centroids.transposed(0, 1))
                case .l2:
                    similarities = points.matmul(centroids.transposed(0, 1)) * 2 - centroids.square().sum(axis: -1).unsqueezed(axis: 0)
                        - points.square().sum(axis: -1, keepDims: true)
                }
                let (nearest, assignment) = similarities.maxWithIndices(axis: -1)
                let onehot = Tensor.zeros([n, k], dtype: points.dtype).scattering(axis: 1, index: assignment.unsqueezed(axis: 1),
                                                                                   source: Tensor.ones([n, 1], dtype: points.dtype))
                let sums = onehot.transposed(0, 1).matmul(points)  // [k, D]
                let counts = onehot.sum(axis: 0).toArray(Double.self)
                var updated = distance == .cosine ? VectorQuantizer.unitRows(sums)
                    : sums / onehot.sum(axis: 0).clamped(min: 1).unsqueezed(axis: 1)
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
