/*
 * ctorch.h — Lucid's thin C interface over libtorch (ATen + autograd).
 *
 * Rules of the shim:
 *   - Every function that can fail returns an int32 status: 0 on success, non-zero on failure.
 *     On failure the message of the libtorch exception is available from lt_last_error() on the
 *     same thread until the next failing call. No C++ exception crosses this boundary.
 *   - Tensors are opaque handles owning one reference to an at::Tensor; free each with lt_free.
 *   - Output handles are written only on success.
 *   - Operation families (unary, binary, reductions) are selected by the enums below so that the
 *     shim stays mechanical: no model logic lives in C++.
 */
#ifndef LUCID_CTORCH_H
#define LUCID_CTORCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lt_tensor_s *lt_tensor;
typedef struct lt_generator_s *lt_generator;

/* Element types. Values are Lucid's own, mapped to at::ScalarType inside the shim. */
enum {
  LT_F32 = 0, LT_F16 = 1, LT_BF16 = 2, LT_F64 = 3,
  LT_I64 = 4, LT_I32 = 5, LT_I16 = 6, LT_I8 = 7, LT_U8 = 8, LT_BOOL = 9
};

/* Device kinds. */
enum { LT_CPU = 0, LT_CUDA = 1, LT_MPS = 2 };

/* A scalar operand: kind 0 = floating (uses f), 1 = integer (uses i), 2 = boolean (uses i != 0). */
typedef struct { int32_t kind; double f; int64_t i; } lt_scalar;

/* Unary operations (lt_unary). */
enum {
  LT_NEG, LT_EXP, LT_LOG, LT_SQRT, LT_RSQRT, LT_ABS, LT_SIGN, LT_TANH, LT_SIGMOID, LT_RELU,
  LT_SILU, LT_GELU, LT_GELU_TANH, LT_SIN, LT_COS, LT_FLOOR, LT_CEIL, LT_ROUND, LT_RECIPROCAL,
  LT_LOGICAL_NOT, LT_LOG1P, LT_EXPM1, LT_ERF, LT_SQUARE, LT_ISNAN, LT_ISFINITE, LT_CONTIGUOUS,
  LT_CLONE, LT_DETACH, LT_ZEROS_LIKE, LT_ONES_LIKE, LT_LOG_SIGMOID, LT_SOFTPLUS, LT_TRUNC
};

/* Binary operations (lt_binary, lt_binary_scalar, lt_inplace, lt_inplace_scalar). */
enum {
  LT_ADD, LT_SUB, LT_MUL, LT_DIV, LT_POW, LT_MAXIMUM, LT_MINIMUM, LT_EQ, LT_NE, LT_LT, LT_LE,
  LT_GT, LT_GE, LT_AND, LT_OR, LT_XOR, LT_REMAINDER, LT_ATAN2, LT_FLOOR_DIVIDE,
  LT_RSUB, /* scalar - tensor (binary_scalar only) */
  LT_RDIV, /* scalar / tensor (binary_scalar only) */
  LT_RPOW, /* scalar ^ tensor (binary_scalar only) */
  LT_COPY  /* in-place copy from other (lt_inplace only); fill with scalar (lt_inplace_scalar) */
};

/* Reductions over a set of dimensions (lt_reduce). An empty dimension list means all dimensions. */
enum {
  LT_SUM, LT_MEAN, LT_AMAX, LT_AMIN, LT_LOGSUMEXP, LT_PROD, LT_VAR, LT_STD, LT_ALL, LT_ANY,
  LT_VAR_BIASED, LT_STD_BIASED, LT_NORM2
};

/* ---- errors, library, threads ---- */
const char *lt_last_error(void);
const char *lt_torch_version(void); /* the version of the headers the shim was compiled against */
/* The version the loaded libtorch reports about itself (TORCH_VERSION of at::show_config()), or "". */
const char *lt_torch_runtime_version(void);
/* The file the loaded libtorch_cpu was mapped from (resolved path), or "unknown". */
const char *lt_torch_library(void);
/* libtorch's own build summary (at::show_config()): compiler, BLAS, oneDNN, OpenMP, CPU capability. */
const char *lt_torch_config(void);
bool lt_cuda_is_available(void);
/// Why libtorch_cuda.so beside libtorch_cpu.so failed to load (dlerror), or "" when it loaded or is absent.
const char *lt_cuda_backend_error(void);
/// Whether libtorch_cuda.so was found beside libtorch_cpu.so and loaded (a CUDA wheel's libtorch).
bool lt_cuda_backend_loaded(void);
/// Bytes in chunks glibc serves with a mapping of their own (mallinfo2().hblkhd), process-wide; -1
/// where the C library is not glibc 2.33 or later.
int64_t lt_malloc_mapped_bytes(void);
int32_t lt_cuda_device_count(void);
/// Free and total memory of CUDA device `index` (cudaMemGetInfo); false without CUDA or on an error.
bool lt_cuda_memory(int32_t index, int64_t *free_bytes, int64_t *total_bytes);
bool lt_mps_is_available(void);
/* Runs a small matmul, softmax and reduction in `dtype` on the device and copies the result back:
   status 0 when the device can compute in that dtype, otherwise libtorch's message in lt_last_error. */
int32_t lt_probe_device(int32_t dtype, int32_t dev, int32_t dev_index);
void lt_set_num_threads(int32_t n);
int32_t lt_get_num_threads(void);
/* Sets OpenBLAS's own thread pool size when the process uses OpenBLAS; returns false otherwise. */
bool lt_set_blas_threads(int32_t n);
/* OpenBLAS's thread count, or -1 when the BLAS in use is not OpenBLAS. */
int32_t lt_get_blas_threads(void);
/* Name of the BLAS library the process resolved `sgemm_` from (file path), or "unknown" (the torch
   wheel links MKL statically and exports no sgemm_; lt_torch_config names its BLAS). */
const char *lt_blas_library(void);
bool lt_set_grad_enabled(bool enabled); /* returns the previous state (thread-local) */
bool lt_is_grad_enabled(void);
void lt_manual_seed(uint64_t seed);

/* ---- generators ---- */
int32_t lt_generator_new(uint64_t seed, lt_generator *out);
void lt_generator_free(lt_generator g);
void lt_generator_set_seed(lt_generator g, uint64_t seed);
uint64_t lt_generator_seed(lt_generator g);

/* ---- lifetime and metadata ---- */
void lt_free(lt_tensor t);
int32_t lt_retain(lt_tensor t, lt_tensor *out); /* a new handle sharing the same tensor */
int64_t lt_ndim(lt_tensor t);
void lt_shape(lt_tensor t, int64_t *out); /* out has lt_ndim entries */
void lt_strides(lt_tensor t, int64_t *out);
int64_t lt_numel(lt_tensor t);
int32_t lt_dtype(lt_tensor t);
int32_t lt_device_type(lt_tensor t);
int32_t lt_device_index(lt_tensor t);
bool lt_is_contiguous(lt_tensor t);
bool lt_defined(lt_tensor t);
/* Pointer to the first element of a CPU tensor's storage view (no copy; valid while t lives). */
void *lt_data_ptr(lt_tensor t);
/* A printable rendering of the tensor (libtorch's own format). Caller frees with lt_string_free. */
char *lt_to_string(lt_tensor t);
void lt_string_free(char *s);

/* ---- creation ---- */
int32_t lt_empty(const int64_t *shape, int64_t ndim, int32_t dtype, int32_t dev, int32_t dev_index, lt_tensor *out);
int32_t lt_zeros(const int64_t *shape, int64_t ndim, int32_t dtype, int32_t dev, int32_t dev_index, lt_tensor *out);
int32_t lt_ones(const int64_t *shape, int64_t ndim, int32_t dtype, int32_t dev, int32_t dev_index, lt_tensor *out);
int32_t lt_full(const int64_t *shape, int64_t ndim, lt_scalar value, int32_t dtype, int32_t dev, int32_t dev_index, lt_tensor *out);
int32_t lt_arange(lt_scalar start, lt_scalar end, lt_scalar step, int32_t dtype, int32_t dev, int32_t dev_index, lt_tensor *out);
int32_t lt_linspace(double start, double end, int64_t steps, int32_t dtype, lt_tensor *out);
int32_t lt_eye(int64_t n, int32_t dtype, lt_tensor *out);
/* Random tensors; g may be NULL for the global default generator. */
int32_t lt_randn(const int64_t *shape, int64_t ndim, int32_t dtype, lt_generator g, lt_tensor *out);
int32_t lt_rand(const int64_t *shape, int64_t ndim, int32_t dtype, lt_generator g, lt_tensor *out);
int32_t lt_randint(int64_t low, int64_t high, const int64_t *shape, int64_t ndim, lt_generator g, lt_tensor *out);
int32_t lt_randperm(int64_t n, lt_generator g, lt_tensor *out);
/* Copies nbytes-consistent data from host memory into a new CPU tensor. */
int32_t lt_from_data(const void *data, const int64_t *shape, int64_t ndim, int32_t dtype, lt_tensor *out);
/* Wraps host memory without copying; deleter(ctx) runs when the last tensor using it is freed. */
int32_t lt_from_blob(void *data, const int64_t *shape, int64_t ndim, int32_t dtype,
                     void (*deleter)(void *ctx), void *ctx, lt_tensor *out);

/* ---- extraction ---- */
int32_t lt_item_double(lt_tensor t, double *out);
int32_t lt_item_int64(lt_tensor t, int64_t *out);
/* Converts t to dtype on the CPU, contiguous, and copies exactly numel*elemsize bytes into buf. */
int32_t lt_copy_to_buffer(lt_tensor t, int32_t dtype, void *buf, int64_t nbytes);

/* ---- conversion ---- */
int32_t lt_to_dtype(lt_tensor t, int32_t dtype, lt_tensor *out);
int32_t lt_to_device(lt_tensor t, int32_t dev, int32_t dev_index, lt_tensor *out);

/* ---- elementwise ---- */
int32_t lt_unary(int32_t op, lt_tensor a, lt_tensor *out);
int32_t lt_binary(int32_t op, lt_tensor a, lt_tensor b, lt_tensor *out);
int32_t lt_binary_scalar(int32_t op, lt_tensor a, lt_scalar b, lt_tensor *out);
/* In-place a = a op b (a must not be a leaf requiring grad unless grad mode is off). */
int32_t lt_inplace(int32_t op, lt_tensor a, lt_tensor b);
int32_t lt_inplace_scalar(int32_t op, lt_tensor a, lt_scalar b);
/* a + alpha * b in place, as optimisers need. */
int32_t lt_add_scaled_(lt_tensor a, lt_tensor b, double alpha);
int32_t lt_clamp(lt_tensor a, const double *min, const double *max, lt_tensor *out);
int32_t lt_clamp_tensor(lt_tensor a, lt_tensor min, lt_tensor max, lt_tensor *out); /* min/max may be NULL */
int32_t lt_clamp_(lt_tensor a, const double *min, const double *max);
int32_t lt_where(lt_tensor cond, lt_tensor a, lt_tensor b, lt_tensor *out);
int32_t lt_masked_fill(lt_tensor a, lt_tensor mask, lt_scalar value, lt_tensor *out);
int32_t lt_leaky_relu(lt_tensor a, double slope, lt_tensor *out);
int32_t lt_allclose(lt_tensor a, lt_tensor b, double rtol, double atol, bool *out);

/* ---- linear algebra and neural-network primitives ---- */
int32_t lt_matmul(lt_tensor a, lt_tensor b, lt_tensor *out);
int32_t lt_bmm(lt_tensor a, lt_tensor b, lt_tensor *out);
int32_t lt_linear(lt_tensor x, lt_tensor w, lt_tensor bias /* nullable */, lt_tensor *out);
/* Causal softmax(q·kᵀ·scale)·v through libtorch's fused scaled-dot-product attention (flash attention on
   the CPU): q [B, H, T, D], k and v [B, Hkv, T, D] with H a multiple of Hkv (grouped-query heads). */
int32_t lt_causal_attention(lt_tensor q, lt_tensor k, lt_tensor v, double scale, lt_tensor *out);
/* Unmasked, non-causal fused attention softmax(q·kᵀ·scale)·v of q [B, H, T, D] with k and v [B, H, S, D]
   (a vision tower's or the Q-Former's, as transformers' sdpa runs them). */
int32_t lt_bidirectional_attention(lt_tensor q, lt_tensor k, lt_tensor v, double scale, lt_tensor *out);
/* Fused attention under a boolean mask [B, 1, T, S] (true = attend), not causal by itself; grouped
   keys and values are repeated per query head first, as transformers' sdpa does with a mask. */
int32_t lt_masked_attention(lt_tensor q, lt_tensor k, lt_tensor v, lt_tensor mask, double scale, lt_tensor *out);
/* The few-row linear kernel's micro-kernel on the calling thread: 1 scalar, 2 AVX2 + FMA, 3 AVX-512,
   4 AVX-512 + bf16. A thread may choose its own (0 = best available, a missing one falls back, -1 = the
   process's again) for tests and benchmarks; returns the thread's previous setting. */
int lt_small_linear_kernel(void);
/* 1 where the calling thread computes bf16/f16 products widened to f32 (by default x86-64 below the AVX-512
   level; LUCID_WIDENED_PRODUCTS=auto|on|off for the process: widened_products.cpp). */
int lt_widened_products(void);
/* The calling thread's choice: 1 widen, 0 libtorch's own kernels, -1 the process's again; returns the previous one. */
int lt_set_thread_widened_products(int mode);
/* The vector instruction set ATen's CPU kernels dispatch to ("AVX512", "AVX2", "DEFAULT", …), as
   torch.backends.cpu.get_cpu_capability() says; ATEN_CPU_CAPABILITY lowers it. */
const char *lt_aten_cpu_capability(void);
int lt_small_linear_set_thread_kernel(int kernel);
/* One core's L1 data cache in bytes (32 KB where the system does not say): input rows that spill
   from half of it take the AVX-512 tiles in f32 and libtorch's linear in bf16 (2–8 rows; with one
   intra-op thread bf16 rows may fill all of it). */
int64_t lt_l1_data_cache_bytes(void);
int32_t lt_conv2d(lt_tensor x, lt_tensor w, lt_tensor bias /* nullable */, const int64_t *stride,
                  const int64_t *padding, const int64_t *dilation, int64_t groups, lt_tensor *out);
// 3-D convolution (at::conv3d, no padding or dilation): a kernel that equals its stride patches the
// input as transformers' Conv3d patch embeddings do (Qwen2-VL), with libtorch's summation order.
int32_t lt_conv3d_strided(lt_tensor x, lt_tensor w, lt_tensor bias /* nullable */, const int64_t *stride, lt_tensor *out);
// RMS normalisation of a bf16/f16 x over its last axis as transformers' LlamaRMSNorm does it: in f32,
// cast back, then times the weight (nullable) in x's dtype. Without autograd, a bf16 x of at most 8
// rows on the CPU (decoding's) takes one fused pass (the sum of squares in another order than at::mean,
// so a value may differ by one bf16 step where it sits on a rounding boundary); otherwise (prompts) the
// ATen ops, bit for bit transformers'.
int32_t lt_rms_norm_half(lt_tensor x, lt_tensor w /* nullable */, double eps, lt_tensor *out);
// Rotary position embedding, rotate-half convention: x·cos + rotate_half(x)·sin, where
// rotate_half(x) = cat(−x[…, d/2:], x[…, :d/2]). Without autograd, for f32/bf16/f16 CPU tensors of one
// dtype whose cos/sin broadcast to x's shape (rank ≤ 4), one pass with the ATen ops' roundings
// (bit-identical, contiguous result); otherwise those ATen ops.
int32_t lt_rotary_apply(lt_tensor x, lt_tensor cos, lt_tensor sin, lt_tensor *out);
int32_t lt_layer_norm(lt_tensor x, const int64_t *normalized_shape, int64_t ndim, lt_tensor w /* nullable */,
                      lt_tensor b /* nullable */, double eps, lt_tensor *out);
int32_t lt_softmax(lt_tensor a, int64_t dim, lt_tensor *out);
int32_t lt_log_softmax(lt_tensor a, int64_t dim, lt_tensor *out);
int32_t lt_einsum(const char *equation, const lt_tensor *operands, int64_t n, lt_tensor *out);
int32_t lt_interpolate_bicubic(lt_tensor x, int64_t out_h, int64_t out_w, bool align_corners, lt_tensor *out);
int32_t lt_interpolate_bilinear(lt_tensor x, int64_t out_h, int64_t out_w, bool align_corners, bool antialias, lt_tensor *out);

/* ---- reductions, ordering, sampling ---- */
int32_t lt_reduce(int32_t op, lt_tensor a, const int64_t *dims, int64_t ndims, bool keepdim, lt_tensor *out);
/* argmax/argmin over one dimension, or over the flattened tensor when has_dim is false. */
int32_t lt_argmax(lt_tensor a, int64_t dim, bool has_dim, bool keepdim, lt_tensor *out);
int32_t lt_argmin(lt_tensor a, int64_t dim, bool has_dim, bool keepdim, lt_tensor *out);
int32_t lt_max_dim(lt_tensor a, int64_t dim, bool keepdim, lt_tensor *values, lt_tensor *indices);
int32_t lt_min_dim(lt_tensor a, int64_t dim, bool keepdim, lt_tensor *values, lt_tensor *indices);
int32_t lt_topk(lt_tensor a, int64_t k, int64_t dim, bool largest, bool sorted, lt_tensor *values, lt_tensor *indices);
int32_t lt_sort(lt_tensor a, int64_t dim, bool descending, bool stable, lt_tensor *values, lt_tensor *indices);
int32_t lt_cumsum(lt_tensor a, int64_t dim, lt_tensor *out);
int32_t lt_cumprod(lt_tensor a, int64_t dim, lt_tensor *out);
int32_t lt_multinomial(lt_tensor probs, int64_t n, bool replacement, lt_generator g, lt_tensor *out);
int32_t lt_bernoulli(lt_tensor probs, lt_generator g, lt_tensor *out);

/* ---- indexing ---- */
int32_t lt_gather(lt_tensor a, int64_t dim, lt_tensor index, lt_tensor *out);
int32_t lt_scatter(lt_tensor a, int64_t dim, lt_tensor index, lt_tensor src, lt_tensor *out);
int32_t lt_scatter_add(lt_tensor a, int64_t dim, lt_tensor index, lt_tensor src, lt_tensor *out);
int32_t lt_index_select(lt_tensor a, int64_t dim, lt_tensor index, lt_tensor *out);
/* out = a with a[index along dim] = src (functional index_copy). */
int32_t lt_index_copy(lt_tensor a, int64_t dim, lt_tensor index, lt_tensor src, lt_tensor *out);
int32_t lt_nonzero(lt_tensor a, lt_tensor *out);
int32_t lt_masked_select(lt_tensor a, lt_tensor mask, lt_tensor *out);

/* ---- shape ---- */
int32_t lt_reshape(lt_tensor a, const int64_t *shape, int64_t ndim, lt_tensor *out);
int32_t lt_permute(lt_tensor a, const int64_t *dims, int64_t ndim, lt_tensor *out);
int32_t lt_transpose(lt_tensor a, int64_t d0, int64_t d1, lt_tensor *out);
int32_t lt_expand(lt_tensor a, const int64_t *shape, int64_t ndim, lt_tensor *out);
int32_t lt_repeat(lt_tensor a, const int64_t *repeats, int64_t ndim, lt_tensor *out);
int32_t lt_squeeze(lt_tensor a, int64_t dim, lt_tensor *out);
int32_t lt_unsqueeze(lt_tensor a, int64_t dim, lt_tensor *out);
int32_t lt_flatten(lt_tensor a, int64_t start, int64_t end, lt_tensor *out);
int32_t lt_narrow(lt_tensor a, int64_t dim, int64_t start, int64_t length, lt_tensor *out);
int32_t lt_slice(lt_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step, lt_tensor *out);
int32_t lt_select(lt_tensor a, int64_t dim, int64_t index, lt_tensor *out);
int32_t lt_flip(lt_tensor a, const int64_t *dims, int64_t ndim, lt_tensor *out);
int32_t lt_tril(lt_tensor a, int64_t diagonal, lt_tensor *out);
int32_t lt_triu(lt_tensor a, int64_t diagonal, lt_tensor *out);
int32_t lt_cat(const lt_tensor *ts, int64_t n, int64_t dim, lt_tensor *out);
int32_t lt_stack(const lt_tensor *ts, int64_t n, int64_t dim, lt_tensor *out);
/* Splits along dim into pieces of the given sizes (which must add up to the dimension). */
int32_t lt_split_with_sizes(lt_tensor a, const int64_t *sizes, int64_t n, int64_t dim, lt_tensor *outs);
int32_t lt_pad(lt_tensor a, const int64_t *pads, int64_t npads, double value, lt_tensor *out);

/* ---- autograd ---- */
int32_t lt_set_requires_grad(lt_tensor t, bool requires_grad);
bool lt_requires_grad(lt_tensor t);
bool lt_is_leaf(lt_tensor t);
/* Writes the accumulated gradient, or NULL when none has been computed. */
int32_t lt_grad(lt_tensor t, lt_tensor *out);
/* Drops the accumulated gradient (the next backward starts from zero). */
int32_t lt_zero_grad(lt_tensor t);
int32_t lt_backward(lt_tensor t, lt_tensor gradient /* nullable */, bool retain_graph);
/* Gradients of sum(outputs[i] * grad_outputs[i]) with respect to inputs, without accumulating into .grad. */
int32_t lt_autograd_grad(const lt_tensor *outputs, int64_t n_out, const lt_tensor *inputs, int64_t n_in,
                         bool retain_graph, lt_tensor *grads_out);

/* ---- benchmark support ---- */
/* Runs lt_binary's op `iterations` times inside C++ (results discarded) and reports the mean seconds
 * per call: libtorch's own cost of the op, which Lucid's and Python's per-call overhead sit on top of. */
int32_t lt_bench_binary(int32_t op, lt_tensor a, lt_tensor b, int64_t iterations, double *seconds);

#ifdef __cplusplus
}
#endif

#endif
