// tensors.cpp — the shim's tensor handles: lifetime and metadata, creation, extraction, conversion
// and autograd.

#include "shim.h"

#include <torch/csrc/autograd/autograd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>

using namespace lucid_shim;

extern "C" {

// ---- lifetime and metadata ----

void lt_free(lt_tensor t) { delete t; }
int32_t lt_retain(lt_tensor t, lt_tensor *out) { LT_TRY(*out = wrap(T(t))) }
int64_t lt_ndim(lt_tensor t) { return T(t).dim(); }
void lt_shape(lt_tensor t, int64_t *out) {
  auto s = T(t).sizes();
  std::copy(s.begin(), s.end(), out);
}
void lt_strides(lt_tensor t, int64_t *out) {
  auto s = T(t).strides();
  std::copy(s.begin(), s.end(), out);
}
int64_t lt_numel(lt_tensor t) { return T(t).numel(); }
int32_t lt_dtype(lt_tensor t) { return lucid_dtype(T(t).scalar_type()); }
int32_t lt_device_type(lt_tensor t) {
  const auto d = T(t).device();
  return d.is_cuda() ? LT_CUDA : d.is_mps() ? LT_MPS : LT_CPU;
}
int32_t lt_device_index(lt_tensor t) { return T(t).device().has_index() ? T(t).device().index() : 0; }
bool lt_is_contiguous(lt_tensor t) { return T(t).is_contiguous(); }
bool lt_defined(lt_tensor t) { return T(t).defined(); }
void *lt_data_ptr(lt_tensor t) { return T(t).data_ptr(); }
char *lt_to_string(lt_tensor t) {
  try {
    std::ostringstream s;
    s << T(t);
    return strdup(s.str().c_str());
  } catch (...) {
    return strdup("<tensor>");
  }
}
void lt_string_free(char *s) { free(s); }

// ---- creation ----

int32_t lt_empty(const int64_t *shape, int64_t ndim, int32_t dtype, int32_t dev, int32_t idx, lt_tensor *out) {
  LT_TRY(*out = wrap(at::empty(dims(shape, ndim), options(dtype, dev, idx))))
}
int32_t lt_zeros(const int64_t *shape, int64_t ndim, int32_t dtype, int32_t dev, int32_t idx, lt_tensor *out) {
  LT_TRY(*out = wrap(at::zeros(dims(shape, ndim), options(dtype, dev, idx))))
}
int32_t lt_ones(const int64_t *shape, int64_t ndim, int32_t dtype, int32_t dev, int32_t idx, lt_tensor *out) {
  LT_TRY(*out = wrap(at::ones(dims(shape, ndim), options(dtype, dev, idx))))
}
int32_t lt_full(const int64_t *shape, int64_t ndim, lt_scalar value, int32_t dtype, int32_t dev, int32_t idx,
                lt_tensor *out) {
  LT_TRY(*out = wrap(at::full(dims(shape, ndim), scalar(value), options(dtype, dev, idx))))
}
int32_t lt_arange(lt_scalar start, lt_scalar end, lt_scalar step, int32_t dtype, int32_t dev, int32_t idx,
                  lt_tensor *out) {
  LT_TRY(*out = wrap(at::arange(scalar(start), scalar(end), scalar(step), options(dtype, dev, idx))))
}
int32_t lt_linspace(double start, double end, int64_t steps, int32_t dtype, lt_tensor *out) {
  LT_TRY(*out = wrap(at::linspace(start, end, steps, at::TensorOptions().dtype(scalar_type(dtype)))))
}
int32_t lt_eye(int64_t n, int32_t dtype, lt_tensor *out) {
  LT_TRY(*out = wrap(at::eye(n, at::TensorOptions().dtype(scalar_type(dtype)))))
}
int32_t lt_randn(const int64_t *shape, int64_t ndim, int32_t dtype, lt_generator g, lt_tensor *out) {
  LT_TRY(*out = wrap(at::randn(dims(shape, ndim), gen(g), at::TensorOptions().dtype(scalar_type(dtype)))))
}
int32_t lt_rand(const int64_t *shape, int64_t ndim, int32_t dtype, lt_generator g, lt_tensor *out) {
  LT_TRY(*out = wrap(at::rand(dims(shape, ndim), gen(g), at::TensorOptions().dtype(scalar_type(dtype)))))
}
int32_t lt_randint(int64_t low, int64_t high, const int64_t *shape, int64_t ndim, lt_generator g, lt_tensor *out) {
  LT_TRY(*out = wrap(at::randint(low, high, dims(shape, ndim), gen(g), at::TensorOptions().dtype(at::kLong))))
}
int32_t lt_randperm(int64_t n, lt_generator g, lt_tensor *out) {
  LT_TRY(*out = wrap(at::randperm(n, gen(g), at::TensorOptions().dtype(at::kLong))))
}
int32_t lt_from_data(const void *data, const int64_t *shape, int64_t ndim, int32_t dtype, lt_tensor *out) {
  LT_TRY({
    at::Tensor t = at::empty(dims(shape, ndim), at::TensorOptions().dtype(scalar_type(dtype)));
    if (t.nbytes() > 0) std::memcpy(t.data_ptr(), data, t.nbytes());
    *out = wrap(std::move(t));
  })
}
int32_t lt_from_blob(void *data, const int64_t *shape, int64_t ndim, int32_t dtype, void (*deleter)(void *ctx),
                     void *ctx, lt_tensor *out) {
  LT_TRY(*out = wrap(at::from_blob(
             data, dims(shape, ndim), [deleter, ctx](void *) { if (deleter) deleter(ctx); },
             at::TensorOptions().dtype(scalar_type(dtype)))))
}

// ---- extraction ----

int32_t lt_item_double(lt_tensor t, double *out) { LT_TRY(*out = T(t).item<double>()) }
int32_t lt_item_int64(lt_tensor t, int64_t *out) { LT_TRY(*out = T(t).item<int64_t>()) }
int32_t lt_copy_to_buffer(lt_tensor t, int32_t dtype, void *buf, int64_t nbytes) {
  LT_TRY({
    at::Tensor c = T(t).detach().to(at::kCPU, scalar_type(dtype)).contiguous();
    if (static_cast<int64_t>(c.nbytes()) != nbytes) {
      throw std::invalid_argument("buffer holds " + std::to_string(nbytes) + " bytes but the tensor needs " +
                                  std::to_string(c.nbytes()));
    }
    if (nbytes > 0) std::memcpy(buf, c.data_ptr(), static_cast<size_t>(nbytes));
  })
}

// ---- conversion ----

int32_t lt_to_dtype(lt_tensor t, int32_t dtype, lt_tensor *out) { LT_TRY(*out = wrap(T(t).to(scalar_type(dtype)))) }
int32_t lt_to_device(lt_tensor t, int32_t dev, int32_t idx, lt_tensor *out) {
  LT_TRY(*out = wrap(T(t).to(device(dev, idx))))
}

// ---- autograd ----

int32_t lt_set_requires_grad(lt_tensor t, bool requires_grad) { LT_TRY(T(t).requires_grad_(requires_grad)) }
bool lt_requires_grad(lt_tensor t) { return T(t).requires_grad(); }
bool lt_is_leaf(lt_tensor t) { return T(t).is_leaf(); }
int32_t lt_grad(lt_tensor t, lt_tensor *out) {
  LT_TRY({
    const at::Tensor &g = T(t).grad();
    *out = g.defined() ? wrap(g) : nullptr;
  })
}
int32_t lt_zero_grad(lt_tensor t) { LT_TRY(T(t).mutable_grad() = at::Tensor()) }
int32_t lt_backward(lt_tensor t, lt_tensor gradient, bool retain_graph) {
  LT_TRY(T(t).backward(gradient ? T(gradient) : at::Tensor(), retain_graph))
}
int32_t lt_autograd_grad(const lt_tensor *outputs, int64_t n_out, const lt_tensor *inputs, int64_t n_in,
                         bool retain_graph, lt_tensor *grads_out) {
  LT_TRY({
    auto grads = torch::autograd::grad(tensors(outputs, n_out), tensors(inputs, n_in), {}, retain_graph,
                                       /*create_graph=*/false, /*allow_unused=*/true);
    for (size_t i = 0; i < grads.size(); ++i) {
      grads_out[i] = grads[i].defined() ? wrap(grads[i]) : nullptr;
    }
  })
}

}  // extern "C"
