import Foundation
import Testing
@testable import LucidTensor

/// Asserts two sequences are elementwise within `atol + rtol·|expected|`.
func expectClose(_ actual: [Double], _ expected: [Double], atol: Double = 1e-5, rtol: Double = 1e-5,
                 _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, comment, sourceLocation: sourceLocation)
    guard actual.count == expected.count else { return }
    var worst = 0.0
    var worstIndex = -1
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        let excess = Swift.abs(a - e) - (atol + rtol * Swift.abs(e))
        if !(excess <= worst) || a.isNaN != e.isNaN { worst = excess.isNaN ? .infinity : excess; worstIndex = i }
    }
    #expect(worstIndex < 0,
            "element \(worstIndex): got \(worstIndex >= 0 ? actual[worstIndex] : 0), expected \(worstIndex >= 0 ? expected[worstIndex] : 0) \(comment.map { "(\($0))" } ?? "")",
            sourceLocation: sourceLocation)
}

func expectClose(_ actual: Tensor, _ expected: [Double], atol: Double = 1e-5, rtol: Double = 1e-5,
                 _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    expectClose(actual.toArray(Double.self), expected, atol: atol, rtol: rtol, comment, sourceLocation: sourceLocation)
}

/// Deterministic pseudo-random doubles in [lo, hi), independent of libtorch (SplitMix64).
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform(_ lo: Double = -1, _ hi: Double = 1) -> Double {
        lo + (hi - lo) * Double(next() >> 11) / Double(1 << 53)
    }
    mutating func array(_ n: Int, _ lo: Double = -1, _ hi: Double = 1) -> [Double] {
        (0..<n).map { _ in uniform(lo, hi) }
    }
}

/// Compares the autograd gradient of `f` with central finite differences, in f64.
///
/// The scalar checked is Σ f(x)·w for a fixed random w, so every output element contributes with
/// a distinct weight. Inputs are perturbed one element at a time by ±h.
func gradCheck(_ name: String, inputs shapes: [[Int]], range: (Double, Double) = (-1, 1), seed: UInt64 = 7,
               h: Double = 1e-6, tolerance: Double = 1e-6,
               sourceLocation: SourceLocation = #_sourceLocation, _ f: ([Tensor]) -> Tensor) {
    var random = TestRandom(seed: seed)
    let values = shapes.map { random.array($0.reduce(1, *), range.0, range.1) }
    let leaves = zip(values, shapes).map { Tensor($0, shape: $1) }
    for leaf in leaves { leaf.requiresGrad = true }
    let output = f(leaves)
    let weights = Tensor(random.array(output.count), shape: output.shape)
    (output * weights).sum().backward()

    func evaluate(_ perturbed: [[Double]]) -> Double {
        withNoGrad {
            let xs = zip(perturbed, shapes).map { Tensor($0, shape: $1) }
            return (f(xs) * weights).sum().item()
        }
    }
    for (k, leaf) in leaves.enumerated() {
        guard let analytic = leaf.grad?.toArray(Double.self) else {
            Issue.record("\(name): input \(k) received no gradient", sourceLocation: sourceLocation)
            continue
        }
        var numeric = [Double](repeating: 0, count: values[k].count)
        for i in 0..<values[k].count {
            var plus = values
            var minus = values
            plus[k][i] += h
            minus[k][i] -= h
            numeric[i] = (evaluate(plus) - evaluate(minus)) / (2 * h)
        }
        expectClose(analytic, numeric, atol: tolerance, rtol: tolerance, "\(name) d/dinput\(k)", sourceLocation: sourceLocation)
    }
}
