// small_linear.cpp — y = x · wᵀ (+ bias) for a few rows of x, reading the weight once.
//
// Decoding is bound by reading weights: BLAS gemm packs (copies) the whole weight on every call
// and gemv reads it once per row, so beams, contrastive branches and look-ahead candidates cost
// a full weight read each. This kernel streams the weight once: a block of weight rows small
// enough for L2 is multiplied with every input row before the next block is read. Large products
// split their output blocks with one persistent helper thread (decoding otherwise leaves the
// second core idle: libtorch runs with one intra-op thread and BLAS is not involved).
//
// Three micro-kernels, picked once from the CPU (a thread can choose a lower one for itself: tests, benchmarks):
// - AVX-512 (from 8 input rows): tiles of 4 weight rows × up to 6 input rows in 24 accumulators, so each loaded
//   vector feeds several multiply-adds (the AVX2 kernel below needs one weight load per input row
//   and is bound by loads: about 14 flop/cycle where the FMA units allow 64). Input rows are split
//   into balanced chunks (25 rows: 5 × 5, not 8 + 8 + 8 + 1). Masked loads handle the tail.
// - AVX-512 also for a single input row (batch-1 decoding): 4 weight rows at a time give four independent
//   accumulator chains, so one core streams the weight at the memory's read speed. MKL's sgemv read
//   12–15 GB/s on one thread of this AMD EPYC where a plain read streams 25–35 GB/s; SmolLM2 f32 greedy
//   decode went from 19–20 to 28–42 tok/s (docs/engine.md). A single row stays on the calling thread.
// - One bf16 row against bf16 weights: small_linear_bf16.cpp (the level kAVX512BF16 adds).
// - AVX2 + FMA: one weight row × up to 8 input rows (also for 2–7 rows on AVX-512 CPUs, and for a single
//   row on AVX2 CPUs: 1.3× MKL's gemv on SmolLM2 f32 decoding there).
// - scalar: anything else.
//
// The SIMD kernels exist on x86-64 only (`LT_SMALL_LINEAR_X86`). Elsewhere (arm64 Linux, macOS)
// lt_small_linear_enabled() is false and the shim's linear layer uses libtorch's own kernels.
#if defined(__x86_64__)
#define LT_SMALL_LINEAR_X86 1
#else
#define LT_SMALL_LINEAR_X86 0
#endif
#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <unistd.h>

#include "kernels.h"
#if LT_SMALL_LINEAR_X86
#include <immintrin.h>
#endif

namespace {
#if LT_SMALL_LINEAR_X86

template <int B>
__attribute__((target("avx2,fma"))) void rows_avx2(const float *x, const float *w, int64_t in, int64_t o0, int64_t o1, int64_t out,
                                                     const float *bias, float *y) {
  for (int64_t o = o0; o < o1; ++o) {
    const float *wr = w + o * in;
    __m256 acc[B];
    for (int b = 0; b < B; ++b) acc[b] = _mm256_setzero_ps();
    int64_t k = 0;
    for (; k + 8 <= in; k += 8) {
      const __m256 wv = _mm256_loadu_ps(wr + k);
      for (int b = 0; b < B; ++b) acc[b] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + b * in + k), acc[b]);
    }
    for (int b = 0; b < B; ++b) {
      __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc[b]), _mm256_extractf128_ps(acc[b], 1));
      s = _mm_hadd_ps(s, s);
      s = _mm_hadd_ps(s, s);
      float total = _mm_cvtss_f32(s);
      for (int64_t j = k; j < in; ++j) total += wr[j] * x[b * in + j];
      y[b * out + o] = total + (bias ? bias[o] : 0.0f);
    }
  }
}

// One k-step of a 4 × R tile: weight vectors a0…a3 times the R input rows' vectors at k (masked).
template <int R>
__attribute__((target("avx512f"))) inline void tile_step(__m512 (&acc)[4][R], __m512 a0, __m512 a1, __m512 a2, __m512 a3,
                                                         const float *x, int64_t in, int64_t k, __mmask16 mask) {
  for (int b = 0; b < R; ++b) {
    const __m512 xv = _mm512_maskz_loadu_ps(mask, x + b * in + k);
    acc[0][b] = _mm512_fmadd_ps(a0, xv, acc[0][b]);
    acc[1][b] = _mm512_fmadd_ps(a1, xv, acc[1][b]);
    acc[2][b] = _mm512_fmadd_ps(a2, xv, acc[2][b]);
    acc[3][b] = _mm512_fmadd_ps(a3, xv, acc[3][b]);
  }
}

// y[b, o] for o in [o0, o1) and R input rows: 4 weight rows at a time, then single rows.
template <int R>
__attribute__((target("avx512f"))) void tile_avx512(const float *x, const float *w, int64_t in, int64_t o0, int64_t o1, int64_t out,
                                                    const float *bias, float *y) {
  const int64_t full = in / 16 * 16;
  const __mmask16 all = 0xFFFF;
  const __mmask16 tail = static_cast<__mmask16>((1u << (in - full)) - 1u);
  int64_t o = o0;
  for (; o + 4 <= o1; o += 4) {
    const float *w0 = w + o * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
    __m512 acc[4][R];
    for (int j = 0; j < 4; ++j)
      for (int b = 0; b < R; ++b) acc[j][b] = _mm512_setzero_ps();
    for (int64_t k = 0; k < full; k += 16)
      tile_step<R>(acc, _mm512_loadu_ps(w0 + k), _mm512_loadu_ps(w1 + k), _mm512_loadu_ps(w2 + k), _mm512_loadu_ps(w3 + k), x, in, k,
                   all);
    if (tail)
      tile_step<R>(acc, _mm512_maskz_loadu_ps(tail, w0 + full), _mm512_maskz_loadu_ps(tail, w1 + full),
                   _mm512_maskz_loadu_ps(tail, w2 + full), _mm512_maskz_loadu_ps(tail, w3 + full), x, in, full, tail);
    for (int j = 0; j < 4; ++j)
      for (int b = 0; b < R; ++b) y[b * out + o + j] = _mm512_reduce_add_ps(acc[j][b]) + (bias ? bias[o + j] : 0.0f);
  }
  for (; o < o1; ++o) {
    const float *wr = w + o * in;
    __m512 acc[R];
    for (int b = 0; b < R; ++b) acc[b] = _mm512_setzero_ps();
    for (int64_t k = 0; k < full; k += 16) {
      const __m512 wv = _mm512_loadu_ps(wr + k);
      for (int b = 0; b < R; ++b) acc[b] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x + b * in + k), acc[b]);
    }
    if (tail) {
      const __m512 wv = _mm512_maskz_loadu_ps(tail, wr + full);
      for (int b = 0; b < R; ++b) acc[b] = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(tail, x + b * in + full), acc[b]);
    }
    for (int b = 0; b < R; ++b) y[b * out + o] = _mm512_reduce_add_ps(acc[b]) + (bias ? bias[o] : 0.0f);
  }
}

#endif  // LT_SMALL_LINEAR_X86

void rows_scalar(const float *x, int64_t rows, const float *w, int64_t in, int64_t o0, int64_t o1, int64_t out, const float *bias,
                 float *y) {
  for (int64_t o = o0; o < o1; ++o)
    for (int64_t b = 0; b < rows; ++b) {
      float total = 0;
      for (int64_t k = 0; k < in; ++k) total += w[o * in + k] * x[b * in + k];
      y[b * out + o] = total + (bias ? bias[o] : 0.0f);
    }
}

}  // namespace

namespace {

enum Kernel { kAuto = 0, kScalar = 1, kAVX2 = 2, kAVX512 = 3, kAVX512BF16 = 4 };

int detected() {
#if LT_SMALL_LINEAR_X86
  // The bf16 dot product (VDPBF16PS) is used with F/BW/VL only, so kAVX512BF16 implies them.
  static const bool bf16 = __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw") &&
                           __builtin_cpu_supports("avx512vl");
  static const int kernel = __builtin_cpu_supports("avx512f")                                     ? (bf16 ? kAVX512BF16 : kAVX512)
                            : (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? kAVX2
                                                                                                 : kScalar;
  return kernel;
#else
  return kScalar;
#endif
}

// LUCID_SMALL_LINEAR_KERNEL=scalar|avx2|avx512|avx512bf16 starts the process on that kernel (or the
// best below it this CPU has), so an AVX-512 machine can measure what an AVX2 one runs (with oneDNN's
// ONEDNN_MAX_CPU_ISA=AVX2 and ATen's ATEN_CPU_CAPABILITY=avx2: docs/engine.md). Unset: automatic.
int initially_forced() {
  const char *name = std::getenv("LUCID_SMALL_LINEAR_KERNEL");
  if (name == nullptr || *name == 0 || std::strcmp(name, "auto") == 0) return kAuto;
  if (std::strcmp(name, "scalar") == 0) return kScalar;
  if (std::strcmp(name, "avx2") == 0) return kAVX2;
  if (std::strcmp(name, "avx512") == 0) return kAVX512;
  if (std::strcmp(name, "avx512bf16") == 0) return kAVX512BF16;
  std::fprintf(stderr, "warning: LUCID_SMALL_LINEAR_KERNEL=%s is not one of auto, scalar, avx2, avx512, avx512bf16; using auto\n", name);
  return kAuto;
}

const int forced = initially_forced();
// A thread's own choice (-1: none, the process's applies). Per thread so that tests running side by
// side never see each other's kernel; a product split with the helper thread passes the caller's on.
thread_local int forced_here = -1;

int active() {
  const int want = forced_here >= 0 ? forced_here : forced;
  return want == kAuto ? detected() : std::min(want, detected());
}

}  // namespace

// Whether the shim routes few-row products here (x86-64); elsewhere libtorch's kernels do them.
extern "C" bool lt_small_linear_enabled(void) { return LT_SMALL_LINEAR_X86 != 0; }
// Whether a single f32 row goes through this file too: AVX-512 and AVX2, both measured faster than MKL's
// gemv (AVX2 EPYC, SmolLM2 f32 decode: 24.3–24.9 tok/s with gemv, 30.4–31.5 with the AVX2 kernel; split
// over the helper thread 31.3–31.5, so one row stays on the calling thread there too).
extern "C" bool lt_small_linear_single_row(void) { return LT_SMALL_LINEAR_X86 != 0 && active() >= kAVX2; }

// The L1 data cache of one core in bytes (32 KB where the system does not say). The few-row kernels
// read every input row again for each weight row (AVX2, and bf16 at every level) or each tile of 4
// (AVX-512), so whether the input rows fit in half of it decides which kernel runs (docs/engine.md).
extern "C" int64_t lt_l1_data_cache_bytes(void) {
  static const int64_t bytes = [] {
#if defined(_SC_LEVEL1_DCACHE_SIZE)
    const long size = sysconf(_SC_LEVEL1_DCACHE_SIZE);  // glibc; macOS has hw.l1dcachesize instead
#else
    const long size = 0;
#endif
    return size > 0 ? int64_t(size) : int64_t(32768);
  }();
  return bytes;
}

// The micro-kernel in use: 1 scalar, 2 AVX2 + FMA, 3 AVX-512, 4 AVX-512 with the bf16 dot product
// (f32 products as 3; one bf16 row through VDPBF16PS, small_linear_bf16.cpp).
extern "C" int lt_small_linear_kernel(void) { return active(); }

// Sets the calling thread's micro-kernel (0: the best this CPU has; a kernel the CPU lacks falls back
// to the best it has; -1: the process's choice again); returns the thread's previous setting.
extern "C" int lt_small_linear_set_thread_kernel(int kernel) {
  const int previous = forced_here;
  forced_here = kernel >= kAuto && kernel <= kAVX512BF16 ? kernel : -1;
  return previous;
}

namespace {

#if LT_SMALL_LINEAR_X86
void tile(const float *x, int64_t rows, const float *w, int64_t in, int64_t o0, int64_t o1, int64_t out, const float *bias, float *y) {
  switch (rows) {
    case 1: return tile_avx512<1>(x, w, in, o0, o1, out, bias, y);
    case 2: return tile_avx512<2>(x, w, in, o0, o1, out, bias, y);
    case 3: return tile_avx512<3>(x, w, in, o0, o1, out, bias, y);
    case 4: return tile_avx512<4>(x, w, in, o0, o1, out, bias, y);
    case 5: return tile_avx512<5>(x, w, in, o0, o1, out, bias, y);
    default: return tile_avx512<6>(x, w, in, o0, o1, out, bias, y);
  }
}

void chunk(const float *x, int64_t rows, const float *w, int64_t in, int64_t o0, int64_t o1, int64_t out, const float *bias, float *y) {
  switch (rows) {
    case 1: return rows_avx2<1>(x, w, in, o0, o1, out, bias, y);
    case 2: return rows_avx2<2>(x, w, in, o0, o1, out, bias, y);
    case 3: return rows_avx2<3>(x, w, in, o0, o1, out, bias, y);
    case 4: return rows_avx2<4>(x, w, in, o0, o1, out, bias, y);
    case 5: return rows_avx2<5>(x, w, in, o0, o1, out, bias, y);
    case 6: return rows_avx2<6>(x, w, in, o0, o1, out, bias, y);
    case 7: return rows_avx2<7>(x, w, in, o0, o1, out, bias, y);
    default: return rows_avx2<8>(x, w, in, o0, o1, out, bias, y);
  }
}

// One helper thread that runs half of a large product while the caller runs the other half. A
// caller that finds it busy (another thread's product) does all the work itself.
class Helper {
 public:
  static Helper &shared() {
    static Helper *helper = new Helper();  // never destroyed: the thread lives as long as the process
    return *helper;
  }

  // Runs `mine` here and `theirs` on the helper; returns when both are done.
  void split(const std::function<void()> &mine, const std::function<void()> &theirs) {
    std::unique_lock<std::mutex> gate(use_, std::try_to_lock);
    if (!gate.owns_lock()) {
      mine();
      theirs();
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      task_ = &theirs;
      done_ = false;
    }
    wake_.notify_one();
    mine();
    std::unique_lock<std::mutex> lock(mutex_);
    finished_.wait(lock, [this] { return done_; });
  }

 private:
  Helper() : thread_([this] { loop(); }) { thread_.detach(); }

  void loop() {
    for (;;) {
      const std::function<void()> *task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return task_ != nullptr; });
        task = task_;
      }
      (*task)();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        task_ = nullptr;
        done_ = true;
      }
      finished_.notify_one();
    }
  }

  std::mutex use_, mutex_;
  std::condition_variable wake_, finished_;
  const std::function<void()> *task_ = nullptr;
  bool done_ = true;
  std::thread thread_;
};

// Output rows [o0, o1) of the product, blocked so that each block of weight rows (about 128 KB)
// is read once and reused from cache by every chunk of input rows (at most `widest` rows per
// chunk, the chunks balanced).
void blocked(int level, const float *x, int64_t rows, const float *w, int64_t in, int64_t o0, int64_t o1, int64_t out, const float *bias, float *y) {
  // Up to 7 rows the product streams weights from memory and one weight row at a time (AVX2)
  // streams best; from 8 rows it is compute-bound and the 4-row AVX-512 tiles win (measured on
  // the LM head, 576 → 49152: 5 rows 2.5 vs 3.5 ms, 25 rows 13.4 vs 6.3 ms). The AVX2 kernel reads
  // every input row again for each weight row, the tiles once per 4 weight rows: so rows that spill
  // from half the L1 cache take the tiles too (Llama-7B's 4096 → 11008 at 5 rows: 8.1 vs 4.7 ms;
  // SmolLM2's 1536 → 576 at 5 rows: 0.19 vs 0.14 ms; docs/engine.md).
  const bool spills = rows * in * int64_t(sizeof(float)) > lt_l1_data_cache_bytes() / 2;
  const bool wide = level >= kAVX512 && (rows >= 8 || rows == 1 || spills);
  const int64_t widest = wide ? 6 : 8;
  const int64_t chunks = (rows + widest - 1) / widest;
  const int64_t block = chunks == 1 ? o1 - o0 : std::max<int64_t>(8, (128 * 1024 / 4) / std::max<int64_t>(1, in)) / 4 * 4;
  for (int64_t b0 = o0; b0 < o1; b0 += block) {
    const int64_t b1 = std::min(o1, b0 + block);
    for (int64_t c = 0, start = 0; c < chunks; ++c) {
      const int64_t size = rows / chunks + (c < rows % chunks ? 1 : 0);
      if (wide) tile(x + start * in, size, w, in, b0, b1, out, bias, y + start * out);
      else chunk(x + start * in, size, w, in, b0, b1, out, bias, y + start * out);
      start += size;
    }
  }
}

#endif  // LT_SMALL_LINEAR_X86

}  // namespace

// x [rows, in], w [out, in], bias [out] or null, y [rows, out]; all contiguous f32; rows ≥ 1.
extern "C" void lt_small_linear_f32(const float *x, int64_t rows, const float *w, int64_t in, int64_t out, const float *bias,
                                    float *y) {
  const int level = active();  // the calling thread's: the helper has none of its own
  if (level == kScalar) return rows_scalar(x, rows, w, in, 0, out, out, bias, y);
#if LT_SMALL_LINEAR_X86
  // Below about a million multiply-adds the hand-off costs more than it saves; a single row is bound
  // by one core's read stream and stays on this thread (the helper measured no faster).
  if (rows == 1 || rows * in * out < (int64_t(1) << 20) || out < 16) return blocked(level, x, rows, w, in, 0, out, out, bias, y);
  const int64_t middle = (out / 2 + 7) / 8 * 8;
  Helper::shared().split([&] { blocked(level, x, rows, w, in, 0, middle, out, bias, y); },
                         [&] { blocked(level, x, rows, w, in, middle, out, out, bias, y); });
#endif
}
