// small_linear_bf16.cpp — up to 8 bf16 rows times bf16 weights (batch-1 decoding, beams, contrastive
// branches in bf16), bf16 in and out.
//
// A batch-1 bf16 decoder multiplies one row by every weight; at::linear (oneDNN) reads the weight at
// 2–7 GB/s there (docs/engine.md), so on AVX-512 and AVX2 CPUs the shim sends that product here. Each
// weight row is read once, as one sequential stream (one row at a time measured faster than four
// interleaved), with f32 accumulation, the bias added in f32 and one round-to-nearest-even to bf16 at
// the end, as at::linear does:
// - AVX-512 F/BW/VL: 16 weights widened to f32 in registers per multiply-add; the input row is
//   widened once per call.
// - AVX-512 BF16 (VDPBF16PS, kernel level 4): 32 weights per instruction, each pair's products added
//   to the f32 accumulator (a bf16 × bf16 product is exact in f32, so this is the same arithmetic as
//   the widened multiply-add up to summation order; the instruction flushes subnormals, which bf16
//   weights and activations do not reach in practice). On this AMD EPYC the widening's conversion and
//   shift cost more than the read: a stand-alone read of SmolLM2-135M's layer weights ran at
//   18.4–21.8 GB/s widened and 27.4–33.0 GB/s with VDPBF16PS (docs/engine.md, Threads).
// - AVX2 + FMA (kernel level 2, CPUs without AVX-512): 16 weights per 256-bit load, as 8 pairs; the
//   even ones become f32 by a shift, the odd ones by masking off the low half (no cross-lane widening,
//   which an earlier AVX2 port used and which decoded slower than oneDNN), each multiplied with the
//   matching half of the input row, widened and split into evens and odds once per call.
// Input and output stay bf16, so the shim needs no cast before or after (two fewer ops per linear).
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels.h"

namespace {
#if defined(__x86_64__)
constexpr int kAVX2 = 2, kAVX512 = 3, kAVX512BF16 = 4;

// f32 → bf16, round to nearest even; NaN stays a quiet NaN (c10::BFloat16's rule).
inline uint16_t to_bf16(float f) {
  if (std::isnan(f)) return 0x7FC0;
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return static_cast<uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

inline float to_f32(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// The sum plus the bias (in f32), rounded once.
inline uint16_t finish(float sum, const uint16_t *bias, int64_t o) { return to_bf16(sum + (bias ? to_f32(bias[o]) : 0.0f)); }

// 16 bf16 values widened to f32 (bf16 is the top half of an f32); `mask` loads only the tail.
__attribute__((target("avx512f,avx512bw,avx512vl"))) inline __m512 widen(const uint16_t *p, __mmask16 mask) {
  const __m256i raw = _mm256_maskz_loadu_epi16(mask, p);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(raw), 16));
}

// y[o] for o in [0, out): weights widened in registers against the f32 input row `x`, one weight row
// at a time (one sequential stream), 64 weights per step in four accumulator chains.
__attribute__((target("avx512f,avx512bw,avx512vl"))) void row_widened(const float *x, const uint16_t *w, int64_t in, int64_t out,
                                                                      const uint16_t *bias, uint16_t *y) {
  const int64_t full = in / 16 * 16, wide = in / 64 * 64;
  const __mmask16 tail = static_cast<__mmask16>((1u << (in - full)) - 1u);
  for (int64_t o = 0; o < out; ++o) {
    const uint16_t *wr = w + o * in;
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int64_t k = 0;
    for (; k < wide; k += 64) {
      a0 = _mm512_fmadd_ps(widen(wr + k, 0xFFFF), _mm512_loadu_ps(x + k), a0);
      a1 = _mm512_fmadd_ps(widen(wr + k + 16, 0xFFFF), _mm512_loadu_ps(x + k + 16), a1);
      a2 = _mm512_fmadd_ps(widen(wr + k + 32, 0xFFFF), _mm512_loadu_ps(x + k + 32), a2);
      a3 = _mm512_fmadd_ps(widen(wr + k + 48, 0xFFFF), _mm512_loadu_ps(x + k + 48), a3);
    }
    for (; k < full; k += 16) a0 = _mm512_fmadd_ps(widen(wr + k, 0xFFFF), _mm512_loadu_ps(x + k), a0);
    if (tail) a1 = _mm512_fmadd_ps(widen(wr + full, tail), _mm512_maskz_loadu_ps(tail, x + full), a1);
    y[o] = finish(_mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3))), bias, o);
  }
}

// 32 bf16 values (the tail masked to zeros, which add nothing) as the dot product's operand.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) inline __m512bh pairs(const uint16_t *p, __mmask32 mask) {
  return (__m512bh)_mm512_maskz_loadu_epi16(mask, p);
}

// y[o] for o in [0, out): VDPBF16PS on the bf16 input row `x`, one weight row at a time (one
// sequential stream), 128 weights per step in four accumulator chains.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) void row_dot(const uint16_t *x, const uint16_t *w, int64_t in,
                                                                             int64_t out, const uint16_t *bias, uint16_t *y) {
  const int64_t full = in / 32 * 32, wide = in / 128 * 128;
  const __mmask32 tail = static_cast<__mmask32>((uint64_t(1) << (in - full)) - 1u);
  const __mmask32 all = 0xFFFFFFFFu;
  for (int64_t o = 0; o < out; ++o) {
    const uint16_t *wr = w + o * in;
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int64_t k = 0;
    for (; k < wide; k += 128) {
      a0 = _mm512_dpbf16_ps(a0, pairs(wr + k, all), pairs(x + k, all));
      a1 = _mm512_dpbf16_ps(a1, pairs(wr + k + 32, all), pairs(x + k + 32, all));
      a2 = _mm512_dpbf16_ps(a2, pairs(wr + k + 64, all), pairs(x + k + 64, all));
      a3 = _mm512_dpbf16_ps(a3, pairs(wr + k + 96, all), pairs(x + k + 96, all));
    }
    for (; k < full; k += 32) a0 = _mm512_dpbf16_ps(a0, pairs(wr + k, all), pairs(x + k, all));
    if (tail) a1 = _mm512_dpbf16_ps(a1, pairs(wr + full, tail), pairs(x + full, tail));
    y[o] = finish(_mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3))), bias, o);
  }
}

// y[n] = Σ_k x[k] · m[k, n] for n in [0, n_count): the row times a row-major matrix (row stride `ld`),
// 64 outputs at a time in four f32 accumulators, each input widened once and broadcast.
__attribute__((target("avx512f,avx512bw,avx512vl"))) void row_times_matrix(const uint16_t *x, const uint16_t *m, int64_t k_count,
                                                                           int64_t ld, int64_t n_count, uint16_t *y) {
  for (int64_t n0 = 0; n0 < n_count; n0 += 64) {
    const int64_t width = n_count - n0 < 64 ? n_count - n0 : 64;
    __mmask16 masks[4];
    for (int j = 0; j < 4; ++j) {
      const int64_t lanes = width - 16 * j;
      masks[j] = lanes >= 16 ? static_cast<__mmask16>(0xFFFF) : lanes <= 0 ? 0 : static_cast<__mmask16>((1u << lanes) - 1u);
    }
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    for (int64_t k = 0; k < k_count; ++k) {
      const __m512 xk = _mm512_set1_ps(to_f32(x[k]));
      const uint16_t *row = m + k * ld + n0;
      for (int j = 0; j < 4; ++j)
        if (masks[j]) acc[j] = _mm512_fmadd_ps(widen(row + 16 * j, masks[j]), xk, acc[j]);
    }
    alignas(64) float sums[64];
    for (int j = 0; j < 4; ++j) _mm512_store_ps(sums + 16 * j, acc[j]);
    for (int64_t n = 0; n < width; ++n) y[n0 + n] = to_bf16(sums[n]);
  }
}

// The 8-lane sum of an AVX2 register.
__attribute__((target("avx2,fma"))) inline float sum8(__m256 v) {
  const __m128 four = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 two = _mm_add_ps(four, _mm_movehl_ps(four, four));
  return _mm_cvtss_f32(_mm_add_ss(two, _mm_shuffle_ps(two, two, 1)));
}

// The input row for row_pairs: per block of 16, the 8 even entries then the 8 odd ones, widened to f32.
void split_pairs(const uint16_t *x, int64_t full, float *xe) {
  for (int64_t k = 0; k < full; k += 16)
    for (int j = 0; j < 8; ++j) {
      xe[k + j] = to_f32(x[k + 2 * j]);
      xe[k + 8 + j] = to_f32(x[k + 2 * j + 1]);
    }
}

// One weight row's 16-weight block: its 8 even weights (shifted up) times the even inputs, its 8 odd
// weights (low halves masked off) times the odd inputs.
__attribute__((target("avx2,fma"))) inline void pairs_step(const uint16_t *w, __m256 even, __m256 odd, __m256i high, __m256 &ae,
                                                           __m256 &ao) {
  const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(w));
  ae = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(v, 16)), even, ae);
  ao = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_and_si256(v, high)), odd, ao);
}

// y[o] for o in [0, out), AVX2: one weight row at a time (one sequential stream for the prefetcher),
// 64 weights per step in four pairs of accumulator chains; entries past the last whole block of 16 in
// scalar f32.
__attribute__((target("avx2,fma"))) void row_pairs(const float *xe, const uint16_t *x, const uint16_t *w, int64_t in, int64_t out,
                                                   const uint16_t *bias, uint16_t *y) {
  const int64_t full = in / 16 * 16, wide = in / 64 * 64;
  const __m256i high = _mm256_set1_epi32(static_cast<int>(0xFFFF0000u));
  for (int64_t o = 0; o < out; ++o) {
    const uint16_t *wr = w + o * in;
    __m256 e0 = _mm256_setzero_ps(), d0 = e0, e1 = e0, d1 = e0, e2 = e0, d2 = e0, e3 = e0, d3 = e0;
    int64_t k = 0;
    for (; k < wide; k += 64) {
      pairs_step(wr + k, _mm256_loadu_ps(xe + k), _mm256_loadu_ps(xe + k + 8), high, e0, d0);
      pairs_step(wr + k + 16, _mm256_loadu_ps(xe + k + 16), _mm256_loadu_ps(xe + k + 24), high, e1, d1);
      pairs_step(wr + k + 32, _mm256_loadu_ps(xe + k + 32), _mm256_loadu_ps(xe + k + 40), high, e2, d2);
      pairs_step(wr + k + 48, _mm256_loadu_ps(xe + k + 48), _mm256_loadu_ps(xe + k + 56), high, e3, d3);
    }
    for (; k < full; k += 16) pairs_step(wr + k, _mm256_loadu_ps(xe + k), _mm256_loadu_ps(xe + k + 8), high, e0, d0);
    float sum = sum8(_mm256_add_ps(_mm256_add_ps(_mm256_add_ps(e0, d0), _mm256_add_ps(e1, d1)),
                                   _mm256_add_ps(_mm256_add_ps(e2, d2), _mm256_add_ps(e3, d3))));
    for (k = full; k < in; ++k) sum += to_f32(wr[k]) * to_f32(x[k]);
    y[o] = finish(sum, bias, o);
  }
}

// 8 bf16 values widened to f32.
__attribute__((target("avx2,fma"))) inline __m256 widen8(const uint16_t *p) {
  const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(raw), 16));
}

// row_times_matrix on AVX2: 32 outputs at a time in four accumulators, 8 bf16 widened per load; the
// columns past the last whole group of 32 in scalar f32.
__attribute__((target("avx2,fma"))) void row_times_matrix_avx2(const uint16_t *x, const uint16_t *m, int64_t k_count, int64_t ld,
                                                               int64_t n_count, uint16_t *y) {
  const int64_t full = n_count / 32 * 32;
  for (int64_t n0 = 0; n0 < full; n0 += 32) {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int64_t k = 0; k < k_count; ++k) {
      const __m256 xk = _mm256_set1_ps(to_f32(x[k]));
      const uint16_t *row = m + k * ld + n0;
      for (int j = 0; j < 4; ++j) acc[j] = _mm256_fmadd_ps(widen8(row + 8 * j), xk, acc[j]);
    }
    alignas(32) float sums[32];
    for (int j = 0; j < 4; ++j) _mm256_store_ps(sums + 8 * j, acc[j]);
    for (int64_t n = 0; n < 32; ++n) y[n0 + n] = to_bf16(sums[n]);
  }
  for (int64_t n = full; n < n_count; ++n) {
    float sum = 0.0f;
    for (int64_t k = 0; k < k_count; ++k) sum += to_f32(x[k]) * to_f32(m[k * ld + n]);
    y[n] = to_bf16(sum);
  }
}

// Few rows (2 ≤ M ≤ 8: beams, contrastive branches, look-ahead candidates): each weight row is read
// once for all M input rows, two accumulator chains per input row (the weight's halves at k and k + step).

// VDPBF16PS, 64 weights a step.
template <int M>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) void rows_dot(const uint16_t *x, const uint16_t *w, int64_t in,
                                                                              int64_t out, const uint16_t *bias, uint16_t *y) {
  const int64_t full = in / 32 * 32, wide = in / 64 * 64;
  const __mmask32 tail = static_cast<__mmask32>((uint64_t(1) << (in - full)) - 1u);
  const __mmask32 all = 0xFFFFFFFFu;
  for (int64_t o = 0; o < out; ++o) {
    const uint16_t *wr = w + o * in;
    __m512 a[M], b[M];
    for (int r = 0; r < M; ++r) a[r] = b[r] = _mm512_setzero_ps();
    int64_t k = 0;
    for (; k < wide; k += 64) {
      const __m512bh w0 = pairs(wr + k, all), w1 = pairs(wr + k + 32, all);
      for (int r = 0; r < M; ++r) {
        a[r] = _mm512_dpbf16_ps(a[r], w0, pairs(x + r * in + k, all));
        b[r] = _mm512_dpbf16_ps(b[r], w1, pairs(x + r * in + k + 32, all));
      }
    }
    for (; k < full; k += 32) {
      const __m512bh w0 = pairs(wr + k, all);
      for (int r = 0; r < M; ++r) a[r] = _mm512_dpbf16_ps(a[r], w0, pairs(x + r * in + k, all));
    }
    if (tail) {
      const __m512bh w0 = pairs(wr + full, tail);
      for (int r = 0; r < M; ++r) b[r] = _mm512_dpbf16_ps(b[r], w0, pairs(x + r * in + full, tail));
    }
    for (int r = 0; r < M; ++r) y[r * out + o] = finish(_mm512_reduce_add_ps(_mm512_add_ps(a[r], b[r])), bias, o);
  }
}

// Weights widened in registers against f32 input rows (`xf`, M rows of `in`), 32 weights a step.
template <int M>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void rows_widened(const float *xf, const uint16_t *w, int64_t in, int64_t out,
                                                                       const uint16_t *bias, uint16_t *y) {
  const int64_t full = in / 16 * 16, wide = in / 32 * 32;
  const __mmask16 tail = static_cast<__mmask16>((1u << (in - full)) - 1u);
  for (int64_t o = 0; o < out; ++o) {
    const uint16_t *wr = w + o * in;
    __m512 a[M], b[M];
    for (int r = 0; r < M; ++r) a[r] = b[r] = _mm512_setzero_ps();
    int64_t k = 0;
    for (; k < wide; k += 32) {
      const __m512 w0 = widen(wr + k, 0xFFFF), w1 = widen(wr + k + 16, 0xFFFF);
      for (int r = 0; r < M; ++r) {
        a[r] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(xf + r * in + k), a[r]);
        b[r] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(xf + r * in + k + 16), b[r]);
      }
    }
    for (; k < full; k += 16) {
      const __m512 w0 = widen(wr + k, 0xFFFF);
      for (int r = 0; r < M; ++r) a[r] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(xf + r * in + k), a[r]);
    }
    if (tail) {
      const __m512 w0 = widen(wr + full, tail);
      for (int r = 0; r < M; ++r) b[r] = _mm512_fmadd_ps(w0, _mm512_maskz_loadu_ps(tail, xf + r * in + full), b[r]);
    }
    for (int r = 0; r < M; ++r) y[r * out + o] = finish(_mm512_reduce_add_ps(_mm512_add_ps(a[r], b[r])), bias, o);
  }
}

// AVX2 pairs against M split input rows (`xe`, each as split_pairs lays it out), 16 weights a step
// (even and odd chains); entries past the last whole block of 16 in scalar f32.
template <int M>
__attribute__((target("avx2,fma"))) void rows_pairs(const float *xe, const uint16_t *x, const uint16_t *w, int64_t in, int64_t out,
                                                    const uint16_t *bias, uint16_t *y) {
  const int64_t full = in / 16 * 16;
  const __m256i high = _mm256_set1_epi32(static_cast<int>(0xFFFF0000u));
  for (int64_t o = 0; o < out; ++o) {
    const uint16_t *wr = w + o * in;
    __m256 e[M], d[M];
    for (int r = 0; r < M; ++r) e[r] = d[r] = _mm256_setzero_ps();
    for (int64_t k = 0; k < full; k += 16) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(wr + k));
      const __m256 even = _mm256_castsi256_ps(_mm256_slli_epi32(v, 16)), odd = _mm256_castsi256_ps(_mm256_and_si256(v, high));
      for (int r = 0; r < M; ++r) {
        e[r] = _mm256_fmadd_ps(even, _mm256_loadu_ps(xe + r * in + k), e[r]);
        d[r] = _mm256_fmadd_ps(odd, _mm256_loadu_ps(xe + r * in + k + 8), d[r]);
      }
    }
    for (int r = 0; r < M; ++r) {
      float sum = sum8(_mm256_add_ps(e[r], d[r]));
      for (int64_t k = full; k < in; ++k) sum += to_f32(wr[k]) * to_f32(x[r * in + k]);
      y[r * out + o] = finish(sum, bias, o);
    }
  }
}

// The calling thread's f32 copy of the input rows (widened, or split into pairs), at least n long.
float *scratch(size_t n) {
  thread_local std::vector<float> buffer;
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

// M input rows through the kernel level's few-row kernel.
template <int M>
void rows_at_level(int kernel, const uint16_t *x, const uint16_t *w, int64_t in, int64_t out, const uint16_t *bias, uint16_t *y) {
  if (kernel >= kAVX512BF16) return rows_dot<M>(x, w, in, out, bias, y);
  float *xf = scratch(static_cast<size_t>(M * in));
  if (kernel == kAVX2) {
    for (int r = 0; r < M; ++r) split_pairs(x + r * in, in / 16 * 16, xf + r * in);
    return rows_pairs<M>(xf, x, w, in, out, bias, y);
  }
  for (int64_t k = 0; k < M * in; ++k) xf[k] = to_f32(x[k]);
  rows_widened<M>(xf, w, in, out, bias, y);
}
#endif
}  // namespace

// Whether one bf16 row goes through lt_small_linear_bf16_row: AVX-512 F/BW/VL, or AVX2 + FMA, as the
// small-linear kernel level (which may be forced lower) allows.
extern "C" bool lt_small_linear_bf16_row_enabled(void) {
#if defined(__x86_64__)
  static const bool bw = __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
  const int kernel = lt_small_linear_kernel();
  return kernel == kAVX2 || (kernel >= kAVX512 && bw);
#else
  return false;
#endif
}

// y [out] = w [out, in] · x [in] + bias [out] or null; every array bf16 bits; on the calling thread.
extern "C" void lt_small_linear_bf16_row(const uint16_t *x, const uint16_t *w, int64_t in, int64_t out, const uint16_t *bias,
                                         uint16_t *y) {
#if defined(__x86_64__)
  const int kernel = lt_small_linear_kernel();
  if (kernel >= kAVX512BF16) return row_dot(x, w, in, out, bias, y);
  float *xf = scratch(static_cast<size_t>(in));
  if (kernel == kAVX2) {
    split_pairs(x, in / 16 * 16, xf);
    return row_pairs(xf, x, w, in, out, bias, y);
  }
  for (int64_t k = 0; k < in; ++k) xf[k] = to_f32(x[k]);
  row_widened(xf, w, in, out, bias, y);
#endif
}

// Whether `rows` (2–8) bf16 rows of `in` entries are better here than in oneDNN: while what the kernel
// reads fits in half the L1 cache (all of it when oneDNN has one thread too, `threads` being libtorch's
// intra-op count) — the bf16 rows on the avx512bf16 level, their f32 copy (`scratch`, 4 bytes an entry)
// below it. The kernel runs on the calling thread and reads every input row again for each weight row;
// once they spill it is compute-bound, 1.6–2.8× slower than oneDNN on two threads (4–8 rows of 4,096
// on Llama-7B's shapes; AVX2, 2 rows of 4,096 in f32: 1.75× slower than oneDNN's AVX2 code), while
// against oneDNN on one thread it keeps ahead up to the whole L1 (2 rows of 11,008: 2.99 against
// 4.76 ms); `lucid bench linear --dtype bf16`, docs/engine.md.
extern "C" bool lt_small_linear_bf16_rows_fit(int64_t rows, int64_t in, int threads) {
#if defined(__x86_64__)
  const int64_t entryBytes = lt_small_linear_kernel() >= kAVX512BF16 ? 2 : 4;
  const int64_t budget = threads > 1 ? lt_l1_data_cache_bytes() / 2 : lt_l1_data_cache_bytes();
  return rows * in * entryBytes <= budget;
#else
  (void)rows, (void)in, (void)threads;
  return false;
#endif
}

// y [rows, out] = x [rows, in] · w [out, in]ᵀ + bias, 1 ≤ rows ≤ 8, each weight row read once for all
// rows; bf16 bits, f32 accumulation, one rounding; on the calling thread. Only where
// lt_small_linear_bf16_row_enabled().
extern "C" void lt_small_linear_bf16_rows(const uint16_t *x, int64_t rows, const uint16_t *w, int64_t in, int64_t out,
                                          const uint16_t *bias, uint16_t *y) {
#if defined(__x86_64__)
  const int kernel = lt_small_linear_kernel();
  switch (rows) {
    case 1: return lt_small_linear_bf16_row(x, w, in, out, bias, y);
    case 2: return rows_at_level<2>(kernel, x, w, in, out, bias, y);
    case 3: return rows_at_level<3>(kernel, x, w, in, out, bias, y);
    case 4: return rows_at_level<4>(kernel, x, w, in, out, bias, y);
    case 5: return rows_at_level<5>(kernel, x, w, in, out, bias, y);
    case 6: return rows_at_level<6>(kernel, x, w, in, out, bias, y);
    case 7: return rows_at_level<7>(kernel, x, w, in, out, bias, y);
    default: return rows_at_level<8>(kernel, x, w, in, out, bias, y);
  }
#endif
}

// y [n] = x [k] · m [k, n] (m row-major with row stride ld ≥ n); bf16 bits, f32 accumulation, one
// rounding; on the calling thread. Only where lt_small_linear_bf16_row_enabled().
extern "C" void lt_small_linear_bf16_row_times_matrix(const uint16_t *x, const uint16_t *m, int64_t k, int64_t ld, int64_t n,
                                                     uint16_t *y) {
#if defined(__x86_64__)
  if (lt_small_linear_kernel() == kAVX2) return row_times_matrix_avx2(x, m, k, ld, n, y);
  row_times_matrix(x, m, k, ld, n, y);
#endif
}
