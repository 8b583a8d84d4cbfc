// kernels.h — the entry points of the hand-written kernels (not part of the public header), included
// by the files that define them and by nn.cpp, which dispatches to them, so that a signature that
// drifts fails to compile instead of failing to link or, worse, linking.

#pragma once

#include "ctorch.h"  // lt_small_linear_kernel, lt_l1_data_cache_bytes (public: tests and benchmarks use them)

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// small_linear.cpp: f32, 2–32 rows (and one row on AVX2/AVX-512 CPUs).
bool lt_small_linear_enabled(void);
bool lt_small_linear_single_row(void);
void lt_small_linear_f32(const float *x, int64_t rows, const float *w, int64_t in, int64_t out, const float *bias, float *y);

// small_linear_bf16.cpp: bf16 bits in and out, 1–8 rows, on AVX-512 or AVX2.
bool lt_small_linear_bf16_row_enabled(void);
void lt_small_linear_bf16_row(const uint16_t *x, const uint16_t *w, int64_t in, int64_t out, const uint16_t *bias, uint16_t *y);
void lt_small_linear_bf16_rows(const uint16_t *x, int64_t rows, const uint16_t *w, int64_t in, int64_t out,
                               const uint16_t *bias, uint16_t *y);
bool lt_small_linear_bf16_rows_fit(int64_t rows, int64_t in, int threads);
void lt_small_linear_bf16_row_times_matrix(const uint16_t *x, const uint16_t *m, int64_t k, int64_t ld, int64_t n, uint16_t *y);

#ifdef __cplusplus
}
#endif
