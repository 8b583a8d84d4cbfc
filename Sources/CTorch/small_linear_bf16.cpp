// small_linear_bf16.cpp — one bf16 row times bf16 weights (batch-1 decoding in bf16), bf16 in and out.
//
// A batch-1 bf16 decoder multiplies one row by every weight; at::linear (oneDNN) reads the weight at
// 2–7 GB/s there (docs/engine.md), so on AVX-512 CPUs the shim sends that product here. Two kernels,
// both with f32 accumulation, the bias added in f32 and one round-to-nearest-even to bf16 at the end,
// as at::linear does:
// - AVX-512 F/BW/VL: 16 weights widened to f32 in registers per multiply-add (4 weight rows at a time,
//   four independent accumulator chains); the input row is widened once per call.
// - AVX-512 BF16 (VDPBF16PS, kernel level 4): 32 weights per instruction, each pair's products added
//   to the f32 accumulator (a bf16 × bf16 product is exact in f32, so this is the same arithmetic as
//   the widened multiply-add up to summation order; the instruction flushes subnormals, which bf16
//   weights and activations do not reach in practice). On this AMD EPYC the widening's conversion and
//   shift cost more than the read: a stand-alone read of SmolLM2-135M's layer weights ran at
//   18.4–21.8 GB/s widened and 27.4–33.0 GB/s with VDPBF16PS (docs/engine.md, Threads).
// Input and output stay bf16, so the shim needs no cast before or after (two fewer ops per linear).
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

extern "C" int lt_small_linear_kernel(void);

namespace {
#if defined(__x86_64__)
constexpr int kAVX512 = 3, kAVX512BF16 = 4;

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

// y[o…o+3]: four accumulators summed, the bias added, each rounded once.
__attribute__((target("avx512f"))) inline void store4(uint16_t *y, int64_t o, __m512 a0, __m512 a1, __m512 a2, __m512 a3,
                                                      const uint16_t *bias) {
  y[o] = finish(_mm512_reduce_add_ps(a0), bias, o);
  y[o + 1] = finish(_mm512_reduce_add_ps(a1), bias, o + 1);
  y[o + 2] = finish(_mm512_reduce_add_ps(a2), bias, o + 2);
  y[o + 3] = finish(_mm512_reduce_add_ps(a3), bias, o + 3);
}

// 16 bf16 values widened to f32 (bf16 is the top half of an f32); `mask` loads only the tail.
__attribute__((target("avx512f,avx512bw,avx512vl"))) inline __m512 widen(const uint16_t *p, __mmask16 mask) {
  const __m256i raw = _mm256_maskz_loadu_epi16(mask, p);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(raw), 16));
}

// y[o] for o in [0, out): weights widened in registers against the f32 input row `x`.
__attribute__((target("avx512f,avx512bw,avx512vl"))) void row_widened(const float *x, const uint16_t *w, int64_t in, int64_t out,
                                                                      const uint16_t *bias, uint16_t *y) {
  const int64_t full = in / 16 * 16;
  const __mmask16 tail = static_cast<__mmask16>((1u << (in - full)) - 1u);
  int64_t o = 0;
  for (; o + 4 <= out; o += 4) {
    const uint16_t *w0 = w + o * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t k = 0; k < full; k += 16) {
      const __m512 xv = _mm512_loadu_ps(x + k);
      a0 = _mm512_fmadd_ps(widen(w0 + k, 0xFFFF), xv, a0);
      a1 = _mm512_fmadd_ps(widen(w1 + k, 0xFFFF), xv, a1);
      a2 = _mm512_fmadd_ps(widen(w2 + k, 0xFFFF), xv, a2);
      a3 = _mm512_fmadd_ps(widen(w3 + k, 0xFFFF), xv, a3);
    }
    if (tail) {
      const __m512 xv = _mm512_maskz_loadu_ps(tail, x + full);
      a0 = _mm512_fmadd_ps(widen(w0 + full, tail), xv, a0);
      a1 = _mm512_fmadd_ps(widen(w1 + full, tail), xv, a1);
      a2 = _mm512_fmadd_ps(widen(w2 + full, tail), xv, a2);
      a3 = _mm512_fmadd_ps(widen(w3 + full, tail), xv, a3);
    }
    store4(y, o, a0, a1, a2, a3, bias);
  }
  for (; o < out; ++o) {
    const uint16_t *wr = w + o * in;
    __m512 acc = _mm512_setzero_ps();
    for (int64_t k = 0; k < full; k += 16) acc = _mm512_fmadd_ps(widen(wr + k, 0xFFFF), _mm512_loadu_ps(x + k), acc);
    if (tail) acc = _mm512_fmadd_ps(widen(wr + full, tail), _mm512_maskz_loadu_ps(tail, x + full), acc);
    y[o] = finish(_mm512_reduce_add_ps(acc), bias, o);
  }
}

// 32 bf16 values (the tail masked to zeros, which add nothing) as the dot product's operand.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) inline __m512bh pairs(const uint16_t *p, __mmask32 mask) {
  return (__m512bh)_mm512_maskz_loadu_epi16(mask, p);
}

// y[o] for o in [0, out): VDPBF16PS on the bf16 input row `x`, 4 weight rows at a time.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) void row_dot(const uint16_t *x, const uint16_t *w, int64_t in,
                                                                             int64_t out, const uint16_t *bias, uint16_t *y) {
  const int64_t full = in / 32 * 32;
  const __mmask32 tail = static_cast<__mmask32>((uint64_t(1) << (in - full)) - 1u);
  const __mmask32 all = 0xFFFFFFFFu;
  int64_t o = 0;
  for (; o + 4 <= out; o += 4) {
    const uint16_t *w0 = w + o * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t k = 0; k < full; k += 32) {
      const __m512bh xv = pairs(x + k, all);
      a0 = _mm512_dpbf16_ps(a0, pairs(w0 + k, all), xv);
      a1 = _mm512_dpbf16_ps(a1, pairs(w1 + k, all), xv);
      a2 = _mm512_dpbf16_ps(a2, pairs(w2 + k, all), xv);
      a3 = _mm512_dpbf16_ps(a3, pairs(w3 + k, all), xv);
    }
    if (tail) {
      const __m512bh xv = pairs(x + full, tail);
      a0 = _mm512_dpbf16_ps(a0, pairs(w0 + full, tail), xv);
      a1 = _mm512_dpbf16_ps(a1, pairs(w1 + full, tail), xv);
      a2 = _mm512_dpbf16_ps(a2, pairs(w2 + full, tail), xv);
      a3 = _mm512_dpbf16_ps(a3, pairs(w3 + full, tail), xv);
    }
    store4(y, o, a0, a1, a2, a3, bias);
  }
  for (; o < out; ++o) {
    const uint16_t *wr = w + o * in;
    __m512 acc = _mm512_setzero_ps();
    for (int64_t k = 0; k < full; k += 32) acc = _mm512_dpbf16_ps(acc, pairs(wr + k, all), pairs(x + k, all));
    if (tail) acc = _mm512_dpbf16_ps(acc, pairs(wr + full, tail), pairs(x + full, tail));
    y[o] = finish(_mm512_reduce_add_ps(acc), bias, o);
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
#endif
}  // namespace

// Whether one bf16 row goes through lt_small_linear_bf16_row: AVX-512 F/BW/VL, not forced lower.
extern "C" bool lt_small_linear_bf16_row_enabled(void) {
#if defined(__x86_64__)
  static const bool bw = __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
  return bw && lt_small_linear_kernel() >= kAVX512;
#else
  return false;
#endif
}

// y [out] = w [out, in] · x [in] + bias [out] or null; every array bf16 bits; on the calling thread.
extern "C" void lt_small_linear_bf16_row(const uint16_t *x, const uint16_t *w, int64_t in, int64_t out, const uint16_t *bias,
                                         uint16_t *y) {
#if defined(__x86_64__)
  if (lt_small_linear_kernel() >= kAVX512BF16) return row_dot(x, w, in, out, bias, y);
  thread_local std::vector<float> widened;
  widened.resize(static_cast<size_t>(in));
  for (int64_t k = 0; k < in; ++k) widened[static_cast<size_t>(k)] = to_f32(x[k]);
  row_widened(widened.data(), w, in, out, bias, y);
#endif
}

// y [n] = x [k] · m [k, n] (m row-major with row stride ld ≥ n); bf16 bits, f32 accumulation, one
// rounding; on the calling thread. Only where lt_small_linear_bf16_row_enabled().
extern "C" void lt_small_linear_bf16_row_times_matrix(const uint16_t *x, const uint16_t *m, int64_t k, int64_t ld, int64_t n,
                                                     uint16_t *y) {
#if defined(__x86_64__)
  row_times_matrix(x, m, k, ld, n, y);
#endif
}
