// rotary.cpp — rotary position embedding (rotate-half convention) in one pass: x·cos + rotate_half(x)·sin.
//
// RotaryEmbedding.apply did this with seven ATen ops per call (two narrows, a negation, a cat, two
// multiplies, an add), twice per decoder layer; in batch-1 decoding each op moves a few hundred values,
// so the cost is the ops, not the arithmetic. This pass does the same arithmetic with the same
// roundings: in f32 each product and the sum are separate f32 operations (no fused multiply-add); in
// bf16/f16 each product and the sum are computed in f32 and rounded to the storage type (round to
// nearest even), exactly where the ATen ops round (they widen to f32, operate, narrow), and the
// negation is exact. So the result is bit-identical to the ATen composite, which still runs when
// autograd needs a graph, off the CPU, for mixed dtypes, or when cos/sin do not broadcast to x's shape.
#include <ATen/ATen.h>
#include <ATen/ExpandUtils.h>
#include <c10/core/GradMode.h>

#include <cstdint>

#include "shim.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace {

template <typename S>
inline S rounded(float value) { return static_cast<S>(value); }

// One row of length d: y = x·c + rot·s with rot = [−x[half…], x[…half]], each step rounded to S.
template <typename S>
void rotate_row(const S *x, const S *c, const S *s, S *y, int64_t d) {
  const int64_t half = d / 2;
  for (int64_t j = 0; j < d; ++j) {
    const float rot = j < half ? -static_cast<float>(x[j + half]) : static_cast<float>(x[j - half]);
    const S a = rounded<S>(static_cast<float>(x[j]) * static_cast<float>(c[j]));
    const S b = rounded<S>(rot * static_cast<float>(s[j]));
    y[j] = rounded<S>(static_cast<float>(a) + static_cast<float>(b));
  }
}

// x, c, s viewed as 4-D with the same sizes (c and s expanded, stride 0 where they broadcast) and a
// unit last stride; y is contiguous.
template <typename S>
void rotate_all(const at::Tensor &x, const at::Tensor &c, const at::Tensor &s, at::Tensor &y) {
  const int64_t d = x.size(3);
  const S *xp = x.data_ptr<S>();
  const S *cp = c.data_ptr<S>();
  const S *sp = s.data_ptr<S>();
  S *yp = y.data_ptr<S>();
  int64_t row = 0;
  for (int64_t i = 0; i < x.size(0); ++i)
    for (int64_t j = 0; j < x.size(1); ++j)
      for (int64_t k = 0; k < x.size(2); ++k, ++row) {
        const auto offset = [&](const at::Tensor &t) { return i * t.stride(0) + j * t.stride(1) + k * t.stride(2); };
        rotate_row<S>(xp + offset(x), cp + offset(c), sp + offset(s), yp + row * d, d);
      }
}

at::Tensor four_dimensional(at::Tensor t) {
  while (t.dim() < 4) t = t.unsqueeze(0);
  return t;
}

at::Tensor composite(const at::Tensor &x, const at::Tensor &cos, const at::Tensor &sin) {
  const int64_t half = x.size(-1) / 2;
  const at::Tensor rotated = at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos + rotated * sin;
}

}  // namespace

// Used by lt_rotary_apply (nn.cpp).
at::Tensor lucid_rotary_apply(const at::Tensor &x, const at::Tensor &cos, const at::Tensor &sin) {
  const bool needsGrad = at::GradMode::is_enabled() && (x.requires_grad() || cos.requires_grad() || sin.requires_grad());
  const auto type = x.scalar_type();
  const bool supported = type == at::kFloat || type == at::kBFloat16 || type == at::kHalf;
  if (needsGrad || !supported || cos.scalar_type() != type || sin.scalar_type() != type || !x.device().is_cpu() ||
      !cos.device().is_cpu() || !sin.device().is_cpu() || x.dim() < 1 || x.dim() > 4 || cos.dim() > 4 ||
      sin.dim() > 4 || x.size(-1) % 2 != 0 || x.numel() == 0 ||
      cos.dim() < 1 || sin.dim() < 1 || cos.size(-1) != x.size(-1) || sin.size(-1) != x.size(-1))
    return composite(x, cos, sin);
  const auto sizes = x.sizes();
  if (at::infer_size(sizes, cos.sizes()) != sizes || at::infer_size(sizes, sin.sizes()) != sizes)
    return composite(x, cos, sin);
  const at::Tensor x4 = four_dimensional(x.stride(-1) == 1 ? x : x.contiguous());
  const at::Tensor c4 = four_dimensional(cos.stride(-1) == 1 ? cos : cos.contiguous()).expand(x4.sizes());
  const at::Tensor s4 = four_dimensional(sin.stride(-1) == 1 ? sin : sin.contiguous()).expand(x4.sizes());
  at::Tensor y = at::empty(sizes, x.options().memory_format(at::MemoryFormat::Contiguous));
  at::Tensor y4 = four_dimensional(y);
  switch (type) {
  case at::kBFloat16: rotate_all<at::BFloat16>(x4, c4, s4, y4); break;
  case at::kHalf: rotate_all<at::Half>(x4, c4, s4, y4); break;
  default: rotate_all<float>(x4, c4, s4, y4); break;
  }
  return y;
}
