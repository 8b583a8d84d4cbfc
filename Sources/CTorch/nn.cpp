// nn.cpp — the shim's linear algebra and neural-network primitives, with the fast paths decoding takes
// (the few-row linear and attention kernels, bf16 RMSNorm, widened half-precision products) before
// falling back to ATen.

#include "kernels.h"
#include "shim.h"

#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <cmath>

using namespace lucid_shim;

extern "C" {

// ---- linear algebra and neural-network primitives ----

// a [..., M, K] · b [..., K, N] in bf16 for a few rows (M ≤ 8) without autograd, the same batch axes on
// both sides, on AVX-512 or AVX2: a bf16 decoder's attention (q · kᵀ over the cache, probabilities · v), which
// at::matmul sends through oneDNN at ~20 µs a call whatever the size. f32 accumulation and one
// rounding per entry, as at::matmul. b must be a transposed row-major matrix (kᵀ: stride(-2) = 1,
// stride(-1) = K) or row-major (v: stride(-1) = 1) per batch entry; anything else returns undefined.
static at::Tensor matmul_few_bf16_rows(const at::Tensor &a, const at::Tensor &b) {
  if (a.scalar_type() != at::kBFloat16 || b.scalar_type() != at::kBFloat16 || !a.device().is_cpu() || !b.device().is_cpu())
    return {};
  if (a.dim() < 2 || a.dim() != b.dim() || a.sizes().slice(0, a.dim() - 2) != b.sizes().slice(0, b.dim() - 2)) return {};
  const int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  if (m < 1 || m > 8 || k < 1 || n < 1 || b.size(-2) != k || !lt_small_linear_bf16_row_enabled()) return {};
  if (at::GradMode::is_enabled() && (a.requires_grad() || b.requires_grad())) return {};
  const bool transposed = b.stride(-2) == 1 && b.stride(-1) == k;
  const bool rowMajor = b.stride(-1) == 1 && b.stride(-2) >= n;
  if (!transposed && !rowMajor) return {};
  const at::Tensor ac = a.contiguous();
  std::vector<int64_t> sizes = a.sizes().vec();
  sizes.back() = n;
  at::Tensor y = at::empty(sizes, a.options());
  const int64_t batchAxes = a.dim() - 2;
  int64_t batches = 1;
  for (int64_t axis = 0; axis < batchAxes; ++axis) batches *= a.size(axis);
  const auto *x = reinterpret_cast<const uint16_t *>(ac.data_ptr<at::BFloat16>());
  const auto *base = reinterpret_cast<const uint16_t *>(b.data_ptr<at::BFloat16>());
  auto *out = reinterpret_cast<uint16_t *>(y.data_ptr<at::BFloat16>());
  for (int64_t batch = 0; batch < batches; ++batch) {
    int64_t offset = 0;
    for (int64_t axis = batchAxes - 1, rest = batch; axis >= 0; --axis) {
      offset += (rest % b.size(axis)) * b.stride(axis);
      rest /= b.size(axis);
    }
    for (int64_t row = 0; row < m; ++row) {
      const uint16_t *xr = x + (batch * m + row) * k;
      uint16_t *yr = out + (batch * m + row) * n;
      if (transposed) lt_small_linear_bf16_row(xr, base + offset, k, n, nullptr, yr);
      else lt_small_linear_bf16_row_times_matrix(xr, base + offset, k, b.stride(-2), n, yr);
    }
  }
  return y;
}

static at::Tensor matmul_forward(const at::Tensor &a, const at::Tensor &b) {
  at::Tensor fast = matmul_few_bf16_rows(a, b);
  if (fast.defined()) return fast;
  at::Tensor widened = lt_widened_matmul(a, b);
  return widened.defined() ? widened : at::matmul(a, b);
}

int32_t lt_matmul(lt_tensor a, lt_tensor b, lt_tensor *out) { LT_TRY(*out = wrap(matmul_forward(T(a), T(b)))) }
int32_t lt_bmm(lt_tensor a, lt_tensor b, lt_tensor *out) { LT_TRY(*out = wrap(at::bmm(T(a), T(b)))) }

// x · wᵀ + bias. Without autograd, f32 inputs of 2 to 32 rows go through small_linear.cpp (one pass
// over the weight, blocked for cache), and so does a single row on AVX-512 and AVX2 CPUs (faster than
// MKL's gemv on both: docs/engine.md). Otherwise (other CPUs) a single f32 row uses matrix-vector
// multiplication (BLAS gemv reads the weight once; gemm would pack it first).
// bf16/f16 batches and autograd below AVX-512: widened_products.cpp. Everything else is at::linear.
static at::Tensor linear_forward(const at::Tensor &x, const at::Tensor &w, const c10::optional<at::Tensor> &b) {
  const bool shapes = w.dim() == 2 && x.dim() >= 1 && x.size(-1) == w.size(1) && x.device().is_cpu() && w.device().is_cpu();
  const int64_t in = shapes ? w.size(1) : 1;
  const int64_t rows = shapes && in > 0 ? x.numel() / in : 0;
  const bool needsGrad = at::GradMode::is_enabled() && (x.requires_grad() || w.requires_grad() || (b && b->requires_grad()));
  const bool f32 = x.scalar_type() == at::kFloat && w.scalar_type() == at::kFloat && (!b || b->scalar_type() == at::kFloat);
  if (lt_small_linear_enabled() && shapes && f32 && !needsGrad && (rows >= 2 || (rows == 1 && lt_small_linear_single_row())) && rows <= 32 && (!b || (b->dim() == 1 && b->size(0) == w.size(0)))) {
    const at::Tensor xc = x.contiguous(), wc = w.contiguous();
    const c10::optional<at::Tensor> bc = b ? c10::optional<at::Tensor>(b->contiguous()) : c10::nullopt;
    std::vector<int64_t> sizes = x.sizes().vec();
    sizes.back() = w.size(0);
    at::Tensor y = at::empty(sizes, x.options());
    lt_small_linear_f32(xc.data_ptr<float>(), rows, wc.data_ptr<float>(), in, w.size(0), bc ? bc->data_ptr<float>() : nullptr,
                        y.data_ptr<float>());
    return y;
  }
  // Up to 8 bf16 rows (batch-1 decoding, beams, contrastive branches) on AVX-512 or AVX2
  // (small_linear_bf16.cpp), each weight row read once for all of them: f32 accumulation, the bias
  // added in f32 and one rounding to bf16 at the end, as at::linear (oneDNN) does; bf16 in and out.
  // Two or more rows only while they fit in the L1 cache as lt_small_linear_bf16_rows_fit says
  // (wider ones are faster in oneDNN); one row always: its single stream beats oneDNN at every width.
  const bool bf16 = x.scalar_type() == at::kBFloat16 && w.scalar_type() == at::kBFloat16 && (!b || b->scalar_type() == at::kBFloat16);
  const bool rowsFit = rows == 1 || (bf16 && rows <= 8 && lt_small_linear_bf16_rows_fit(rows, in, at::get_num_threads()));
  if (shapes && rows >= 1 && rowsFit && bf16 && !needsGrad && lt_small_linear_bf16_row_enabled() && (!b || (b->dim() == 1 && b->size(0) == w.size(0)))) {
    const at::Tensor xc = x.contiguous(), wc = w.contiguous();
    const c10::optional<at::Tensor> bc = b ? c10::optional<at::Tensor>(b->contiguous()) : c10::nullopt;
    std::vector<int64_t> sizes = x.sizes().vec();
    sizes.back() = w.size(0);
    at::Tensor y = at::empty(sizes, x.options());
    const auto bits = [](const at::Tensor &t) { return reinterpret_cast<const uint16_t *>(t.data_ptr<at::BFloat16>()); };
    lt_small_linear_bf16_rows(bits(xc), rows, bits(wc), in, w.size(0), bc ? bits(*bc) : nullptr,
                              reinterpret_cast<uint16_t *>(y.data_ptr<at::BFloat16>()));
    return y;
  }
  // f32 only: in bf16/f16 a separate bias add would round twice where at::linear (addmm) rounds
  // once, as transformers' F.linear does.
  if (shapes && rows == 1 && f32) {
    std::vector<int64_t> sizes = x.sizes().vec();
    sizes.back() = w.size(0);
    at::Tensor y = at::matmul(w, x.reshape({in}));
    if (b) y = y + *b;
    return y.reshape(sizes);
  }
  at::Tensor widened = lt_widened_linear(x, w, b);
  return widened.defined() ? widened : at::linear(x, w, b);
}

int32_t lt_causal_attention(lt_tensor q, lt_tensor k, lt_tensor v, double scale, lt_tensor *out) {
  LT_TRY({
    const bool grouped = T(q).size(1) != T(k).size(1);
    *out = wrap(at::scaled_dot_product_attention(T(q), T(k), T(v), /*attn_mask=*/c10::nullopt, /*dropout_p=*/0.0,
                                                 /*is_causal=*/true, scale, /*enable_gqa=*/grouped));
  })
}
int32_t lt_bidirectional_attention(lt_tensor q, lt_tensor k, lt_tensor v, double scale, lt_tensor *out) {
  // transformers' sdpa path of a vision tower or the Q-Former: no mask, not causal, heads as given.
  LT_TRY(*out = wrap(at::scaled_dot_product_attention(T(q), T(k), T(v), /*attn_mask=*/c10::nullopt, /*dropout_p=*/0.0,
                                                      /*is_causal=*/false, scale)))
}
int32_t lt_masked_attention(lt_tensor q, lt_tensor k, lt_tensor v, lt_tensor mask, double scale, lt_tensor *out) {
  LT_TRY({
    // transformers' repeat_kv: with a mask its sdpa path repeats the shared key/value heads (enable_gqa
    // only without one), so the kernel sees the same operands.
    auto repeated = [&](const at::Tensor &x) {
      const int64_t groups = T(q).size(1) / x.size(1);
      if (groups == 1) return x;
      return x.unsqueeze(2).expand({x.size(0), x.size(1), groups, x.size(2), x.size(3)})
          .reshape({x.size(0), x.size(1) * groups, x.size(2), x.size(3)});
    };
    *out = wrap(at::scaled_dot_product_attention(T(q), repeated(T(k)), repeated(T(v)), T(mask), /*dropout_p=*/0.0,
                                                 /*is_causal=*/false, scale));
  })
}
int32_t lt_linear(lt_tensor x, lt_tensor w, lt_tensor bias, lt_tensor *out) {
  LT_TRY(*out = wrap(linear_forward(T(x), T(w), opt(bias))))
}
int32_t lt_conv2d(lt_tensor x, lt_tensor w, lt_tensor bias, const int64_t *stride, const int64_t *padding,
                  const int64_t *dilation, int64_t groups, lt_tensor *out) {
  LT_TRY({
    at::Tensor y = lt_widened_conv2d(T(x), T(w), opt(bias), dims(stride, 2), dims(padding, 2), dims(dilation, 2), groups);
    *out = wrap(y.defined() ? y : at::conv2d(T(x), T(w), opt(bias), dims(stride, 2), dims(padding, 2), dims(dilation, 2), groups));
  })
}
int32_t lt_conv3d_strided(lt_tensor x, lt_tensor w, lt_tensor bias, const int64_t *stride, lt_tensor *out) {
  LT_TRY(*out = wrap(at::conv3d(T(x), T(w), opt(bias), dims(stride, 3))))
}
// One pass per row of a contiguous bf16 x: the f32 sum of squares, x · 1/√(mean + ε) rounded to
// bf16 (c10::BFloat16's round-to-nearest-even), then times the bf16 weight rounded again, as the
// ATen ops below do it step by step.
static at::Tensor rms_norm_bf16_rows(const at::Tensor &x, const c10::optional<at::Tensor> &w, double eps) {
  const at::Tensor xc = x.contiguous();
  const c10::optional<at::Tensor> wc = w ? c10::optional<at::Tensor>(w->contiguous()) : c10::nullopt;
  at::Tensor y = at::empty_like(xc);
  const int64_t n = xc.size(-1), rows = n > 0 ? xc.numel() / n : 0;
  const at::BFloat16 *xs = xc.data_ptr<at::BFloat16>();
  const at::BFloat16 *ws = wc ? wc->data_ptr<at::BFloat16>() : nullptr;
  at::BFloat16 *ys = y.data_ptr<at::BFloat16>();
  const float epsilon = static_cast<float>(eps);
  for (int64_t r = 0; r < rows; ++r) {
    const at::BFloat16 *xr = xs + r * n;
    float sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      const float v = static_cast<float>(xr[i]);
      sum += v * v;
    }
    const float scale = 1.0f / std::sqrt(sum / static_cast<float>(n) + epsilon);
    for (int64_t i = 0; i < n; ++i) {
      const at::BFloat16 normed(static_cast<float>(xr[i]) * scale);
      ys[r * n + i] = ws ? at::BFloat16(static_cast<float>(ws[i]) * static_cast<float>(normed)) : normed;
    }
  }
  return y;
}

// The fused pass serves decoding's few rows (up to 8: batch-1 steps, beams, contrastive branches), where the
// eight ATen ops' overhead is the cost; its sum of squares runs in another order than at::mean's, so an entry
// may sit one bf16 step away. Prompts (more rows) take the ATen ops, transformers' arithmetic to the bit.
static at::Tensor rms_norm_half(const at::Tensor &x, const c10::optional<at::Tensor> &w, double eps) {
  const bool needsGrad = at::GradMode::is_enabled() && (x.requires_grad() || (w && w->requires_grad()));
  const bool fewRows = x.dim() >= 1 && x.size(-1) > 0 && x.numel() / x.size(-1) <= 8;
  if (x.scalar_type() == at::kBFloat16 && x.device().is_cpu() && fewRows && !needsGrad &&
      (!w || (w->scalar_type() == at::kBFloat16 && w->device().is_cpu() && w->dim() == 1 && w->size(0) == x.size(-1))))
    return rms_norm_bf16_rows(x, w, eps);
  const at::Tensor f = x.to(at::kFloat);
  const at::Tensor normed = (f * (f.square().mean(-1, true) + eps).rsqrt()).to(x.scalar_type());
  return w ? *w * normed : normed;
}

int32_t lt_rms_norm_half(lt_tensor x, lt_tensor w, double eps, lt_tensor *out) {
  LT_TRY(*out = wrap(rms_norm_half(T(x), opt(w), eps)))
}
int32_t lt_rotary_apply(lt_tensor x, lt_tensor cos, lt_tensor sin, lt_tensor *out) {
  LT_TRY(*out = wrap(lucid_rotary_apply(T(x), T(cos), T(sin))))
}
int32_t lt_layer_norm(lt_tensor x, const int64_t *normalized_shape, int64_t ndim, lt_tensor w, lt_tensor b, double eps,
                      lt_tensor *out) {
  LT_TRY(*out = wrap(at::layer_norm(T(x), dims(normalized_shape, ndim), opt(w), opt(b), eps)))
}
int32_t lt_softmax(lt_tensor a, int64_t dim, lt_tensor *out) { LT_TRY(*out = wrap(at::softmax(T(a), dim))) }
int32_t lt_log_softmax(lt_tensor a, int64_t dim, lt_tensor *out) { LT_TRY(*out = wrap(at::log_softmax(T(a), dim))) }
int32_t lt_einsum(const char *equation, const lt_tensor *operands, int64_t n, lt_tensor *out) {
  LT_TRY(*out = wrap(at::einsum(equation, tensors(operands, n))))
}
int32_t lt_interpolate_bicubic(lt_tensor x, int64_t out_h, int64_t out_w, bool align_corners, lt_tensor *out) {
  LT_TRY({
    int64_t size[2] = {out_h, out_w};
    *out = wrap(at::upsample_bicubic2d(T(x), dims(size, 2), align_corners));
  })
}
int32_t lt_interpolate_bilinear(lt_tensor x, int64_t out_h, int64_t out_w, bool align_corners, bool antialias,
                                lt_tensor *out) {
  LT_TRY({
    int64_t size[2] = {out_h, out_w};
    if (antialias) {
      *out = wrap(at::_upsample_bilinear2d_aa(T(x), dims(size, 2), align_corners));
    } else {
      *out = wrap(at::upsample_bilinear2d(T(x), dims(size, 2), align_corners));
    }
  })
}

}  // extern "C"
