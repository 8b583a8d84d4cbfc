import Testing
@testable import LucidTensor

@Suite("Cholesky factor")
struct CholeskyFactorTests {
    /// A = B Bᵀ + n·I for a seeded random B: symmetric positive definite.
    func spd(_ n: Int) -> [Double] {
        let b = Tensor.randn([n, n], dtype: .f64, generator: Generator(seed: 9))
        return (b.matmul(b.transposed(0, 1)) + Tensor.eye(n, dtype: .f64) * Double(n)).toArray(Double.self)
    }

    @Test func solveInvertsTheMatrix() throws {
        let n = 12
        let a = spd(n)
        let b = (0..<n).map { Double($0) - 4.5 }
        let x = try CholeskyFactor(a, size: n).solve(b)
        for i in 0..<n {
            let row = (0..<n).reduce(0.0) { $0 + a[i * n + $1] * x[$1] }
            #expect(abs(row - b[i]) < 1e-10)
        }
    }

    @Test func inverseLowerWhitensTheMatrix() throws {
        let n = 10
        let a = Tensor(spd(n), shape: [n, n])
        let w = Tensor(try CholeskyFactor(a.toArray(Double.self), size: n).inverseLower(), shape: [n, n])
        let whitened = w.matmul(a).matmul(w.transposed(0, 1))
        #expect((whitened - Tensor.eye(n, dtype: .f64)).abs().max().item() < 1e-10)
        // L⁻¹ is lower triangular.
        let values = w.toArray(Double.self)
        #expect((0..<n).allSatisfy { i in ((i + 1)..<n).allSatisfy { values[i * n + $0] == 0 } })
    }

    @Test func indefiniteMatrixNamesTheFailingPivot() {
        let a: [Double] = [4, 2, 0,
                           2, 1, 0,
                           0, 0, 3]
        #expect(throws: CholeskyFactor.NotPositiveDefinite.self) { try CholeskyFactor(a, size: 3) }
        do { _ = try CholeskyFactor(a, size: 3) } catch { #expect(error.pivot == 1) }
    }
}
