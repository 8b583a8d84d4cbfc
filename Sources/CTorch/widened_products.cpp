// widened_products.cpp — bf16/f16 matrix products computed in f32 on CPUs without AVX-512.
//
// libtorch's CPU kernels for bf16 and f16 products (oneDNN, MKL) are fast only where the CPU has AVX-512
// (with or without its bf16 instructions). On an AVX2-only CPU — most laptops: Intel's consumer cores
// since Alder Lake, AMD's before Zen 4 — libtorch 2.13 multiplies bf16 at a fraction of f32's speed, and
// one backward product (grad · w) is slower still. Measured with the wheel's Python on an AVX2 AMD EPYC,
// 2 threads (`scripts/bf16_cpu_products.py`, quiet machine): a 600 × 4096 · 4096 × 4096 forward 0.93 s
// in bf16 against 0.13 s in f32 and 0.16 s widened; its input gradient 71 s in bf16 against 0.13 s in
// f32. A bf16 organism's PGD step took 5.0 s against 0.27 s in f32; widened 0.46 s (docs/engine.md).
//
// So below AVX-512 (the small-linear kernel level, which tests can force lower; LUCID_WIDENED_PRODUCTS and
// a thread's own choice override it, below) the shim computes these products widened: the operands
// converted to f32 (exact: every bf16 and f16 value is an f32), one f32 GEMM, the result rounded once to
// the operands' dtype. That is the arithmetic of libtorch's own bf16 GEMM (f32 accumulation, one
// rounding) up to summation order, so results agree with at::linear within one rounding (not bit for bit:
// through a whole model, bf16 logits a few steps apart; LUCID_WIDENED_PRODUCTS=off where transformers'
// bits matter, docs/engine.md). Where it applies:
// - linear with 32 or more rows, or with autograd: a custom autograd function saves the bf16/f16 input
//   and weight, not their f32 copies, and widens again in backward (a 7B model's f32 weight copies would
//   not fit beside it). Fewer rows without autograd (decoding) stay on at::linear: converting the whole
//   weight per token would cost more than it saves (a 2048 × 8192 weight: 12 ms to convert into a
//   reused buffer, ~90 ms into a fresh one, against 11–13 ms for at::linear's bf16 row). An AVX2 port of
//   small_linear_bf16.cpp's row kernel decoded SmolLM2 bf16 slower than oneDNN (33 tok/s against 45 on
//   one thread, 29–32 against 45–48 split over two) and was not kept;
// - matmul (attention's products) of 32 or more rows, or with autograd: widened through autograd's own
//   casts, so backward keeps the f32 copies of the activations (twice their bf16 size; weights are not
//   involved); a decoding step's few rows against the KV cache are not widened (that would convert
//   the whole cache per token);
// - conv2d (the vision towers' patch embedding), the same way.
// f32 models, other devices and other CPUs are untouched.
#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "kernels.h"
#include "shim.h"

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

bool reduced(const at::Tensor &t) { return t.scalar_type() == at::kBFloat16 || t.scalar_type() == at::kHalf; }

at::Tensor widen(const at::Tensor &t) { return t.to(at::kFloat); }

// x · wᵀ + b in f32, rounded once to x's dtype.
at::Tensor widened_linear_value(const at::Tensor &x, const at::Tensor &w, const at::Tensor &b) {
  const c10::optional<at::Tensor> bias = b.defined() ? c10::optional<at::Tensor>(widen(b)) : c10::nullopt;
  return at::linear(widen(x), widen(w), bias).to(x.scalar_type());
}

// The gradients of x · wᵀ (+ b) from the saved reduced-precision x and w, each product widened.
variable_list widened_linear_gradients(AutogradContext *ctx, const variable_list &grads, bool bias) {
  const variable_list saved = ctx->get_saved_variables();
  const at::Tensor &x = saved[0], &w = saved[1];
  at::Tensor gx, gw, gb;
  if (grads[0].defined()) {
    const int64_t in = w.size(1), out = w.size(0);
    const at::Tensor g = widen(grads[0]).reshape({-1, out});
    if (ctx->needs_input_grad(0)) gx = g.mm(widen(w)).to(x.scalar_type()).reshape(x.sizes());
    if (ctx->needs_input_grad(1)) gw = g.t().mm(widen(x).reshape({-1, in})).to(w.scalar_type());
    if (bias && ctx->needs_input_grad(2)) gb = g.sum(0).to(x.scalar_type());
  }
  if (bias) return {gx, gw, gb};
  return {gx, gw};
}

// Saves the reduced-precision input and weight (not their f32 copies); backward widens them again.
struct WidenedLinear : public torch::autograd::Function<WidenedLinear> {
  static at::Tensor forward(AutogradContext *ctx, const at::Tensor &x, const at::Tensor &w, const at::Tensor &b) {
    ctx->save_for_backward({x, w});
    return widened_linear_value(x, w, b);
  }
  static variable_list backward(AutogradContext *ctx, variable_list grads) { return widened_linear_gradients(ctx, grads, true); }
};

// The same without a bias (autograd's custom functions take no undefined tensor).
struct WidenedLinearWithoutBias : public torch::autograd::Function<WidenedLinearWithoutBias> {
  static at::Tensor forward(AutogradContext *ctx, const at::Tensor &x, const at::Tensor &w) {
    ctx->save_for_backward({x, w});
    return widened_linear_value(x, w, at::Tensor());
  }
  static variable_list backward(AutogradContext *ctx, variable_list grads) { return widened_linear_gradients(ctx, grads, false); }
};

bool same_reduced_cpu(const at::Tensor &a, const at::Tensor &b) {
  return reduced(a) && a.scalar_type() == b.scalar_type() && a.device().is_cpu() && b.device().is_cpu();
}

// LUCID_WIDENED_PRODUCTS=auto|on|off sets the process's choice: auto (unset) widens below the AVX-512
// small-linear level on x86-64; off keeps libtorch's own reduced-precision kernels everywhere (slower
// there, but bit for bit what transformers computes on the same CPU); on widens on any CPU.
constexpr int kAuto = -1, kOff = 0, kOn = 1;

int initially_chosen() {
  const char *name = std::getenv("LUCID_WIDENED_PRODUCTS");
  if (name == nullptr || *name == 0 || std::strcmp(name, "auto") == 0) return kAuto;
  if (std::strcmp(name, "off") == 0 || std::strcmp(name, "0") == 0) return kOff;
  if (std::strcmp(name, "on") == 0 || std::strcmp(name, "1") == 0) return kOn;
  std::fprintf(stderr, "warning: LUCID_WIDENED_PRODUCTS=%s is not one of auto, on, off; using auto\n", name);
  return kAuto;
}

const int chosen = initially_chosen();
// A thread's own choice (kAuto: the process's applies), per thread as small_linear.cpp's kernel is, so
// tests side by side never see each other's. Decided when a product is made: autograd's backward of a
// widened linear widens again whichever thread runs it.
thread_local int chosen_here = kAuto;

// Whether bf16/f16 products are computed widened on the calling thread.
bool lt_widened_products_enabled() {
  const int want = chosen_here != kAuto ? chosen_here : chosen;
  if (want != kAuto) return want == kOn;
#if defined(__x86_64__)
  constexpr int kAVX512 = 3;  // small_linear.cpp's kernel levels
  return lt_small_linear_kernel() < kAVX512;
#else
  return false;
#endif
}

}  // namespace

extern "C" int lt_widened_products(void) { return lt_widened_products_enabled() ? 1 : 0; }

// Sets the calling thread's choice (1 widen, 0 do not, -1 the process's again); returns the previous one.
extern "C" int lt_set_thread_widened_products(int mode) {
  const int previous = chosen_here;
  chosen_here = mode == kOn || mode == kOff ? mode : kAuto;
  return previous;
}

// x · wᵀ + b widened, or undefined where this file does not apply (see the header).
at::Tensor lt_widened_linear(const at::Tensor &x, const at::Tensor &w, const c10::optional<at::Tensor> &b) {
  if (!lt_widened_products_enabled() || w.dim() != 2 || x.dim() < 1 || x.size(-1) != w.size(1) || !same_reduced_cpu(x, w)) return {};
  if (b && (!same_reduced_cpu(x, *b) || b->dim() != 1 || b->size(0) != w.size(0))) return {};
  const bool grad = at::GradMode::is_enabled() && (x.requires_grad() || w.requires_grad() || (b && b->requires_grad()));
  const int64_t rows = w.size(1) > 0 ? x.numel() / w.size(1) : 0;
  if (!grad && rows < 32) return {};
  if (!grad) return widened_linear_value(x, w, b ? *b : at::Tensor());
  return b ? WidenedLinear::apply(x, w, *b) : WidenedLinearWithoutBias::apply(x, w);
}

// a · b widened (autograd through the casts), or undefined where this file does not apply.
at::Tensor lt_widened_matmul(const at::Tensor &a, const at::Tensor &b) {
  if (!lt_widened_products_enabled() || !same_reduced_cpu(a, b) || a.dim() < 2) return {};
  const bool grad = at::GradMode::is_enabled() && (a.requires_grad() || b.requires_grad());
  if (!grad && a.size(-2) < 32) return {};
  return at::matmul(widen(a), widen(b)).to(a.scalar_type());
}

// conv2d widened (autograd through the casts), or undefined where this file does not apply.
at::Tensor lt_widened_conv2d(const at::Tensor &x, const at::Tensor &w, const c10::optional<at::Tensor> &b, at::IntArrayRef stride,
                             at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups) {
  if (!lt_widened_products_enabled() || !same_reduced_cpu(x, w) || (b && !same_reduced_cpu(x, *b))) return {};
  const c10::optional<at::Tensor> bias = b ? c10::optional<at::Tensor>(widen(*b)) : c10::nullopt;
  return at::conv2d(widen(x), widen(w), bias, stride, padding, dilation, groups).to(x.scalar_type());
}
