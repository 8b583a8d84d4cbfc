import Foundation
import Testing
@testable import LucidTensor

@Suite("Reductions, ordering and sampling")
struct ReductionTests {
    // 2×3 matrix [[1, -2, 3], [4, 5, -6]]
    let m = Tensor([1, -2, 3, 4, 5, -6] as [Double], shape: [2, 3])

    @Test func sumsAndMeansOverAxes() {
        #expect(m.sum().item() == 5)
        expectClose(m.sum(axis: 0), [5, 3, -3])
        expectClose(m.sum(axis: 1), [2, 3])
        #expect(m.sum(axis: 1, keepDims: true).shape == [2, 1])
        expectClose(m.mean(axis: -1), [2.0 / 3, 1])
        expectClose(m.mean(), [5.0 / 6])
        expectClose(m.product(axes: [1]), [-6, -120])
        expectClose(m.product(), [720])
        expectClose(m.sum(axes: [0, 1]), [5])
    }

    @Test func extremaAndTheirIndices() {
        #expect(m.max().item() == 5)
        #expect(m.min().item() == -6)
        expectClose(m.max(axis: 1), [3, 5])
        expectClose(m.min(axis: 0), [1, -2, -6])
        #expect(m.argmax().intValue == 4)
        #expect(m.argmax(axis: 1).toArray(Int.self) == [2, 1])
        #expect(m.argmin(axis: 1).toArray(Int.self) == [1, 2])
        let (values, indices) = m.maxWithIndices(axis: 0)
        expectClose(values, [4, 5, 3])
        #expect(indices.toArray(Int.self) == [1, 1, 0])
        let (minValues, minIndices) = m.minWithIndices(axis: 1, keepDims: true)
        #expect(minValues.shape == [2, 1])
        #expect(minIndices.toArray(Int.self) == [1, 2])
    }

    @Test func logSumExpIsStableAndExact() {
        let rows: [[Double]] = [[1, -2, 3], [4, 5, -6]]
        expectClose(m.logSumExp(axis: 1), rows.map { r in Foundation.log(r.map { Foundation.exp($0) }.reduce(0, +)) })
        let big = Tensor([1000, 1000] as [Double])
        expectClose(big.logSumExp(axis: 0), [1000 + Foundation.log(2)])
    }

    @Test func varianceAndNorms() {
        let x = Tensor([2, 4, 4, 4, 5, 5, 7, 9] as [Double])
        expectClose(x.variance(unbiased: false), [4])
        expectClose(x.variance(), [32.0 / 7])
        expectClose(x.standardDeviation(unbiased: false), [2])
        expectClose(Tensor([3, 4] as [Double]).norm(), [5])
        #expect(Tensor([true, false]).any().boolValue)
        #expect(!Tensor([true, false]).all().boolValue)
        #expect(Tensor([true, true, false, true], shape: [2, 2]).all(axes: [1]).toArray(Bool.self) == [true, false])
    }

    @Test func softmaxAndLogSoftmaxMatchDefinitions() {
        let rows: [[Double]] = [[1, -2, 3], [4, 5, -6]]
        var expected: [Double] = []
        for r in rows {
            let z = r.map { Foundation.exp($0) }.reduce(0, +)
            expected += r.map { Foundation.exp($0) / z }
        }
        expectClose(m.softmax(axis: 1), expected)
        expectClose(m.logSoftmax(axis: -1), expected.map { Foundation.log($0) })
        expectClose(m.softmax(axis: 0).sum(axis: 0), [1, 1, 1])
    }

    @Test func topKAndSortOrderValues() {
        let x = Tensor([3, 1, 4, 1, 5, 9, 2, 6] as [Double])
        let (values, indices) = x.topK(3)
        expectClose(values, [9, 6, 5])
        #expect(indices.toArray(Int.self) == [5, 7, 4])
        let (small, smallIndices) = x.topK(2, largest: false)
        expectClose(small, [1, 1])
        #expect(Set(smallIndices.toArray(Int.self)) == [1, 3])
        let (sortedValues, order) = x.sorted()
        expectClose(sortedValues, [1, 1, 2, 3, 4, 5, 6, 9])
        #expect(order.toArray(Int.self) == [1, 3, 6, 0, 2, 4, 7, 5]) // stable: the two 1s keep their order
        let (descending, _) = x.sorted(descending: true)
        expectClose(descending, [9, 6, 5, 4, 3, 2, 1, 1])
        let rowsTop = m.topK(1, axis: 1)
        expectClose(rowsTop.values, [3, 5])
    }

    @Test func cumsumAccumulatesAlongAxis() {
        expectClose(m.cumsum(axis: 1), [1, -1, 2, 4, 9, 3])
        expectClose(m.cumsum(axis: 0), [1, -2, 3, 5, 3, -3])
    }

    @Test func multinomialFollowsWeightsAndSeeds() {
        let weights = Tensor([0.0, 1.0, 3.0])
        let draws = weights.multinomial(40_000, replacement: true, generator: Generator(seed: 11)).toArray(Int.self)
        #expect(!draws.contains(0))
        let share = Double(draws.filter { $0 == 2 }.count) / Double(draws.count)
        #expect(Swift.abs(share - 0.75) < 0.01)
        let again = weights.multinomial(40_000, replacement: true, generator: Generator(seed: 11)).toArray(Int.self)
        #expect(draws == again)
        let perm = Tensor([1.0, 1.0, 1.0, 1.0]).multinomial(4, generator: Generator(seed: 3)).toArray(Int.self)
        #expect(Set(perm) == [0, 1, 2, 3])
        let batch = Tensor([[0.0, 1.0], [1.0, 0.0]]).multinomial(1, generator: Generator(seed: 1))
        #expect(batch.toArray(Int.self) == [1, 0])
        let coins = Tensor.full([10_000], 0.3, dtype: .f64).bernoulli(generator: Generator(seed: 2))
        #expect(Swift.abs(coins.mean().item() - 0.3) < 0.02)
    }
}
