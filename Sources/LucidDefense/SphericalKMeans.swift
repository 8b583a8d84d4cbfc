import LucidTensor

/// k-means on the unit sphere (cosine similarity), seeded: k-means++ initialisation, then Lloyd
/// iterations whose centroids are renormalised means. Empty clusters take the point farthest from
/// its centroid. `distance: .l2` is plain (Euclidean) k-means with the same steps and plain means
/// (the Q-MLLM paper variant's semantic codebook).
public enum SphericalKMeans {
    /// How the first centroids are chosen.
    public enum Start: Sendable {
        /// k-means++ (one centre at a time, each drawn by its distance to those chosen): the default.
        case plusPlus
        /// k distinct points drawn at random: O(k) tensor calls fewer, for codebooks of thousands of codes.
        case sample
    }

    /// Centroids [k, D] (unit rows) for unit points [N, D] (k ≤ N); with `.l2`, centroids for any points.
    public static func fit(_ points: Tensor, k: Int, iterations: Int, seed: UInt64, distance: VectorQuantizer.Distance = .cosine,
                           start: Start = .plusPlus) -> Tensor {
        withNoGrad {
            let n = points.size(0)
            let k = Swift.min(k, n)
            let generator = Generator(seed: seed)
            if start == .sample {
                let picks = Tensor.randperm(n, generator: generator).narrowed(axis: 0, start: 0, length: k)
                return lloyd(points, centroids: points.indexSelect(axis: 0, index: picks), iterations: iterations, distance: distance)
            }
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
            return lloyd(points, centroids: points.indexSelect(axis: 0, index: Tensor(chosen.map(Int64.init), shape: [k])),
                         iterations: iterations, distance: distance)
        }
    }

    /// Lloyd iterations from `centroids`: assign, move each centroid to its points' (renormalised) mean;
    /// an empty cluster takes the point farthest from its centroid.
    static func lloyd(_ points: Tensor, centroids start: Tensor, iterations: Int, distance: VectorQuantizer.Distance) -> Tensor {
        withNoGrad {
            let k = start.size(0)
            var centroids = start
            for _ in 0..<iterations {
                let (nearest, assignment) = assign(points, centroids: centroids, distance: distance)
                let (sums, countTensor) = clusterSums(points, assignment: assignment, k: k)
                let counts = countTensor.toArray(Double.self)
                var updated = distance == .cosine ? VectorQuantizer.unitRows(sums) : sums / countTensor.clamped(min: 1).unsqueezed(axis: 1)
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

    /// Per-cluster sums [k, D] and counts [k] of the points. Up to 2²⁴ point–cluster pairs as the
    /// product of the one-hot assignment with the points (the sums every fit here was made with, bit for
    /// bit: the released variant's retrain test pins them); beyond that by scatter-add, since the [N, k]
    /// one-hot of a patch codebook's fit (54,000 tokens × 4,096 codes) would take gigabytes.
    static func clusterSums(_ points: Tensor, assignment: Tensor, k: Int) -> (sums: Tensor, counts: Tensor) {
        let n = points.size(0)
        let pairs = n.multipliedReportingOverflow(by: k)
        if !pairs.overflow, pairs.partialValue <= 1 << 24 {
            let onehot = Tensor.zeros([n, k], dtype: points.dtype).scattering(axis: 1, index: assignment.unsqueezed(axis: 1),
                                                                               source: Tensor.ones([n, 1], dtype: points.dtype))
            return (onehot.transposed(0, 1).matmul(points), onehot.sum(axis: 0))
        }
        let sums = Tensor.zeros([k, points.size(1)], dtype: points.dtype)
            .scatterAdding(axis: 0, index: assignment.unsqueezed(axis: 1).expanded([n, points.size(1)]), source: points)
        let counts = Tensor.zeros([k], dtype: points.dtype).scatterAdding(axis: 0, index: assignment, source: Tensor.ones([n], dtype: points.dtype))
        return (sums, counts)
    }

    /// Each point's best similarity (cosine, or −‖x − c‖²) and nearest centroid, scored in blocks of
    /// rows so that the [N, k] score matrix is never whole.
    static func assign(_ points: Tensor, centroids: Tensor, distance: VectorQuantizer.Distance) -> (nearest: Tensor, assignment: Tensor) {
        let n = points.size(0)
        let block = Swift.max(1, (1 << 22) / Swift.max(1, centroids.size(0)))
        let norms = centroids.square().sum(axis: -1).unsqueezed(axis: 0)
        var nearest: [Tensor] = []
        var assignment: [Tensor] = []
        var start = 0
        while start < n {
            let rows = points.narrowed(axis: 0, start: start, length: Swift.min(block, n - start))
            let similarities: Tensor
            switch distance {
            case .cosine: similarities = rows.matmul(centroids.transposed(0, 1))
            case .l2: similarities = rows.matmul(centroids.transposed(0, 1)) * 2 - norms - rows.square().sum(axis: -1, keepDims: true)
            }
            let (best, index) = similarities.maxWithIndices(axis: -1)
            nearest.append(best)
            assignment.append(index)
            start += block
        }
        return (Tensor.cat(nearest, axis: 0), Tensor.cat(assignment, axis: 0))
    }
}
