import Testing
@testable import LucidTensor

/// Finite-difference checks of every differentiable op Lucid uses (f64, central differences).
@Suite("Gradient checks")
struct GradientCheckTests {
    @Test func arithmeticGradients() {
        gradCheck("add", inputs: [[2, 3], [3]]) { $0[0] + $0[1] }
        gradCheck("sub", inputs: [[2, 3], [2, 1]]) { $0[0] - $0[1] }
        gradCheck("mul", inputs: [[2, 3], [2, 3]]) { $0[0] * $0[1] }
        gradCheck("div", inputs: [[2, 3], [2, 3]], range: (0.5, 2)) { $0[0] / $0[1] }
        gradCheck("scalar ops", inputs: [[4]], range: (0.5, 2)) { 3 - 2 * $0[0] + 1 / $0[0] - $0[0] / 4 }
        gradCheck("pow scalar", inputs: [[4]], range: (0.5, 2)) { $0[0].pow(2.5) }
        gradCheck("pow tensor", inputs: [[4], [4]], range: (0.5, 2)) { $0[0].pow($0[1]) }
        gradCheck("scalar base pow", inputs: [[4]]) { Tensor.pow(base: 3.0, $0[0]) }
        gradCheck("neg", inputs: [[3]]) { -$0[0] }
        gradCheck("maximum", inputs: [[5], [5]]) { $0[0].maximum($0[1]) }
        gradCheck("minimum", inputs: [[5], [5]]) { $0[0].minimum($0[1]) }
    }

    @Test func elementwiseFunctionGradients() {
        gradCheck("exp", inputs: [[5]]) { $0[0].exp() }
        gradCheck("log", inputs: [[5]], range: (0.2, 3)) { $0[0].log() }
        gradCheck("sqrt", inputs: [[5]], range: (0.2, 3)) { $0[0].sqrt() }
        gradCheck("rsqrt", inputs: [[5]], range: (0.2, 3)) { $0[0].rsqrt() }
        gradCheck("square", inputs: [[5]]) { $0[0].square() }
        gradCheck("abs", inputs: [[5]], range: (0.1, 1)) { (-$0[0]).abs() }
        gradCheck("sin cos", inputs: [[5]]) { $0[0].sin() * $0[0].cos() }
        gradCheck("tanh", inputs: [[5]]) { $0[0].tanh() }
        gradCheck("sigmoid", inputs: [[5]]) { $0[0].sigmoid() }
        gradCheck("log sigmoid", inputs: [[5]]) { $0[0].logSigmoid() }
        gradCheck("relu", inputs: [[5]], range: (0.1, 1)) { $0[0].relu() + (-$0[0]).relu() }
        gradCheck("silu", inputs: [[5]]) { $0[0].silu() }
        gradCheck("gelu exact", inputs: [[5]], range: (-3, 3)) { $0[0].gelu() }
        gradCheck("gelu tanh", inputs: [[5]], range: (-3, 3)) { $0[0].gelu(approximation: .tanh) }
        gradCheck("quick gelu", inputs: [[5]], range: (-3, 3)) { $0[0].quickGELU() }
        gradCheck("softplus", inputs: [[5]]) { $0[0].softplus() }
        gradCheck("erf", inputs: [[5]]) { $0[0].erf() }
        gradCheck("reciprocal", inputs: [[5]], range: (0.5, 2)) { $0[0].reciprocal() }
        gradCheck("clamp", inputs: [[8]], range: (-2, 2)) { $0[0].clamped(min: -1.05, max: 1.05) }
        gradCheck("where", inputs: [[6], [6]]) { Tensor.where($0[0] .> 0, $0[0] * 2, $0[1].exp()) }
        gradCheck("masked fill", inputs: [[6]]) { $0[0].maskedFill($0[0] .< 0, 0.5) * $0[0] }
    }

    @Test func reductionGradients() {
        gradCheck("sum", inputs: [[3, 4]]) { $0[0].sum(axis: 1) }
        gradCheck("mean", inputs: [[3, 4]]) { $0[0].mean(axes: [0]) }
        gradCheck("max", inputs: [[3, 4]]) { $0[0].max(axis: 1) }
        gradCheck("min", inputs: [[3, 4]]) { $0[0].min(axis: 0) }
        gradCheck("logsumexp", inputs: [[3, 4]]) { $0[0].logSumExp(axis: -1) }
        gradCheck("softmax", inputs: [[3, 4]]) { $0[0].softmax(axis: -1) }
        gradCheck("log softmax", inputs: [[3, 4]]) { $0[0].logSoftmax(axis: 0) }
        gradCheck("variance", inputs: [[3, 4]]) { $0[0].variance(axes: [1], unbiased: false) }
        gradCheck("norm", inputs: [[3, 4]]) { $0[0].norm(axes: [1]) }
        gradCheck("cumsum", inputs: [[3, 4]]) { $0[0].cumsum(axis: 1) }
        gradCheck("product", inputs: [[2, 3]], range: (0.5, 1.5)) { $0[0].product(axes: [1]) }
        gradCheck("topk values", inputs: [[2, 5]]) { $0[0].topK(2).values }
        gradCheck("sorted values", inputs: [[2, 5]]) { $0[0].sorted(axis: 1).values }
    }

    @Test func linearAlgebraGradients() {
        gradCheck("matmul", inputs: [[3, 4], [4, 2]]) { $0[0].matmul($0[1]) }
        gradCheck("batched matmul", inputs: [[2, 3, 4], [4, 2]]) { $0[0].matmul($0[1]) }
        gradCheck("bmm", inputs: [[2, 3, 4], [2, 4, 2]]) { $0[0].bmm($0[1]) }
        gradCheck("linear", inputs: [[3, 4], [5, 4], [5]]) { $0[0].linear(weight: $0[1], bias: $0[2]) }
        gradCheck("linear, single row (gemv path)", inputs: [[1, 1, 4], [5, 4], [5]]) { $0[0].linear(weight: $0[1], bias: $0[2]) }
        gradCheck("einsum", inputs: [[2, 3, 4], [2, 5, 4]]) { Tensor.einsum("bqd,bkd->bqk", $0[0], $0[1]) }
        gradCheck("conv2d", inputs: [[1, 2, 5, 5], [3, 2, 3, 3], [3]]) {
            $0[0].conv2d(weight: $0[1], bias: $0[2], stride: (2, 1), padding: (1, 1))
        }
        gradCheck("conv2d groups", inputs: [[1, 4, 4, 4], [4, 2, 2, 2]]) { $0[0].conv2d(weight: $0[1], groups: 2) }
    }

    @Test func normalisationGradients() {
        gradCheck("layer norm", inputs: [[3, 6], [6], [6]], tolerance: 1e-5) {
            $0[0].layerNorm(normalizedShape: [6], weight: $0[1], bias: $0[2])
        }
        gradCheck("rms norm", inputs: [[3, 6], [6]], tolerance: 1e-5) { $0[0].rmsNorm(weight: $0[1], eps: 1e-6) }
    }

    @Test func shapeAndIndexingGradients() {
        gradCheck("reshape permute", inputs: [[2, 3, 4]]) { $0[0].reshaped(4, 6).transposed(0, 1).permuted(1, 0) * 2 }
        gradCheck("expand", inputs: [[1, 3]]) { $0[0].expanded([4, 3]) * Tensor.arange(0.0, 12.0, dtype: .f64).reshaped(4, 3) }
        gradCheck("repeat", inputs: [[2, 2]]) { $0[0].repeated([2, 3]) }
        gradCheck("cat", inputs: [[2, 3], [1, 3]]) { Tensor.cat([$0[0], $0[1] * 3], axis: 0) }
        gradCheck("stack", inputs: [[2, 3], [2, 3]]) { Tensor.stack([$0[0], $0[1].exp()], axis: 1) }
        gradCheck("split", inputs: [[5, 2]]) { let p = $0[0].split(sizes: [2, 3]); return p[0].sum(axis: 0) * p[1].mean(axis: 0) }
        gradCheck("narrow slice select", inputs: [[4, 6]]) {
            $0[0].narrowed(axis: 1, start: 1, length: 4).sliced(axis: 0, start: 0, end: 4, step: 2) + $0[0].selected(axis: 0, index: 3)[1..<5]
        }
        gradCheck("subscript", inputs: [[3, 4]]) { $0[0][1..., ..<2] * $0[0][0, 2] }
        gradCheck("gather", inputs: [[3, 4]]) { $0[0].gather(axis: 1, index: Tensor([0, 3, 3, 2, 1, 1], shape: [3, 2])) }
        gradCheck("index select", inputs: [[5, 3]]) { $0[0].indexSelect(axis: 0, index: Tensor([4, 0, 4])) }
        gradCheck("index copy", inputs: [[4, 3], [2, 3]]) { $0[0].indexCopying(axis: 0, index: Tensor([1, 3]), source: $0[1]) }
        gradCheck("scatter add", inputs: [[3], [4]]) { $0[0].scatterAdding(axis: 0, index: Tensor([0, 2, 2, 1]), source: $0[1]) }
        gradCheck("pad", inputs: [[2, 3]]) { $0[0].padded([1, 1, 0, 2], value: 0.5) }
        gradCheck("flip", inputs: [[2, 3]]) { $0[0].flipped(axes: [1]) * Tensor([1.0, 2.0, 3.0]) }
        gradCheck("triangle", inputs: [[3, 3]]) { $0[0].lowerTriangle() + $0[0].upperTriangle(diagonal: 1) * 2 }
        gradCheck("squeeze", inputs: [[1, 3]]) { $0[0].squeezed(axis: 0).unsqueezed(axis: 1) }
        gradCheck("dtype round trip", inputs: [[4]], h: 1e-3, tolerance: 1e-3) { $0[0].to(.f32).to(.f64) * 1 }
    }

    @Test func imageResizeGradients() {
        gradCheck("bicubic", inputs: [[1, 1, 4, 5]]) { $0[0].resizedBicubic(height: 6, width: 3) }
        gradCheck("bilinear", inputs: [[1, 2, 4, 4]]) { $0[0].resizedBilinear(height: 3, width: 5) }
        gradCheck("bilinear antialias", inputs: [[1, 1, 6, 6]]) { $0[0].resizedBilinear(height: 3, width: 3, antialias: true) }
    }
}
