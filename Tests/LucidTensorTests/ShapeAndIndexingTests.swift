import Testing
@testable import LucidTensor

@Suite("Shapes, views and indexing")
struct ShapeAndIndexingTests {
    // 2×3×4 tensor holding 0…23 in row-major order.
    let t = Tensor((0..<24).map(Double.init), shape: [2, 3, 4])

    func value(_ i: Int, _ j: Int, _ k: Int) -> Double { Double(i * 12 + j * 4 + k) }

    @Test func reshapeKeepsRowMajorOrder() {
        let r = t.reshaped(6, -1)
        #expect(r.shape == [6, 4])
        #expect(r.toArray(Double.self) == t.toArray(Double.self))
        #expect(t.flattened().shape == [24])
        #expect(t.flattened(from: 1).shape == [2, 12])
    }

    @Test func permuteAndTransposeMoveElements() {
        let p = t.permuted(2, 0, 1)
        #expect(p.shape == [4, 2, 3])
        #expect(p[3, 1, 2].item() == value(1, 2, 3))
        let tr = t.transposed(0, 2)
        #expect(tr.shape == [4, 3, 2])
        #expect(tr[1, 2, 0].item() == value(0, 2, 1))
        #expect(!tr.isContiguous)
        #expect(tr.contiguous().isContiguous)
        #expect(t.mT.shape == [2, 4, 3])
    }

    @Test func expandRepeatSqueezeUnsqueeze() {
        let row = Tensor([1.0, 2.0, 3.0]).unsqueezed(axis: 0)
        #expect(row.shape == [1, 3])
        let e = row.expanded([4, 3])
        #expect(e.shape == [4, 3])
        #expect(e.sum().item() == 24)
        #expect(row.repeated([2, 2]).toArray(Double.self) == [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3])
        #expect(row.squeezed(axis: 0).shape == [3])
        #expect(e.expanded([2, 4, 3]).shape == [2, 4, 3])
    }

    @Test func catStackSplit() {
        let a = Tensor([1.0, 2.0], shape: [1, 2])
        let b = Tensor([3.0, 4.0, 5.0, 6.0], shape: [2, 2])
        let c = Tensor.cat([a, b], axis: 0)
        #expect(c.shape == [3, 2])
        #expect(c.toArray(Double.self) == [1, 2, 3, 4, 5, 6])
        let s = Tensor.stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])], axis: 1)
        #expect(s.shape == [2, 2])
        #expect(s.toArray(Double.self) == [1, 3, 2, 4])
        let pieces = t.split(size: 3, axis: 2)
        #expect(pieces.map(\.shape) == [[2, 3, 3], [2, 3, 1]])
        #expect(pieces[1][0, 0, 0].item() == value(0, 0, 3))
        let uneven = t.split(sizes: [1, 2], axis: 1)
        #expect(uneven.map(\.shape) == [[2, 1, 4], [2, 2, 4]])
        #expect(Tensor.cat(uneven, axis: 1).toArray(Double.self) == t.toArray(Double.self))
    }

    @Test func narrowSliceSelectAndSubscripts() {
        #expect(t.narrowed(axis: 2, start: 1, length: 2).shape == [2, 3, 2])
        #expect(t.sliced(axis: 2, start: 0, end: 4, step: 2).toArray(Double.self).prefix(2) == [0, 2])
        #expect(t.selected(axis: 1, index: -1).shape == [2, 4])
        #expect(t[1, 2, 3].item() == 23)
        #expect(t[-1, -1, -1].item() == 23)
        #expect(t[0].shape == [3, 4])
        #expect(t[TensorIndex.all, 1].shape == [2, 4])
        #expect(t[TensorIndex.all, 1][1, 0].item() == value(1, 1, 0))
        #expect(t[0, 1..<3].shape == [2, 4])
        #expect(t[0, 1...].shape == [2, 4])
        #expect(t[0, ..<1].shape == [1, 4])
        #expect(t[0, ...1].shape == [2, 4])
        #expect(t[0, (-2)...].shape == [2, 4])
        #expect(t[0, 0, TensorIndex.range(nil, nil, step: 2)].toArray(Double.self) == [0, 2])
        #expect(t[TensorIndex.newAxis].shape == [1, 2, 3, 4])
        #expect(t[0, 0, 10...].shape == [0])
        #expect(t.flipped(axes: [2])[0, 0, 0].item() == 3)
    }

    @Test func subscriptAssignmentWritesIntoTheView() {
        let x = Tensor.zeros([2, 3], dtype: .f64)
        x[1] = Tensor([1.0, 2.0, 3.0])
        x[0, 1..<3] = Tensor.full([2], 7, dtype: .f64)
        #expect(x.toArray(Double.self) == [0, 7, 7, 1, 2, 3])
    }

    @Test func gatherScatterIndexSelect() {
        let m = Tensor([10, 11, 12, 20, 21, 22] as [Double], shape: [2, 3])
        let g = m.gather(axis: 1, index: Tensor([2, 0, 1, 1], shape: [2, 2]))
        #expect(g.toArray(Double.self) == [12, 10, 21, 21])
        #expect(m.indexSelect(axis: 0, index: Tensor([1, 1, 0])).toArray(Double.self) == [20, 21, 22, 20, 21, 22, 10, 11, 12])
        #expect(m.indexSelect(axis: 1, index: Tensor([2])).toArray(Double.self) == [12, 22])
        let scattered = Tensor.zeros([2, 3], dtype: .f64).scattering(axis: 1, index: Tensor([1, 2], shape: [2, 1]),
                                                                     source: Tensor([5.0, 6.0], shape: [2, 1]))
        #expect(scattered.toArray(Double.self) == [0, 5, 0, 0, 0, 6])
        let added = Tensor.zeros([3], dtype: .f64).scatterAdding(axis: 0, index: Tensor([0, 0, 2]), source: Tensor([1.0, 2.0, 3.0]))
        #expect(added.toArray(Double.self) == [3, 0, 3])
        let copied = m.indexCopying(axis: 0, index: Tensor([0]), source: Tensor([1.0, 2.0, 3.0], shape: [1, 3]))
        #expect(copied.toArray(Double.self) == [1, 2, 3, 20, 21, 22])
    }

    @Test func maskedFillWhereNonzero() {
        let x = Tensor([1.0, -2.0, 3.0, -4.0])
        let negative = x .< 0
        #expect(x.maskedFill(negative, 0).toArray(Double.self) == [1, 0, 3, 0])
        #expect(x.maskedFill(negative, -Double.infinity).toArray(Double.self)[1] == -.infinity)
        #expect(Tensor.where(negative, -x, x * 10).toArray(Double.self) == [10, 2, 30, 4])
        #expect(x.maskedSelect(negative).toArray(Double.self) == [-2, -4])
        #expect(negative.nonzero().toArray(Int.self) == [1, 3])
        let causal = Tensor.ones([3, 3], dtype: .f64).upperTriangle(diagonal: 1)
        #expect(causal.toArray(Double.self) == [0, 1, 1, 0, 0, 1, 0, 0, 0])
        #expect(Tensor.ones([2, 2], dtype: .f64).lowerTriangle().toArray(Double.self) == [1, 0, 1, 1])
    }

    @Test func padAddsConstantBorders() {
        let x = Tensor([1.0, 2.0], shape: [1, 2])
        let p = x.padded([1, 2, 1, 0], value: -1)
        #expect(p.shape == [2, 5])
        #expect(p.toArray(Double.self) == [-1, -1, -1, -1, -1, -1, 1, 2, -1, -1])
    }
}
