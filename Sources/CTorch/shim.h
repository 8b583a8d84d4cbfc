// shim.h — what every file of the C shim shares (not part of the public header): the handle types,
// the error convention (LT_TRY: a status code plus a thread-local message) and the conversions
// between the C header's codes and ATen's types.

#pragma once

#include "ctorch.h"

#include <ATen/ATen.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

struct lt_tensor_s { at::Tensor t; };
struct lt_generator_s { at::Generator g; uint64_t seed; };

namespace lucid_shim {

// The message of the last failed call on this thread (lt_last_error); defined in runtime.cpp.
extern thread_local std::string last_error;


inline int32_t fail(const char *message) {
  last_error = message ? message : "unknown error";
  return 1;
}

#define LT_TRY(...)                                                        \
  try {                                                                    \
    __VA_ARGS__;                                                           \
    return 0;                                                              \
  } catch (const c10::Error &e) {                                          \
    return fail(e.what_without_backtrace());                               \
  } catch (const std::exception &e) {                                      \
    return fail(e.what());                                                 \
  } catch (...) {                                                          \
    return fail("unknown C++ exception in libtorch");                      \
  }

inline lt_tensor wrap(at::Tensor t) { return new lt_tensor_s{std::move(t)}; }
inline at::Tensor &T(lt_tensor h) { return h->t; }
inline c10::optional<at::Tensor> opt(lt_tensor h) {
  if (h == nullptr) return c10::nullopt;
  return h->t;
}

inline at::ScalarType scalar_type(int32_t dtype) {
  switch (dtype) {
    case LT_F32: return at::kFloat;
    case LT_F16: return at::kHalf;
    case LT_BF16: return at::kBFloat16;
    case LT_F64: return at::kDouble;
    case LT_I64: return at::kLong;
    case LT_I32: return at::kInt;
    case LT_I16: return at::kShort;
    case LT_I8: return at::kChar;
    case LT_U8: return at::kByte;
    case LT_BOOL: return at::kBool;
  }
  throw std::invalid_argument("unknown Lucid dtype code " + std::to_string(dtype));
}

inline int32_t lucid_dtype(at::ScalarType s) {
  switch (s) {
    case at::kFloat: return LT_F32;
    case at::kHalf: return LT_F16;
    case at::kBFloat16: return LT_BF16;
    case at::kDouble: return LT_F64;
    case at::kLong: return LT_I64;
    case at::kInt: return LT_I32;
    case at::kShort: return LT_I16;
    case at::kChar: return LT_I8;
    case at::kByte: return LT_U8;
    case at::kBool: return LT_BOOL;
    default: return -1;
  }
}

inline at::Device device(int32_t dev, int32_t index) {
  if (dev == LT_CUDA) return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
  if (dev == LT_MPS) return at::Device(at::kMPS);
  return at::Device(at::kCPU);
}

inline at::TensorOptions options(int32_t dtype, int32_t dev, int32_t index) {
  return at::TensorOptions().dtype(scalar_type(dtype)).device(device(dev, index));
}

inline at::Scalar scalar(lt_scalar s) {
  switch (s.kind) {
    case 1: return at::Scalar(static_cast<int64_t>(s.i));
    case 2: return at::Scalar(s.i != 0);
    default: return at::Scalar(s.f);
  }
}

inline at::IntArrayRef dims(const int64_t *p, int64_t n) { return at::IntArrayRef(p, static_cast<size_t>(n)); }

inline c10::optional<at::Generator> gen(lt_generator g) {
  if (g == nullptr) return c10::nullopt;
  return g->g;
}

inline std::vector<at::Tensor> tensors(const lt_tensor *ts, int64_t n) {
  std::vector<at::Tensor> v;
  v.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v.push_back(T(ts[i]));
  return v;
}

}  // namespace lucid_shim

// The ATen-level kernels nn.cpp dispatches to. bf16/f16 products in f32 on CPUs without AVX-512
// (widened_products.cpp); an undefined tensor where they do not apply.
at::Tensor lt_widened_linear(const at::Tensor &x, const at::Tensor &w, const c10::optional<at::Tensor> &b);
at::Tensor lt_widened_matmul(const at::Tensor &a, const at::Tensor &b);
at::Tensor lt_widened_conv2d(const at::Tensor &x, const at::Tensor &w, const c10::optional<at::Tensor> &b, at::IntArrayRef stride,
                             at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups);
// Rotary position embedding, fused with its backward (rotary.cpp).
at::Tensor lucid_rotary_apply(const at::Tensor &x, const at::Tensor &cos, const at::Tensor &sin);
