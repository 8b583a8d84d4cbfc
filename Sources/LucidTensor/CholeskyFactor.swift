/// The lower-triangular Cholesky factor L of a small dense symmetric positive-definite matrix (A = L Lᵀ).
///
/// Plain Swift in Float64 for the few-hundred-dimensional systems Lucid solves (Newton steps of
/// the SCAV probes, whitening of vision features); row-major storage.
public struct CholeskyFactor: Sendable {
    /// The matrix is not positive definite (within rounding); `pivot` is the failing row.
    public struct NotPositiveDefinite: Error, Sendable {
        public let pivot: Int
    }

    public let size: Int
    /// L, row-major [size × size]; entries above the diagonal are zero.
    public let lower: [Double]

    public init(_ matrix: [Double], size n: Int) throws(NotPositiveDefinite) {
        precondition(matrix.count == n * n, "CholeskyFactor: expected \(n)×\(n) values, got \(matrix.count)")
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var sum = matrix[i * n + j]
                for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard sum > 0 else { throw NotPositiveDefinite(pivot: i) }
                    l[i * n + i] = sum.squareRoot()
                } else {
                    l[i * n + j] = sum / l[j * n + j]
                }
            }
        }
        size = n
        lower = l
    }

    /// x with A x = b.
    public func solve(_ b: [Double]) -> [Double] {
        let n = size
        let y = forwardSubstitute(b)
        var x = [Double](repeating: 0, count: n)
        for i in stride(from: n - 1, through: 0, by: -1) {
            var sum = y[i]
            for k in (i + 1)..<n { sum -= lower[k * n + i] * x[k] }
            x[i] = sum / lower[i * n + i]
        }
        return x
    }

    /// L⁻¹, row-major: a whitening matrix, since L⁻¹ A L⁻ᵀ = I.
    public func inverseLower() -> [Double] {
        let n = size
        var inverse = [Double](repeating: 0, count: n * n)
        for column in 0..<n {
            var unit = [Double](repeating: 0, count: n)
            unit[column] = 1
            let solved = forwardSubstitute(unit)
            for row in 0..<n { inverse[row * n + column] = solved[row] }
        }
        return inverse
    }

    /// y with L y = b.
    func forwardSubstitute(_ b: [Double]) -> [Double] {
        let n = size
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var sum = b[i]
            for k in 0..<i { sum -= lower[i * n + k] * y[k] }
            y[i] = sum / lower[i * n + i]
        }
        return y
    }
}
