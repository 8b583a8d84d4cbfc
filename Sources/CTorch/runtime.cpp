// runtime.cpp — the shim's process-wide side: errors, libtorch's identity and version check, the CUDA
// backend's loading, the allocator tuning, threads, grad mode and random generators.

#include "shim.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/api/include/torch/version.h>

#include <dlfcn.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <unistd.h>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

using namespace lucid_shim;

thread_local std::string lucid_shim::last_error;

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

const char *lt_aten_cpu_capability(void) {
  static const std::string capability = at::get_cpu_capability();
  return capability.c_str();
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
