import Foundation
import LucidTensor

/// L2-regularised logistic regression solved exactly (Newton's method), in float64.
///
/// Minimises Σᵢ log(1 + exp(−yᵢ(wᵀxᵢ + b))) + ‖w‖² / (2C) with the intercept unpenalised: the
/// objective of scikit-learn's `LogisticRegression(penalty="l2", C=C)` (SCAV's probe with the
/// `saga` solver). The optimum is unique, so any solver that converges reaches the same (w, b).
public struct LogisticRegression: Sendable {
    public var inverseRegularization: Double
    public var maxIterations: Int
    /// Stop when the gradient's max-norm is below this.
    public var tolerance: Double

    public init(inverseRegularization: Double = 1, maxIterations: Int = 100, tolerance: Double = 1e-9) {
        self.inverseRegularization = inverseRegularization
        self.maxIterations = maxIterations
        self.tolerance = tolerance
    }

    /// The fitted weight [D] and bias for features [N, D] and labels 0/1.
    public func fit(features: Tensor, labels: [Int]) throws -> (weight: [Double], bias: Double, iterations: Int) {
        let n = features.size(0), d = features.size(1)
        guard n == labels.count, n > 0 else { throw AttackError("logistic regression: \(n) feature rows but \(labels.count) labels") }
        guard Set(labels).isSubset(of: [0, 1]), Set(labels).count == 2 else { throw AttackError("logistic regression needs labels of both classes (0 and 1)") }
        // Augmented design [X, 1] so the intercept is the last coordinate.
        let x = Tensor.cat([features.to(.f64), Tensor.ones([n, 1], dtype: .f64)], axis: 1)
        let y = Tensor(labels.map(Double.init), shape: [n, 1])
        var theta = Tensor.zeros([d + 1, 1], dtype: .f64)
        var penalty = [Double](repeating: 1 / inverseRegularization, count: d + 1)
        penalty[d] = 0
        let penaltyTensor = Tensor(penalty, shape: [d + 1, 1])
        var iterations = 0
        for iteration in 1...maxIterations {
            iterations = iteration
            let p = x.matmul(theta).sigmoid()
            let gradient = x.transposed(0, 1).matmul(p - y) + penaltyTensor * theta
            if gradient.abs().max().item() < tolerance { break }
            let s = p * (1 - p)
            let hessian = x.transposed(0, 1).matmul(x * s) + Tensor.eye(d + 1, dtype: .f64) * (penaltyTensor + 1e-12)
            let factor: CholeskyFactor
            do { factor = try CholeskyFactor(hessian.toArray(Double.self), size: d + 1) } catch {
                throw AttackError("logistic regression: the Hessian is not positive definite (collinear features?)")
            }
            let step = factor.solve(gradient.reshaped(-1).toArray(Double.self))
            // Damped Newton: halve the step until the objective does not increase.
            let current = objective(x: x, y: y, theta: theta, penalty: penaltyTensor)
            var scale = 1.0
            var candidate = theta - Tensor(step, shape: [d + 1, 1]) * scale
            while objective(x: x, y: y, theta: candidate, penalty: penaltyTensor) > current + 1e-12, scale > 1e-6 {
                scale /= 2
                candidate = theta - Tensor(step, shape: [d + 1, 1]) * scale
            }
            theta = candidate
        }
        let values = theta.reshaped(-1).toArray(Double.self)
        return (Array(values[0..<d]), values[d], iterations)
    }

    func objective(x: Tensor, y: Tensor, theta: Tensor, penalty: Tensor) -> Double {
        let z = x.matmul(theta)
        // log(1 + e^z) − y·z, stably: softplus(z) − y z.
        let loss = (z.softplus() - y * z).sum().item()
        return loss + 0.5 * (penalty * theta * theta).sum().item()
    }
}
