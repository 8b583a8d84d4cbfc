// small_linear.cpp — y = x · wᵀ (+ bias) for a few rows of x, reading the weight once.
//
// Decoding is bound by reading weights: BLAS gemm packs (copies) the whole weight on every call
// and gemv reads it once per row, so beams, contrastive branches and look-ahead candidates cost
// a full weight read each. This kernel streams the weight once: a block of weight rows small
// enough for L2 is multiplied with every input row, 8 rows at a time held in registers (AVX2 +
// FMA; other CPUs use the scalar fallback), before the next block is read. Large products split
// their output blocks with one persistent helper thread (decoding otherwise leaves the second
// core idle: libtorch runs with one intra-op thread and BLAS is not involved).
#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <immintrin.h>

namespace {

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

extern "C" int lt_small_linear_vectorised(void) {
  static const int supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return supported;
}

namespace {

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
// is read once and reused from cache by every chunk of 8 input rows.
void blocked(const float *x, int64_t rows, const float *w, int64_t in, int64_t o0, int64_t o1, int64_t out, const float *bias, float *y) {
  const int64_t block = rows <= 8 ? o1 - o0 : std::max<int64_t>(8, (128 * 1024 / 4) / std::max<int64_t>(1, in));
  for (int64_t b0 = o0; b0 < o1; b0 += block) {
    const int64_t b1 = std::min(o1, b0 + block);
    for (int64_t start = 0; start < rows; start += 8)
      chunk(x + start * in, std::min<int64_t>(8, rows - start), w, in, b0, b1, out, bias, y + start * out);
  }
}

}  // namespace

// x [rows, in], w [out, in], bias [out] or null, y [rows, out]; all contiguous f32; rows ≥ 1.
extern "C" void lt_small_linear_f32(const float *x, int64_t rows, const float *w, int64_t in, int64_t out, const float *bias,
                                    float *y) {
  if (!lt_small_linear_vectorised()) return rows_scalar(x, rows, w, in, 0, out, out, bias, y);
  // Below about a million multiply-adds the hand-off costs more than it saves.
  if (rows * in * out < (int64_t(1) << 20) || out < 16) return blocked(x, rows, w, in, 0, out, out, bias, y);
  const int64_t middle = (out / 2 + 7) / 8 * 8;
  Helper::shared().split([&] { blocked(x, rows, w, in, 0, middle, out, bias, y); },
                         [&] { blocked(x, rows, w, in, middle, out, out, bias, y); });
}
