import CTorch

/// The micro-kernel the shim uses for linear layers on 2–32 rows without autograd (decoding's
/// beams, contrastive branches and look-ahead candidates).
///
/// The level also decides how bf16/f16 products run on the CPU: from `avx2` up, a single bf16 row
/// (batch-1 decoding) and a bf16 decoder's attention over its cache stream the weights through the
/// shim's own kernels; below `avx512`, linear and matmul on 32+ rows or under autograd, and conv2d,
/// are by default computed widened to f32 and rounded once, because libtorch's reduced-precision kernels
/// are many times slower than f32 there (`ReducedPrecisionProducts`, docs/engine.md).
///
/// `LUCID_SMALL_LINEAR_KERNEL=scalar|avx2|avx512|avx512bf16` starts a process on that level (or the
/// best below it this CPU has).
///
/// Picked once from the CPU; `using(_:_:)` runs code on a lower one, so tests can check every kernel
/// this CPU can run against the same reference and benchmarks can compare them.
public enum SmallLinearKernel: Int32, Sendable, CaseIterable {
    case scalar = 1
    /// One weight row × up to 8 input rows per register block; a single bf16 row as pairs of bf16
    /// weights made f32 by a shift and a mask (small_linear_bf16.cpp).
    case avx2 = 2
    /// Four weight rows × up to 6 input rows per register block.
    case avx512 = 3
    /// AVX-512 with the bf16 dot product (VDPBF16PS): f32 products as `avx512`; a single bf16 row
    /// multiplies bf16 pairs directly instead of widening the weights (small_linear_bf16.cpp).
    case avx512bf16 = 4

    /// The name `LUCID_SMALL_LINEAR_KERNEL` takes: `scalar`, `avx2`, `avx512`, `avx512bf16`.
    public var name: String {
        switch self {
        case .scalar: return "scalar"
        case .avx2: return "avx2"
        case .avx512: return "avx512"
        case .avx512bf16: return "avx512bf16"
        }
    }

    /// One core's L1 data cache in bytes (32 KB where the system does not say).
    ///
    /// The few-row kernels read every input row again for each weight row (AVX2, and bf16 at every
    /// level) or each tile of 4 (AVX-512), so input rows that spill from half of it change the
    /// route: f32 takes the AVX-512 tiles from 2 rows, and 2–8 bf16 rows go to libtorch's linear,
    /// which is faster there (docs/engine.md; below `avx512bf16` the kernel reads an f32 copy of the
    /// rows, which is what must fit; with one intra-op thread the bf16 rows may fill the whole L1).
    /// A single row always takes the shim's kernel.
    public static var l1DataCacheBytes: Int { Int(lt_l1_data_cache_bytes()) }

    /// The kernel the calling thread uses now.
    public static var active: SmallLinearKernel { SmallLinearKernel(rawValue: Int32(lt_small_linear_kernel())) ?? .scalar }

    /// Runs `body` with `kernel` (or the best this CPU has below it) on the calling thread, handing it
    /// the kernel in use, then restores the thread's previous choice.
    ///
    /// The choice belongs to the thread: other threads, and so tests running side by side, keep
    /// theirs (a product the shim splits with its helper thread carries the caller's kernel over).
    /// `body` is synchronous, so it cannot move to another thread midway.
    public static func using<Result>(_ kernel: SmallLinearKernel, _ body: (SmallLinearKernel) throws -> Result) rethrows -> Result {
        let previous = lt_small_linear_set_thread_kernel(Int32(kernel.rawValue))
        defer { lt_small_linear_set_thread_kernel(previous) }
        return try body(active)
    }
}
