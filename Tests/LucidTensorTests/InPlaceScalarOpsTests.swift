import Testing
@testable import LucidTensor

/// In-place scalar arithmetic gives the bits of the out-of-place op in every float dtype. ATen's
/// `Tensor::mul_(const Scalar&)` casts the scalar to a bf16/f16 tensor's dtype first (one rounding more
/// than `x * s` and than PyTorch's Python `x.mul_(s)`); the shim passes it as a wrapped number instead.
@Suite("in-place scalar ops")
struct InPlaceScalarOpsTests {
    @Test(arguments: [DType.bf16, .f16, .f32])
    func inPlaceScalarOpsMatchTheOutOfPlaceOps(_ dtype: DType) {
        let x = (Tensor.randn([4, 33, 72], generator: Generator(seed: 11)) * 3).to(dtype)
        let scale = 1 / Double(72).squareRoot()  // not representable in bf16 or f16
        let product = x * scale
        let scaled = x.clone()
        scaled.multiplyInPlace(scale)
        #expect(scaled.dtype == dtype && scaled.maxAbsDifference(product) == 0, "\(dtype) *=")
        let shifted = x.clone()
        shifted.addInPlace(0.1)
        #expect(shifted.maxAbsDifference(x + 0.1) == 0, "\(dtype) +=")
        // The scalar is not rounded to the dtype first: that would be another result in reduced precision.
        if dtype != .f32 {
            let roundedScale: Double = Tensor([Float(scale)], shape: [1]).to(dtype).to(.f64).item()
            #expect(product.maxAbsDifference(x * roundedScale) > 0, "\(dtype): the rounded scale gives the same bits here")
        }
    }
}
