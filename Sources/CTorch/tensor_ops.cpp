// tensor_ops.cpp — the shim's elementwise, reduction, ordering, sampling, indexing and shape ops:
// each unwraps its handles, calls one ATen function and wraps the result.

#include "shim.h"

#include <ATen/ScalarOps.h>

#include <algorithm>
#include <chrono>
#include <functional>

using namespace lucid_shim;

namespace {

at::Tensor unary(int32_t op, const at::Tensor &a) {
  switch (op) {
    case LT_NEG: return at::neg(a);
    case LT_EXP: return at::exp(a);
    case LT_LOG: return at::log(a);
    case LT_SQRT: return at::sqrt(a);
    case LT_RSQRT: return at::rsqrt(a);
    case LT_ABS: return at::abs(a);
    case LT_SIGN: return at::sign(a);
    case LT_TANH: return at::tanh(a);
    case LT_SIGMOID: return at::sigmoid(a);
    case LT_RELU: return at::relu(a);
    case LT_SILU: return at::silu(a);
    case LT_GELU: return at::gelu(a, "none");
    case LT_GELU_TANH: return at::gelu(a, "tanh");
    case LT_SIN: return at::sin(a);
    case LT_COS: return at::cos(a);
    case LT_FLOOR: return at::floor(a);
    case LT_CEIL: return at::ceil(a);
    case LT_ROUND: return at::round(a);
    case LT_RECIPROCAL: return at::reciprocal(a);
    case LT_LOGICAL_NOT: return at::logical_not(a);
    case LT_LOG1P: return at::log1p(a);
    case LT_EXPM1: return at::expm1(a);
    case LT_ERF: return at::erf(a);
    case LT_SQUARE: return at::square(a);
    case LT_ISNAN: return at::isnan(a);
    case LT_ISFINITE: return at::isfinite(a);
    case LT_CONTIGUOUS: return a.contiguous();
    case LT_CLONE: return a.clone();
    case LT_DETACH: return a.detach();
    case LT_ZEROS_LIKE: return at::zeros_like(a);
    case LT_ONES_LIKE: return at::ones_like(a);
    case LT_LOG_SIGMOID: return at::log_sigmoid(a);
    case LT_SOFTPLUS: return at::softplus(a);
    case LT_TRUNC: return at::trunc(a);
  }
  throw std::invalid_argument("unknown unary op " + std::to_string(op));
}

// The ops whose ATen function takes a tensor or a scalar right operand alike; nullopt for the others.
template <typename Right>
std::optional<at::Tensor> either_binary(int32_t op, const at::Tensor &a, const Right &b) {
  switch (op) {
    case LT_ADD: return at::add(a, b);
    case LT_SUB: return at::sub(a, b);
    case LT_MUL: return at::mul(a, b);
    case LT_DIV: return at::div(a, b);
    case LT_POW: return at::pow(a, b);
    case LT_EQ: return at::eq(a, b);
    case LT_NE: return at::ne(a, b);
    case LT_LT: return at::lt(a, b);
    case LT_LE: return at::le(a, b);
    case LT_GT: return at::gt(a, b);
    case LT_GE: return at::ge(a, b);
    case LT_REMAINDER: return at::remainder(a, b);
  }
  return std::nullopt;
}

at::Tensor binary(int32_t op, const at::Tensor &a, const at::Tensor &b) {
  if (auto result = either_binary(op, a, b)) return std::move(*result);
  switch (op) {
    case LT_MAXIMUM: return at::maximum(a, b);
    case LT_MINIMUM: return at::minimum(a, b);
    case LT_AND: return at::logical_and(a, b);
    case LT_OR: return at::logical_or(a, b);
    case LT_XOR: return at::logical_xor(a, b);
    case LT_ATAN2: return at::atan2(a, b);
    case LT_FLOOR_DIVIDE: return at::div(a, b, "floor");
  }
  throw std::invalid_argument("unknown binary op " + std::to_string(op));
}

at::Tensor binary_scalar(int32_t op, const at::Tensor &a, const at::Scalar &b) {
  if (auto result = either_binary(op, a, b)) return std::move(*result);
  switch (op) {
    case LT_MAXIMUM: return at::clamp_min(a, b);
    case LT_MINIMUM: return at::clamp_max(a, b);
    case LT_FLOOR_DIVIDE: return at::div(a, at::scalar_tensor(b, a.options()), "floor");
    case LT_RSUB: return at::rsub(a, b);
    case LT_RDIV: return at::mul(at::reciprocal(a), b);
    case LT_RPOW: return at::pow(b, a);
  }
  throw std::invalid_argument("unknown scalar binary op " + std::to_string(op));
}

at::Tensor reduce(int32_t op, const at::Tensor &a, at::IntArrayRef d, bool keepdim) {
  std::vector<int64_t> all;
  if (d.empty()) {
    for (int64_t i = 0; i < a.dim(); ++i) all.push_back(i);
    d = all;
  }
  switch (op) {
    case LT_SUM: return at::sum(a, d, keepdim);
    case LT_MEAN: return at::mean(a, d, keepdim);
    case LT_AMAX: return at::amax(a, d, keepdim);
    case LT_AMIN: return at::amin(a, d, keepdim);
    case LT_LOGSUMEXP: return at::logsumexp(a, d, keepdim);
    case LT_PROD: {
      at::Tensor r = a;
      std::vector<int64_t> sorted(d.begin(), d.end());
      std::sort(sorted.begin(), sorted.end(), std::greater<int64_t>());
      for (int64_t x : sorted) r = at::prod(r, x < 0 ? x + a.dim() : x, keepdim);
      return r;
    }
    case LT_VAR: return at::var(a, d, /*unbiased=*/true, keepdim);
    case LT_STD: return at::std(a, d, /*unbiased=*/true, keepdim);
    case LT_VAR_BIASED: return at::var(a, d, /*unbiased=*/false, keepdim);
    case LT_STD_BIASED: return at::std(a, d, /*unbiased=*/false, keepdim);
    case LT_ALL: {
      at::Tensor r = a;
      std::vector<int64_t> sorted(d.begin(), d.end());
      std::sort(sorted.begin(), sorted.end(), std::greater<int64_t>());
      for (int64_t x : sorted) r = at::all(r, x < 0 ? x + a.dim() : x, keepdim);
      return r;
    }
    case LT_ANY: {
      at::Tensor r = a;
      std::vector<int64_t> sorted(d.begin(), d.end());
      std::sort(sorted.begin(), sorted.end(), std::greater<int64_t>());
      for (int64_t x : sorted) r = at::any(r, x < 0 ? x + a.dim() : x, keepdim);
      return r;
    }
    case LT_NORM2: return at::norm(a, 2, d, keepdim);
  }
  throw std::invalid_argument("unknown reduction " + std::to_string(op));
}

}  // namespace

extern "C" {

// ---- elementwise ----

int32_t lt_unary(int32_t op, lt_tensor a, lt_tensor *out) { LT_TRY(*out = wrap(unary(op, T(a)))) }
int32_t lt_binary(int32_t op, lt_tensor a, lt_tensor b, lt_tensor *out) {
  LT_TRY(*out = wrap(binary(op, T(a), T(b))))
}
int32_t lt_binary_scalar(int32_t op, lt_tensor a, lt_scalar b, lt_tensor *out) {
  LT_TRY(*out = wrap(binary_scalar(op, T(a), scalar(b))))
}
int32_t lt_inplace(int32_t op, lt_tensor a, lt_tensor b) {
  LT_TRY({
    switch (op) {
      case LT_ADD: T(a).add_(T(b)); break;
      case LT_SUB: T(a).sub_(T(b)); break;
      case LT_MUL: T(a).mul_(T(b)); break;
      case LT_DIV: T(a).div_(T(b)); break;
      case LT_COPY: T(a).copy_(T(b)); break;
      default: throw std::invalid_argument("unsupported in-place op " + std::to_string(op));
    }
  })
}
// The scalar goes in as a wrapped number, as Python's `x.mul_(0.1)` passes it: ATen's own
// `Tensor::mul_(const Scalar&)` (mul_.Scalar) casts it to a bf16/f16 tensor's dtype first, one rounding
// that `x * 0.1` (mul.Scalar) and Python do not make (a bf16 product scaled by 1/√72 differed by a step).
int32_t lt_inplace_scalar(int32_t op, lt_tensor a, lt_scalar b) {
  LT_TRY({
    const auto wrapped = [&] { return at::native::wrapped_scalar_tensor(scalar(b)); };
    switch (op) {
      case LT_ADD: T(a).add_(wrapped()); break;
      case LT_SUB: T(a).sub_(wrapped()); break;
      case LT_MUL: T(a).mul_(wrapped()); break;
      case LT_DIV: T(a).div_(wrapped()); break;
      case LT_COPY: T(a).fill_(scalar(b)); break;
      default: throw std::invalid_argument("unsupported in-place scalar op " + std::to_string(op));
    }
  })
}
int32_t lt_add_scaled_(lt_tensor a, lt_tensor b, double alpha) { LT_TRY(T(a).add_(T(b), alpha)) }
int32_t lt_clamp(lt_tensor a, const double *min, const double *max, lt_tensor *out) {
  LT_TRY({
    c10::optional<at::Scalar> lo, hi;
    if (min) lo = at::Scalar(*min);
    if (max) hi = at::Scalar(*max);
    *out = wrap(at::clamp(T(a), lo, hi));
  })
}
int32_t lt_clamp_tensor(lt_tensor a, lt_tensor min, lt_tensor max, lt_tensor *out) {
  LT_TRY(*out = wrap(at::clamp(T(a), opt(min), opt(max))))
}
int32_t lt_clamp_(lt_tensor a, const double *min, const double *max) {
  LT_TRY({
    c10::optional<at::Scalar> lo, hi;
    if (min) lo = at::Scalar(*min);
    if (max) hi = at::Scalar(*max);
    T(a).clamp_(lo, hi);
  })
}
int32_t lt_where(lt_tensor cond, lt_tensor a, lt_tensor b, lt_tensor *out) {
  LT_TRY(*out = wrap(at::where(T(cond), T(a), T(b))))
}
int32_t lt_masked_fill(lt_tensor a, lt_tensor mask, lt_scalar value, lt_tensor *out) {
  LT_TRY(*out = wrap(at::masked_fill(T(a), T(mask), scalar(value))))
}
int32_t lt_leaky_relu(lt_tensor a, double slope, lt_tensor *out) { LT_TRY(*out = wrap(at::leaky_relu(T(a), slope))) }
int32_t lt_allclose(lt_tensor a, lt_tensor b, double rtol, double atol, bool *out) {
  LT_TRY(*out = at::allclose(T(a), T(b), rtol, atol))
}

// ---- reductions, ordering, sampling ----

int32_t lt_reduce(int32_t op, lt_tensor a, const int64_t *d, int64_t nd, bool keepdim, lt_tensor *out) {
  LT_TRY(*out = wrap(reduce(op, T(a), dims(d, nd), keepdim)))
}
int32_t lt_argmax(lt_tensor a, int64_t dim, bool has_dim, bool keepdim, lt_tensor *out) {
  LT_TRY(*out = wrap(at::argmax(T(a), has_dim ? c10::optional<int64_t>(dim) : c10::nullopt, keepdim)))
}
int32_t lt_argmin(lt_tensor a, int64_t dim, bool has_dim, bool keepdim, lt_tensor *out) {
  LT_TRY(*out = wrap(at::argmin(T(a), has_dim ? c10::optional<int64_t>(dim) : c10::nullopt, keepdim)))
}
int32_t lt_max_dim(lt_tensor a, int64_t dim, bool keepdim, lt_tensor *values, lt_tensor *indices) {
  LT_TRY({
    auto r = at::max(T(a), dim, keepdim);
    *values = wrap(std::get<0>(r));
    *indices = wrap(std::get<1>(r));
  })
}
int32_t lt_min_dim(lt_tensor a, int64_t dim, bool keepdim, lt_tensor *values, lt_tensor *indices) {
  LT_TRY({
    auto r = at::min(T(a), dim, keepdim);
    *values = wrap(std::get<0>(r));
    *indices = wrap(std::get<1>(r));
  })
}
int32_t lt_topk(lt_tensor a, int64_t k, int64_t dim, bool largest, bool sorted, lt_tensor *values,
                lt_tensor *indices) {
  LT_TRY({
    auto r = at::topk(T(a), k, dim, largest, sorted);
    *values = wrap(std::get<0>(r));
    *indices = wrap(std::get<1>(r));
  })
}
int32_t lt_sort(lt_tensor a, int64_t dim, bool descending, bool stable, lt_tensor *values, lt_tensor *indices) {
  LT_TRY({
    auto r = at::sort(T(a), stable, dim, descending);
    *values = wrap(std::get<0>(r));
    *indices = wrap(std::get<1>(r));
  })
}
int32_t lt_cumsum(lt_tensor a, int64_t dim, lt_tensor *out) { LT_TRY(*out = wrap(at::cumsum(T(a), dim))) }
int32_t lt_cumprod(lt_tensor a, int64_t dim, lt_tensor *out) { LT_TRY(*out = wrap(at::cumprod(T(a), dim))) }
int32_t lt_multinomial(lt_tensor probs, int64_t n, bool replacement, lt_generator g, lt_tensor *out) {
  LT_TRY(*out = wrap(at::multinomial(T(probs), n, replacement, gen(g))))
}
int32_t lt_bernoulli(lt_tensor probs, lt_generator g, lt_tensor *out) {
  LT_TRY(*out = wrap(at::bernoulli(T(probs), gen(g))))
}

// ---- indexing ----

int32_t lt_gather(lt_tensor a, int64_t dim, lt_tensor index, lt_tensor *out) {
  LT_TRY(*out = wrap(at::gather(T(a), dim, T(index))))
}
int32_t lt_scatter(lt_tensor a, int64_t dim, lt_tensor index, lt_tensor src, lt_tensor *out) {
  LT_TRY(*out = wrap(at::scatter(T(a), dim, T(index), T(src))))
}
int32_t lt_scatter_add(lt_tensor a, int64_t dim, lt_tensor index, lt_tensor src, lt_tensor *out) {
  LT_TRY(*out = wrap(at::scatter_add(T(a), dim, T(index), T(src))))
}
int32_t lt_index_select(lt_tensor a, int64_t dim, lt_tensor index, lt_tensor *out) {
  LT_TRY(*out = wrap(at::index_select(T(a), dim, T(index))))
}
int32_t lt_index_copy(lt_tensor a, int64_t dim, lt_tensor index, lt_tensor src, lt_tensor *out) {
  LT_TRY(*out = wrap(at::index_copy(T(a), dim, T(index), T(src))))
}
int32_t lt_nonzero(lt_tensor a, lt_tensor *out) { LT_TRY(*out = wrap(at::nonzero(T(a)))) }
int32_t lt_masked_select(lt_tensor a, lt_tensor mask, lt_tensor *out) {
  LT_TRY(*out = wrap(at::masked_select(T(a), T(mask))))
}

// ---- shape ----

int32_t lt_reshape(lt_tensor a, const int64_t *shape, int64_t ndim, lt_tensor *out) {
  LT_TRY(*out = wrap(at::reshape(T(a), dims(shape, ndim))))
}
int32_t lt_permute(lt_tensor a, const int64_t *d, int64_t ndim, lt_tensor *out) {
  LT_TRY(*out = wrap(T(a).permute(dims(d, ndim))))
}
int32_t lt_transpose(lt_tensor a, int64_t d0, int64_t d1, lt_tensor *out) {
  LT_TRY(*out = wrap(at::transpose(T(a), d0, d1)))
}
int32_t lt_expand(lt_tensor a, const int64_t *shape, int64_t ndim, lt_tensor *out) {
  LT_TRY(*out = wrap(T(a).expand(dims(shape, ndim))))
}
int32_t lt_repeat(lt_tensor a, const int64_t *repeats, int64_t ndim, lt_tensor *out) {
  LT_TRY(*out = wrap(T(a).repeat(dims(repeats, ndim))))
}
int32_t lt_squeeze(lt_tensor a, int64_t dim, lt_tensor *out) { LT_TRY(*out = wrap(at::squeeze(T(a), dim))) }
int32_t lt_unsqueeze(lt_tensor a, int64_t dim, lt_tensor *out) { LT_TRY(*out = wrap(at::unsqueeze(T(a), dim))) }
int32_t lt_flatten(lt_tensor a, int64_t start, int64_t end, lt_tensor *out) {
  LT_TRY(*out = wrap(at::flatten(T(a), start, end)))
}
int32_t lt_narrow(lt_tensor a, int64_t dim, int64_t start, int64_t length, lt_tensor *out) {
  LT_TRY(*out = wrap(at::narrow(T(a), dim, start, length)))
}
int32_t lt_slice(lt_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step, lt_tensor *out) {
  LT_TRY(*out = wrap(at::slice(T(a), dim, start, end, step)))
}
int32_t lt_select(lt_tensor a, int64_t dim, int64_t index, lt_tensor *out) {
  LT_TRY(*out = wrap(at::select(T(a), dim, index)))
}
int32_t lt_flip(lt_tensor a, const int64_t *d, int64_t ndim, lt_tensor *out) {
  LT_TRY(*out = wrap(at::flip(T(a), dims(d, ndim))))
}
int32_t lt_tril(lt_tensor a, int64_t diagonal, lt_tensor *out) { LT_TRY(*out = wrap(at::tril(T(a), diagonal))) }
int32_t lt_triu(lt_tensor a, int64_t diagonal, lt_tensor *out) { LT_TRY(*out = wrap(at::triu(T(a), diagonal))) }
int32_t lt_cat(const lt_tensor *ts, int64_t n, int64_t dim, lt_tensor *out) {
  LT_TRY(*out = wrap(at::cat(tensors(ts, n), dim)))
}
int32_t lt_stack(const lt_tensor *ts, int64_t n, int64_t dim, lt_tensor *out) {
  LT_TRY(*out = wrap(at::stack(tensors(ts, n), dim)))
}
int32_t lt_split_with_sizes(lt_tensor a, const int64_t *sizes, int64_t n, int64_t dim, lt_tensor *outs) {
  LT_TRY({
    auto parts = at::split_with_sizes(T(a), dims(sizes, n), dim);
    for (size_t i = 0; i < parts.size(); ++i) outs[i] = wrap(parts[i]);
  })
}
int32_t lt_pad(lt_tensor a, const int64_t *pads, int64_t npads, double value, lt_tensor *out) {
  LT_TRY(*out = wrap(at::constant_pad_nd(T(a), dims(pads, npads), value)))
}

// ---- benchmark support ----

int32_t lt_bench_binary(int32_t op, lt_tensor a, lt_tensor b, int64_t iterations, double *seconds) {
  LT_TRY({
    auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < iterations; ++i) {
      at::Tensor r = binary(op, T(a), T(b));
    }
    auto stop = std::chrono::steady_clock::now();
    *seconds = std::chrono::duration<double>(stop - start).count() / static_cast<double>(iterations > 0 ? iterations : 1);
  })
}

}  // extern "C"
