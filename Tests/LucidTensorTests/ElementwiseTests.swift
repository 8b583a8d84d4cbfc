import Foundation
import Testing
@testable import LucidTensor

@Suite("Elementwise math and comparisons")
struct ElementwiseTests {
    let xs: [Double] = [-2.5, -1, -0.3, 0, 0.4, 1, 3.2]

    @Test func unaryFunctionsMatchFoundation() {
        let x = Tensor(xs)
        let positive = xs.map { Swift.abs($0) + 0.1 }
        let p = Tensor(positive)
        expectClose(x.exp(), xs.map { Foundation.exp($0) })
        expectClose(p.log(), positive.map { Foundation.log($0) })
        expectClose(p.sqrt(), positive.map { Foundation.sqrt($0) })
        expectClose(p.rsqrt(), positive.map { 1 / Foundation.sqrt($0) })
        expectClose(x.tanh(), xs.map { Foundation.tanh($0) })
        expectClose(x.sin(), xs.map { Foundation.sin($0) })
        expectClose(x.cos(), xs.map { Foundation.cos($0) })
        expectClose(x.erf(), xs.map { Foundation.erf($0) })
        expectClose(x.abs(), xs.map { Swift.abs($0) })
        expectClose(x.square(), xs.map { $0 * $0 })
        expectClose(x.sign(), xs.map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) })
        expectClose(x.sigmoid(), xs.map { 1 / (1 + Foundation.exp(-$0)) })
        expectClose(x.floor(), xs.map { Foundation.floor($0) })
        expectClose(x.ceil(), xs.map { Foundation.ceil($0) })
        expectClose(p.log1p(), positive.map { Foundation.log1p($0) })
        expectClose(x.expm1(), xs.map { Foundation.expm1($0) })
        expectClose(x.trunc(), xs.map { Foundation.trunc($0) })
        expectClose(-x, xs.map { -$0 })
        expectClose(p.reciprocal(), positive.map { 1 / $0 })
        expectClose(Tensor([0.5, 1.5, 2.5, -0.5]).round(), [0, 2, 2, -0])
    }

    @Test func activationsMatchTheirDefinitions() {
        let x = Tensor(xs)
        expectClose(x.relu(), xs.map { Swift.max(0, $0) })
        expectClose(x.silu(), xs.map { $0 / (1 + Foundation.exp(-$0)) })
        expectClose(x.gelu(), xs.map { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) })
        let c = (2 / Double.pi).squareRoot()
        expectClose(x.gelu(approximation: .tanh), xs.map { 0.5 * $0 * (1 + Foundation.tanh(c * ($0 + 0.044715 * $0 * $0 * $0))) })
        expectClose(x.quickGELU(), xs.map { $0 / (1 + Foundation.exp(-1.702 * $0)) })
        expectClose(x.softplus(), xs.map { Foundation.log(1 + Foundation.exp($0)) })
        expectClose(x.logSigmoid(), xs.map { -Foundation.log(1 + Foundation.exp(-$0)) })
        expectClose(x.leakyReLU(slope: 0.1), xs.map { $0 > 0 ? $0 : 0.1 * $0 })
    }

    @Test func binaryOperatorsBroadcast() {
        let a = Tensor([1, 2] as [Double], shape: [2, 1])
        let b = Tensor([10, 20, 30] as [Double], shape: [1, 3])
        #expect((a + b).shape == [2, 3])
        expectClose(a + b, [11, 21, 31, 12, 22, 32])
        expectClose(a - b, [-9, -19, -29, -8, -18, -28])
        expectClose(a * b, [10, 20, 30, 20, 40, 60])
        expectClose(b / a, [10, 20, 30, 5, 10, 15])
        expectClose(a.pow(b / 10), [1, 1, 1, 2, 4, 8])
        expectClose(a.maximum(Tensor([1.5])), [1.5, 2])
        expectClose(a.minimum(Tensor([1.5])), [1, 1.5])
    }

    @Test func scalarOperandsKeepOrPromoteTypes() {
        let ints = Tensor([1, 2, 3])
        #expect((ints + 1).dtype == .i64)
        #expect((ints + 1).toArray(Int.self) == [2, 3, 4])
        #expect((ints * 0.5).dtype == .f32)
        #expect((ints / 2).dtype == .f32)
        expectClose(ints / 2, [0.5, 1, 1.5])
        expectClose(10 - Tensor([1.0, 2.0]), [9, 8])
        expectClose(1 / Tensor([2.0, 4.0]), [0.5, 0.25])
        expectClose(2 * Tensor([2.0, 4.0]) + 1, [5, 9])
        expectClose(Tensor([5.0, -5.0]).remainder(3), [2, 1])
        expectClose(Tensor([7.0, -7.0]).floorDivide(Tensor([2.0])), [3, -4])
        expectClose(Tensor([4.0]).pow(0.5), [2])
    }

    @Test func comparisonsAndLogicGiveBools() {
        let x = Tensor([1.0, 2.0, 3.0])
        let y = Tensor([3.0, 2.0, 1.0])
        #expect((x .< y).dtype == .bool)
        #expect((x .< y).toArray(Bool.self) == [true, false, false])
        #expect((x .<= y).toArray(Bool.self) == [true, true, false])
        #expect((x .> y).toArray(Bool.self) == [false, false, true])
        #expect((x .>= 2).toArray(Bool.self) == [false, true, true])
        #expect((x .== 2).toArray(Bool.self) == [false, true, false])
        #expect((x .!= y).toArray(Bool.self) == [true, false, true])
        let p = Tensor([true, true, false])
        let q = Tensor([true, false, false])
        #expect(p.logicalAnd(q).toArray(Bool.self) == [true, false, false])
        #expect(p.logicalOr(q).toArray(Bool.self) == [true, true, false])
        #expect(p.logicalXor(q).toArray(Bool.self) == [false, true, false])
        #expect(p.logicalNot().toArray(Bool.self) == [false, false, true])
        #expect(Tensor([Double.nan, 1, .infinity]).isFinite().toArray(Bool.self) == [false, true, false])
    }

    @Test func clampRespectsEachBound() {
        let x = Tensor(xs)
        expectClose(x.clamped(min: -1, max: 1), xs.map { Swift.min(1, Swift.max(-1, $0)) })
        expectClose(x.clamped(min: 0), xs.map { Swift.max(0, $0) })
        expectClose(x.clamped(max: 0), xs.map { Swift.min(0, $0) })
        let lo = Tensor([0.0, -5.0])
        let hi = Tensor([0.5, 5.0])
        expectClose(Tensor([1.0, -6.0]).clamped(min: lo, max: hi), [0.5, -5])
    }

    @Test func inPlaceOperationsMutateStorage() {
        let t = Tensor([1.0, 2.0])
        t.addInPlace(Tensor([1.0, 1.0]))
        expectClose(t, [2, 3])
        t.addInPlace(Tensor([1.0, 1.0]), alpha: -0.5)
        expectClose(t, [1.5, 2.5])
        t.multiplyInPlace(2)
        expectClose(t, [3, 5])
        t.subtractInPlace(Tensor([1.0]))
        expectClose(t, [2, 4])
        t.multiplyInPlace(Tensor([0.5, 0.25]))
        expectClose(t, [1, 1])
        t.addInPlace(1)
        t.clampInPlace(max: 1.5)
        expectClose(t, [1.5, 1.5])
        t.copy(from: Tensor([9.0]))
        expectClose(t, [9, 9])
        let view = t[0..<1]
        view.fill(0)
        expectClose(t, [0, 9])
        #expect(t.zerosLike().toArray(Double.self) == [0, 0])
        #expect(t.onesLike().dtype == .f64)
    }
}
