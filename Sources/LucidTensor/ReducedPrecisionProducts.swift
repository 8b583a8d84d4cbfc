import CTorch

/// How the CPU computes bf16 and f16 matrix products (linear, matmul, conv2d): with libtorch's own
/// kernels, or widened to f32 and rounded once.
///
/// libtorch's reduced-precision GEMMs are fast only on CPUs with AVX-512; below that level (most
/// laptops) they run at a fraction of f32's speed, so by default the shim converts the operands,
/// multiplies in f32 and rounds once there (widened_products.cpp: 6–11× faster). A widened product
/// agrees with libtorch's within one rounding but not bit for bit, and through a whole model that
/// can move bf16 logits by a few steps of the dtype. Turning widening off gives, on any CPU, exactly
/// the products transformers computes with the same libtorch, at libtorch's speed.
///
/// `LUCID_WIDENED_PRODUCTS=auto|on|off` sets the process's choice (auto, the default: widened on
/// x86-64 below the `avx512` small-linear level); `computed(widened:_:)` sets the calling thread's.
/// What is widened: linear and matmul on prompt-sized inputs (32+ rows) or under autograd, and every
/// conv2d; decoding's few rows always take libtorch's or the shim's small kernels.
public enum ReducedPrecisionProducts {
    /// Whether the calling thread computes bf16 and f16 products widened to f32.
    public static var areWidened: Bool { lt_widened_products() != 0 }

    /// Runs `body` with products widened (`true`) or on libtorch's own kernels (`false`) on the
    /// calling thread, then restores the thread's previous choice.
    ///
    /// The choice belongs to the thread, so tests running side by side keep theirs; `body` is
    /// synchronous, so it cannot move to another thread midway.
    public static func computed<Result>(widened: Bool, _ body: () throws -> Result) rethrows -> Result {
        let previous = lt_set_thread_widened_products(widened ? 1 : 0)
        defer { lt_set_thread_widened_products(previous) }
        return try body()
    }
}
