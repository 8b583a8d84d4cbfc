// small_linear.cpp — y = x · wᵀ (+ bias) for a few rows of x, reading the weight once.
//
// Decoding is bound by reading weights: BLAS gemm packs (copies) the whole weight on every call
// and gemv reads it once per row, so beams, contrastive branches and look-ahead candidates cost
// a full weight read each. This kernel streams every weight row once and multiplies it with up
// to 8 input rows held in registers (AVX2 + FMA; other CPUs use the scalar fallback).
#include <cstdint>
#include <immintrin.h>

namespace {

template <int B>
__attribute__((target("avx2,fma"))) void rows_avx2(const float *x, const float *w, int64_t in, int64_t out, const float *bias,
                                                     float *y) {
  for (int64_t o = 0; o < out; ++o) {
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

void rows_scalar(const float *x, int64_t rows, const float *w, int64_t in, int64_t out, const float *bias, float *y) {
  for (int64_t o = 0; o < out; ++o)
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

// x [rows, in], w [out, in], bias [out] or null, y [rows, out]; all contiguous f32; 1 ≤ rows ≤ 8.
extern "C" void lt_small_linear_f32(const float *x, int64_t rows, const float *w, int64_t in, int64_t out, const float *bias,
                                    float *y) {
  if (!lt_small_linear_vectorised()) return rows_scalar(x, rows, w, in, out, bias, y);
  switch (rows) {
    case 1: return rows_avx2<1>(x, w, in, out, bias, y);
    case 2: return rows_avx2<2>(x, w, in, out, bias, y);
    case 3: return rows_avx2<3>(x, w, in, out, bias, y);
    case 4: return rows_avx2<4>(x, w, in, out, bias, y);
    case 5: return rows_avx2<5>(x, w, in, out, bias, y);
    case 6: return rows_avx2<6>(x, w, in, out, bias, y);
    case 7: return rows_avx2<7>(x, w, in, out, bias, y);
    case 8: return rows_avx2<8>(x, w, in, out, bias, y);
    default: return rows_scalar(x, rows, w, in, out, bias, y);
  }
}
