import CTorch

/// Timings taken inside libtorch, for benchmarks that separate libtorch's cost from a binding's.
public enum NativeTiming {
    /// Mean seconds per `a + b` when called `iterations` times from C++ (no Swift in the loop).
    public static func addSecondsPerCall(_ a: Tensor, _ b: Tensor, iterations: Int) -> Double {
        var seconds = 0.0
        torchCheck(lt_bench_binary(Int32(LT_ADD), a.handle, b.handle, Int64(iterations), &seconds), "bench add")
        return seconds
    }
}
