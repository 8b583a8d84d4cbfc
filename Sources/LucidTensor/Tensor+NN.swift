import CTorch

// Linear algebra, activations, normalisation and convolution.

/// How GELU is evaluated: exactly (erf), or with the tanh approximation.
public enum GELUApproximation: Sendable {
    case none
    case tanh
}

extension Tensor {
    /// Matrix product with NumPy semantics (1-D, 2-D and broadcast batched operands).
    public func matmul(_ other: Tensor) -> Tensor { Tensor.make("matmul") { lt_matmul(handle, other.handle, $0) } }

    /// Batched matrix product of [B, n, m] and [B, m, p].
    public func bmm(_ other: Tensor) -> Tensor { Tensor.make("bmm") { lt_bmm(handle, other.handle, $0) } }

    /// `x · weightᵀ + bias` over the last dimension (weight is [out, in], as in PyTorch).
    ///
    /// Decoding is bound by reading weights, so the shim avoids BLAS gemm (which packs the whole
    /// weight on every call) for small inputs: a single row uses gemv; without autograd, f32 inputs
    /// of 2 to 32 rows (beams, contrastive branches, OPERA's candidates) go through a kernel that
    /// reads the weight once for all rows. Results agree with gemm to float rounding.
    public func linear(weight: Tensor, bias: Tensor? = nil) -> Tensor {
        withExtendedLifetime(bias) {
            Tensor.make("linear") { lt_linear(handle, weight.handle, bias?.handle, $0) }
        }
    }

    /// Softmax along `axis`.
    public func softmax(axis: Int = -1) -> Tensor { Tensor.make("softmax") { lt_softmax(handle, Int64(axis), $0) } }

    /// Softmax along `axis` computed in at least `dtype`'s precision (e.g. f32 for half inputs, as
    /// Hugging Face attention does); f64 inputs stay f64 rather than losing precision.
    public func softmax(axis: Int = -1, computeIn dtype: DType) -> Tensor {
        (self.dtype == dtype || self.dtype == .f64 ? self : to(dtype)).softmax(axis: axis)
    }

    /// Log-softmax along `axis`.
    public func logSoftmax(axis: Int = -1) -> Tensor {
        Tensor.make("log_softmax") { lt_log_softmax(handle, Int64(axis), $0) }
    }

    public func relu() -> Tensor { unary(LT_RELU, "relu") }
    public func sigmoid() -> Tensor { unary(LT_SIGMOID, "sigmoid") }
    public func logSigmoid() -> Tensor { unary(LT_LOG_SIGMOID, "log_sigmoid") }
    public func softplus() -> Tensor { unary(LT_SOFTPLUS, "softplus") }
    public func leakyReLU(slope: Double = 0.01) -> Tensor { Tensor.make("leaky_relu") { lt_leaky_relu(handle, slope, $0) } }
    /// SiLU (swish): x·σ(x), used by Llama's SwiGLU.
    public func silu() -> Tensor { unary(LT_SILU, "silu") }

    /// GELU; `.none` is the exact erf form (HF `gelu`), `.tanh` the approximation (HF `gelu_pytorch_tanh`).
    public func gelu(approximation: GELUApproximation = .none) -> Tensor {
        approximation == .none ? unary(LT_GELU, "gelu") : unary(LT_GELU_TANH, "gelu_tanh")
    }

    /// Quick-GELU, x·σ(1.702x), the activation of OpenAI CLIP.
    public func quickGELU() -> Tensor { self * (self * 1.702).sigmoid() }

    /// Layer normalisation over the trailing `normalizedShape` dimensions (biased variance).
    public func layerNorm(normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5) -> Tensor {
        withExtendedLifetime((weight, bias)) {
            withInt64s(normalizedShape) { dims, n in
                Tensor.make("layer_norm") { lt_layer_norm(handle, dims, n, weight?.handle, bias?.handle, eps, $0) }
            }
        }
    }

    /// RMS normalisation over the last dimension: x / √(mean(x²) + ε) · weight.
    ///
    /// Half-precision inputs are computed in f32 and cast back before the weight, as Hugging Face's
    /// `LlamaRMSNorm` does, so f16/bf16 models match it; f32 and f64 stay in their own precision.
    public func rmsNorm(weight: Tensor?, eps: Double) -> Tensor {
        if dtype == .f16 || dtype == .bf16 {
            // One call (a fused pass for decoding's few bf16 rows without autograd on the CPU; ctorch.h says where it may differ).
            return withExtendedLifetime(weight) { Tensor.make("rms_norm") { lt_rms_norm_half(handle, weight?.handle, eps, $0) } }
        }
        let normed = self * (square().mean(axis: -1, keepDims: true) + eps).rsqrt()
        guard let weight else { return normed }
        return weight * normed
    }

    /// Rotary position embedding in the rotate-half convention: self·cos + rotate_half(self)·sin, where
    /// rotate_half(x) = cat(−x[…, d/2…], x[…, …d/2]) over the last axis.
    ///
    /// Without autograd, for f32/bf16/f16 CPU tensors of one dtype whose tables broadcast to this shape
    /// (rank ≤ 4), one pass with the same roundings as the ops above (bit-identical; transformers'
    /// `apply_rotary_pos_emb`); otherwise those ops, with gradients.
    public func rotaryEmbedding(cos: Tensor, sin: Tensor) -> Tensor {
        Tensor.make("rotary_embedding") { lt_rotary_apply(handle, cos.handle, sin.handle, $0) }
    }

    /// 3-D convolution of [N, C, D, H, W] input with [O, C, kD, kH, kW] weights, no padding or dilation.
    public func conv3d(weight: Tensor, bias: Tensor? = nil, stride: (Int, Int, Int)) -> Tensor {
        withExtendedLifetime(bias) {
            withInt64s([stride.0, stride.1, stride.2]) { s, _ in
                Tensor.make("conv3d") { lt_conv3d_strided(handle, weight.handle, bias?.handle, s, $0) }
            }
        }
    }

    /// 2-D convolution of [N, C, H, W] input with [O, C/groups, kH, kW] weights.
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                       dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
        withExtendedLifetime(bias) {
            withInt64s([stride.0, stride.1]) { s, _ in
                withInt64s([padding.0, padding.1]) { p, _ in
                    withInt64s([dilation.0, dilation.1]) { d, _ in
                        Tensor.make("conv2d") { lt_conv2d(handle, weight.handle, bias?.handle, s, p, d, Int64(groups), $0) }
                    }
                }
            }
        }
    }

    /// Resizes [N, C, H, W] images with bicubic interpolation (PyTorch's, a = −0.75).
    public func resizedBicubic(height: Int, width: Int, alignCorners: Bool = false) -> Tensor {
        Tensor.make("upsample_bicubic2d") { lt_interpolate_bicubic(handle, Int64(height), Int64(width), alignCorners, $0) }
    }

    /// Resizes [N, C, H, W] images with bilinear interpolation, optionally anti-aliased.
    public func resizedBilinear(height: Int, width: Int, alignCorners: Bool = false, antialias: Bool = false) -> Tensor {
        Tensor.make("upsample_bilinear2d") {
            lt_interpolate_bilinear(handle, Int64(height), Int64(width), alignCorners, antialias, $0)
        }
    }

    /// Causal attention softmax(q·kᵀ·`scale`)·v of q [B, H, T, D] with k and v [B, H_kv, T, D] (H a
    /// multiple of H_kv), through libtorch's fused kernel: the [T, T] scores are never materialised.
    /// The same values as the explicit product up to summation order (last bits).
    public static func causalAttention(query q: Tensor, key k: Tensor, value v: Tensor, scale: Double) -> Tensor {
        Tensor.make("scaled_dot_product_attention") { lt_causal_attention(q.handle, k.handle, v.handle, scale, $0) }
    }

    /// Attention softmax(q·kᵀ·`scale`)·v of q [B, H, T, D] with k and v [B, H, S, D], every query seeing
    /// every key (a vision tower's, the Q-Former's), through libtorch's fused kernel, as transformers' sdpa
    /// runs them: no mask, not causal. 4-D operands reach the CPU's flash kernel; other ranks its math one.
    public static func bidirectionalAttention(query q: Tensor, key k: Tensor, value v: Tensor, scale: Double) -> Tensor {
        Tensor.make("scaled_dot_product_attention") { lt_bidirectional_attention(q.handle, k.handle, v.handle, scale, $0) }
    }

    /// Attention softmax(q·kᵀ·`scale`)·v under a boolean `mask` [B, 1, T, S] (true = attend), through
    /// libtorch's fused kernel, as transformers' sdpa runs a padded batch: k and v [B, H_kv, S, D] are
    /// repeated to q's H heads first. A row that attends nowhere gets zeros (libtorch's safe softmax).
    public static func maskedAttention(query q: Tensor, key k: Tensor, value v: Tensor, mask: Tensor, scale: Double) -> Tensor {
        Tensor.make("scaled_dot_product_attention") { lt_masked_attention(q.handle, k.handle, v.handle, mask.handle, scale, $0) }
    }

    /// Einstein summation, e.g. `Tensor.einsum("bhqd,bhkd->bhqk", q, k)`.
    public static func einsum(_ equation: String, _ operands: Tensor...) -> Tensor {
        withHandles(operands) { hs, n in Tensor.make("einsum") { lt_einsum(equation, hs, n, $0) } }
    }
}
