// ctorch.cpp — implementation of the C shim declared in include/ctorch.h.
//
// Mechanical by design: each function unwraps handles, calls one ATen/autograd entry point, wraps
// the result, and converts any exception into a status code plus a thread-local message.

#include "ctorch.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/api/include/torch/version.h>

#include <dlfcn.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <optional>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

struct lt_tensor_s { at::Tensor t; };

at::Tensor lucid_rotary_apply(const at::Tensor &x, const at::Tensor &cos, const at::Tensor &sin);  // rotary.cpp
struct lt_generator_s { at::Generator g; uint64_t seed; };

namespace {

thread_local std::string last_error;

int32_t fail(const char *message) {
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

at::ScalarType scalar_type(int32_t dtype) {
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

int32_t lucid_dtype(at::ScalarType s) {
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

// libtorch registers its CUDA backend when libtorch_cuda.so is loaded. The shim is compiled against
// the same headers for every wheel and references nothing in it, so no link flag would keep it; it
// is loaded from beside the loaded libtorch_cpu when the shim is loaded (the constructor below). The
// CPU wheel has no such file, and a CUDA wheel whose nvidia-* libraries are missing fails to load it:
// both leave CUDA unavailable, which Torch.unavailability(of:) then reports.

// dlerror() of a libtorch_cuda.so that is present but failed to load (a missing CUDA library), else "".
static std::string &cuda_load_error() {
  static std::string error;
  return error;
}

// The dlopen handle of libtorch_cuda.so (nullptr without one): dlsym on it also searches the CUDA
// runtime it links, for the few runtime calls the shim makes itself (lt_cuda_memory).
static void *&cuda_library() {
  static void *handle = nullptr;
  return handle;
}

// ATen caches its CUDA hooks the first time anything asks for them (getCUDAHooks' once_flag): a
// libtorch_cuda.so loaded after that never registers, and CUDA stays unavailable for the process.
// Python's torch links it at import; here it is loaded when the shim is, before any ATen call.
__attribute__((constructor)) static void load_cuda_backend() {
  const std::string cpu = lt_torch_library();
  const auto slash = cpu.rfind('/');
  if (slash == std::string::npos) return;
  const std::string path = cpu.substr(0, slash + 1) + "libtorch_cuda.so";
  if (access(path.c_str(), R_OK) != 0) return;
  cuda_library() = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (cuda_library() == nullptr) {
    const char *reason = dlerror();
    cuda_load_error() = reason != nullptr ? reason : "dlopen failed";
  }
}

// glibc serves allocations above its mmap threshold (at most 32 MB by its own adjustment) with fresh
// mappings that the kernel zeroes page by page on first touch, and returns them on free: a 7B
// prefill's per-layer activations (attention scores alone are 45 MB a layer at 595 positions) paid
// ~750,000 page faults for that. Raising the threshold to 256 MB and keeping up to 1 GB of freed heap
// lets them reuse memory instead (docs/engine.md, the 7B-shaped checkpoint). A user's own
// GLIBC_TUNABLES malloc settings are left as they are.
#if defined(__GLIBC__)
__attribute__((constructor)) static void tune_allocator() {
  const char *tunables = getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && strstr(tunables, "glibc.malloc.") != nullptr) return;
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}
#endif

extern "C" int64_t lt_malloc_mapped_bytes(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
  return static_cast<int64_t>(mallinfo2().hblkhd);
#else
  return -1;
#endif
}

at::Device device(int32_t dev, int32_t index) {
  if (dev == LT_CUDA) return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
  if (dev == LT_MPS) return at::Device(at::kMPS);
  return at::Device(at::kCPU);
}

at::TensorOptions options(int32_t dtype, int32_t dev, int32_t index) {
  return at::TensorOptions().dtype(scalar_type(dtype)).device(device(dev, index));
}

at::Scalar scalar(lt_scalar s) {
  switch (s.kind) {
    case 1: return at::Scalar(static_cast<int64_t>(s.i));
    case 2: return at::Scalar(s.i != 0);
    default: return at::Scalar(s.f);
  }
}

at::IntArrayRef dims(const int64_t *p, int64_t n) { return at::IntArrayRef(p, static_cast<size_t>(n)); }

c10::optional<at::Generator> gen(lt_generator g) {
  if (g == nullptr) return c10::nullopt;
  return g->g;
}

std::vector<at::Tensor> tensors(const lt_tensor *ts, int64_t n) {
  std::vector<at::Tensor> v;
  v.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v.push_back(T(ts[i]));
  return v;
}

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

// ---- errors, library, threads ----

const char *lt_last_error(void) { return last_error.c_str(); }
const char *lt_torch_version(void) { return TORCH_VERSION; }

const char *lt_torch_config(void) {
  static const std::string config = [] {
    try { return at::show_config(); } catch (...) { return std::string(); }
  }();
  return config.c_str();
}

const char *lt_torch_runtime_version(void) {
  static const std::string version = [] {
    const std::string config = lt_torch_config();
    const std::string key = "TORCH_VERSION=";
    const size_t start = config.find(key);
    if (start == std::string::npos) return std::string();
    const size_t end = config.find_first_of(", \n", start + key.size());
    return config.substr(start + key.size(), end == std::string::npos ? std::string::npos : end - start - key.size());
  }();
  return version.c_str();
}

const char *lt_torch_library(void) {
  static const std::string name = [] {
    Dl_info info;
    auto symbol = reinterpret_cast<void *>(static_cast<std::string (*)()>(&at::show_config));
    if (dladdr(symbol, &info) == 0 || info.dli_fname == nullptr) return std::string("unknown");
    char resolved[PATH_MAX];
    return std::string(realpath(info.dli_fname, resolved) != nullptr ? resolved : info.dli_fname);
  }();
  return name.c_str();
}
const char *lt_cuda_backend_error(void) { return cuda_load_error().c_str(); }
bool lt_cuda_backend_loaded(void) { return cuda_library() != nullptr; }
bool lt_cuda_is_available(void) { return at::hasCUDA(); }
int32_t lt_cuda_device_count(void) {
  try { return at::hasCUDA() ? static_cast<int32_t>(at::getNumGPUs()) : 0; } catch (...) { return 0; }
}
bool lt_cuda_memory(int32_t index, int64_t *free_bytes, int64_t *total_bytes) {
  // cudaMemGetInfo reports the current device, so select `index` and restore the previous one.
  using get_info = int (*)(size_t *, size_t *);
  using get_device = int (*)(int *);
  using set_device = int (*)(int);
  if (cuda_library() == nullptr || !at::hasCUDA() || index < 0 || index >= lt_cuda_device_count()) return false;
  auto info = reinterpret_cast<get_info>(dlsym(cuda_library(), "cudaMemGetInfo"));
  auto get = reinterpret_cast<get_device>(dlsym(cuda_library(), "cudaGetDevice"));
  auto set = reinterpret_cast<set_device>(dlsym(cuda_library(), "cudaSetDevice"));
  if (info == nullptr || get == nullptr || set == nullptr) return false;
  int previous = 0;
  if (get(&previous) != 0 || set(index) != 0) return false;
  size_t free_now = 0, total = 0;
  const bool ok = info(&free_now, &total) == 0;
  (void)set(previous);
  if (!ok) return false;
  *free_bytes = static_cast<int64_t>(free_now);
  *total_bytes = static_cast<int64_t>(total);
  return true;
}
bool lt_mps_is_available(void) {
  try { return at::hasMPS(); } catch (...) { return false; }
}
int32_t lt_probe_device(int32_t dtype, int32_t dev, int32_t idx) {
  LT_TRY({
    auto opts = options(dtype, dev, idx);
    auto a = at::ones({4, 8}, opts);
    auto b = at::ones({8, 4}, opts);
    auto y = at::softmax(at::matmul(a, b), -1).sum();
    (void)y.to(at::kCPU).to(at::kFloat).item<float>();
  })
}
void lt_set_num_threads(int32_t n) { at::set_num_threads(n); }
int32_t lt_get_num_threads(void) { return at::get_num_threads(); }

bool lt_set_blas_threads(int32_t n) {
  using setter = void (*)(int);
  auto f = reinterpret_cast<setter>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (f == nullptr) return false;
  f(n);
  return true;
}

int32_t lt_get_blas_threads(void) {
  using getter = int (*)();
  auto f = reinterpret_cast<getter>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return f == nullptr ? -1 : f();
}

const char *lt_blas_library(void) {
  static thread_local std::string name;
  void *sym = dlsym(RTLD_DEFAULT, "sgemm_");
  Dl_info info;
  if (sym != nullptr && dladdr(sym, &info) != 0 && info.dli_fname != nullptr) {
    char resolved[PATH_MAX];
    name = realpath(info.dli_fname, resolved) != nullptr ? resolved : info.dli_fname;
  } else {
    name = "unknown";
  }
  return name.c_str();
}

bool lt_set_grad_enabled(bool enabled) {
  bool previous = c10::GradMode::is_enabled();
  c10::GradMode::set_enabled(enabled);
  return previous;
}
bool lt_is_grad_enabled(void) { return c10::GradMode::is_enabled(); }
void lt_manual_seed(uint64_t seed) { at::manual_seed(seed); }

// ---- generators ----

int32_t lt_generator_new(uint64_t seed, lt_generator *out) {
  LT_TRY(*out = new lt_generator_s{at::make_generator<at::CPUGeneratorImpl>(seed), seed})
}
void lt_generator_free(lt_generator g) { delete g; }
void lt_generator_set_seed(lt_generator g, uint64_t seed) {
  std::lock_guard<std::mutex> lock(g->g.mutex());
  g->g.set_current_seed(seed);
  g->seed = seed;
}
uint64_t lt_generator_seed(lt_generator g) { return g->seed; }

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
int32_t lt_inplace_scalar(int32_t op, lt_tensor a, lt_scalar b) {
  LT_TRY({
    switch (op) {
      case LT_ADD: T(a).add_(scalar(b)); break;
      case LT_SUB: T(a).sub_(scalar(b)); break;
      case LT_MUL: T(a).mul_(scalar(b)); break;
      case LT_DIV: T(a).div_(scalar(b)); break;
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

// ---- linear algebra and neural-network primitives ----

// bf16/f16 products in f32 on CPUs without AVX-512 (widened_products.cpp); undefined where not applied.
extern "C++" {
at::Tensor lt_widened_linear(const at::Tensor &x, const at::Tensor &w, const c10::optional<at::Tensor> &b);
at::Tensor lt_widened_matmul(const at::Tensor &a, const at::Tensor &b);
at::Tensor lt_widened_conv2d(const at::Tensor &x, const at::Tensor &w, const c10::optional<at::Tensor> &b, at::IntArrayRef stride,
                             at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups);
}

extern "C" bool lt_small_linear_bf16_row_enabled(void);
extern "C" void lt_small_linear_bf16_row(const uint16_t *x, const uint16_t *w, int64_t in, int64_t out, const uint16_t *bias,
                                         uint16_t *y);
extern "C" void lt_small_linear_bf16_rows(const uint16_t *x, int64_t rows, const uint16_t *w, int64_t in, int64_t out,
                                          const uint16_t *bias, uint16_t *y);
extern "C" bool lt_small_linear_bf16_rows_fit(int64_t rows, int64_t in, int threads);
extern "C" void lt_small_linear_bf16_row_times_matrix(const uint16_t *x, const uint16_t *m, int64_t k, int64_t ld, int64_t n,
                                                     uint16_t *y);

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
extern "C" void lt_small_linear_f32(const float *x, int64_t rows, const float *w, int64_t in, int64_t out, const float *bias,
                                    float *y);
extern "C" bool lt_small_linear_enabled(void);
extern "C" bool lt_small_linear_single_row(void);

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

static at::Tensor rms_norm_half(const at::Tensor &x, const c10::optional<at::Tensor> &w, double eps) {
  const bool needsGrad = at::GradMode::is_enabled() && (x.requires_grad() || (w && w->requires_grad()));
  if (x.scalar_type() == at::kBFloat16 && x.device().is_cpu() && x.dim() >= 1 && !needsGrad &&
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

// ---- load-time check ----

namespace {

// Refuses to run on a libtorch other than the one the shim was compiled against. Without it a
// binary whose directory lacks the wheel's libraries would silently bind to a system libtorch
// (Debian's libtorch-dev installs /usr/lib/*/libtorch_cpu.so, a 1.13) and fail, or misbehave, at
// the first symbol that differs. Runs when the binary is loaded, before any Swift code.
struct RuntimeVersionCheck {
  RuntimeVersionCheck() {
    const std::string runtime = lt_torch_runtime_version();
    if (runtime == TORCH_VERSION) return;
    std::fprintf(stderr,
                 "Lucid: the dynamic loader found libtorch %s (%s), but Lucid was built against libtorch %s.\n"
                 "Put the torch wheel's libraries next to the binary: `scripts/setup.sh --link-libs DIR` "
                 "(make build and make test do this), or set LD_LIBRARY_PATH to $LUCID_CACHE/torch/<version>/lib.\n",
                 runtime.empty() ? "of unknown version" : runtime.c_str(), lt_torch_library(), TORCH_VERSION);
    std::_Exit(70);
  }
};

const RuntimeVersionCheck runtime_version_check;

}  // namespace
