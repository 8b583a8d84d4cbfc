import CTorch

// Reductions, ordering and sampling. An empty axis list means "all axes".

extension Tensor {
    func reduce(_ op: Int, _ axes: [Int], _ keepDims: Bool, _ name: StaticString) -> Tensor {
        withInt64s(axes) { dims, n in
            Tensor.make(name) { lt_reduce(Int32(op), handle, dims, n, keepDims, $0) }
        }
    }

    /// Sum over `axes` (all when empty).
    public func sum(axes: [Int] = [], keepDims: Bool = false) -> Tensor { reduce(LT_SUM, axes, keepDims, "sum") }
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }
    /// Mean over `axes` (all when empty).
    public func mean(axes: [Int] = [], keepDims: Bool = false) -> Tensor { reduce(LT_MEAN, axes, keepDims, "mean") }
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }
    /// Maximum over `axes` (all when empty); use `maxWithIndices` for positions.
    public func max(axes: [Int] = [], keepDims: Bool = false) -> Tensor { reduce(LT_AMAX, axes, keepDims, "amax") }
    public func max(axis: Int, keepDims: Bool = false) -> Tensor { max(axes: [axis], keepDims: keepDims) }
    /// Minimum over `axes` (all when empty).
    public func min(axes: [Int] = [], keepDims: Bool = false) -> Tensor { reduce(LT_AMIN, axes, keepDims, "amin") }
    public func min(axis: Int, keepDims: Bool = false) -> Tensor { min(axes: [axis], keepDims: keepDims) }
    /// log Σ exp over `axes`, computed stably.
    public func logSumExp(axes: [Int] = [], keepDims: Bool = false) -> Tensor {
        reduce(LT_LOGSUMEXP, axes, keepDims, "logsumexp")
    }
    public func logSumExp(axis: Int, keepDims: Bool = false) -> Tensor { logSumExp(axes: [axis], keepDims: keepDims) }
    public func product(axes: [Int] = [], keepDims: Bool = false) -> Tensor { reduce(LT_PROD, axes, keepDims, "prod") }
    /// Variance; `unbiased` divides by n−1 (PyTorch's default), otherwise by n (LayerNorm's).
    public func variance(axes: [Int] = [], unbiased: Bool = true, keepDims: Bool = false) -> Tensor {
        reduce(unbiased ? LT_VAR : LT_VAR_BIASED, axes, keepDims, "var")
    }
    /// Standard deviation; `unbiased` as in `variance`.
    public func standardDeviation(axes: [Int] = [], unbiased: Bool = true, keepDims: Bool = false) -> Tensor {
        reduce(unbiased ? LT_STD : LT_STD_BIASED, axes, keepDims, "std")
    }
    /// Euclidean norm over `axes` (all when empty).
    public func norm(axes: [Int] = [], keepDims: Bool = false) -> Tensor { reduce(LT_NORM2, axes, keepDims, "norm") }
    /// Whether every element is non-zero, over `axes`.
    public func all(axes: [Int] = [], keepDims: Bool = false) -> Tensor { reduce(LT_ALL, axes, keepDims, "all") }
    /// Whether any element is non-zero, over `axes`.
    public func any(axes: [Int] = [], keepDims: Bool = false) -> Tensor { reduce(LT_ANY, axes, keepDims, "any") }

    /// Index of the maximum along `axis`, or in the flattened tensor when `axis` is nil (`i64`).
    public func argmax(axis: Int? = nil, keepDims: Bool = false) -> Tensor {
        Tensor.make("argmax") { lt_argmax(handle, Int64(axis ?? 0), axis != nil, keepDims, $0) }
    }
    /// Index of the minimum along `axis`, or in the flattened tensor when `axis` is nil (`i64`).
    public func argmin(axis: Int? = nil, keepDims: Bool = false) -> Tensor {
        Tensor.make("argmin") { lt_argmin(handle, Int64(axis ?? 0), axis != nil, keepDims, $0) }
    }
    /// Maximum values and their indices along `axis`.
    public func maxWithIndices(axis: Int, keepDims: Bool = false) -> (values: Tensor, indices: Tensor) {
        Tensor.makePair("max") { lt_max_dim(handle, Int64(axis), keepDims, $0, $1) }
    }
    /// Minimum values and their indices along `axis`.
    public func minWithIndices(axis: Int, keepDims: Bool = false) -> (values: Tensor, indices: Tensor) {
        Tensor.makePair("min") { lt_min_dim(handle, Int64(axis), keepDims, $0, $1) }
    }

    /// The `k` largest (or smallest) values along `axis` and their indices, sorted by default.
    public func topK(_ k: Int, axis: Int = -1, largest: Bool = true, sorted: Bool = true) -> (values: Tensor, indices: Tensor) {
        Tensor.makePair("topk") { lt_topk(handle, Int64(k), Int64(axis), largest, sorted, $0, $1) }
    }

    /// Sorted values along `axis` and the permutation that sorts them; `stable` keeps ties in order.
    public func sorted(axis: Int = -1, descending: Bool = false, stable: Bool = true) -> (values: Tensor, indices: Tensor) {
        Tensor.makePair("sort") { lt_sort(handle, Int64(axis), descending, stable, $0, $1) }
    }

    /// Running product along `axis` (the first axis by default).
    public func cumulativeProduct(axis: Int = 0) -> Tensor { Tensor.make("cumprod") { lt_cumprod(handle, Int64(axis), $0) } }

    /// Running sum along `axis`.
    public func cumsum(axis: Int) -> Tensor { Tensor.make("cumsum") { lt_cumsum(handle, Int64(axis), $0) } }

    /// Draws `count` indices per row from non-negative weights (rows need not sum to 1).
    /// Whether every element is finite (no NaN, no ±∞).
    public var isAllFinite: Bool { isFinite().all().boolValue }

    /// `multinomial` that reports libtorch's refusal (negative, NaN or all-zero probabilities, more
    /// samples than categories) as a `TorchError` instead of trapping.
    public func tryMultinomial(_ count: Int, replacement: Bool = false, generator: Generator? = nil) throws(TorchError) -> Tensor {
        try withExtendedLifetime(generator) { () throws(TorchError) -> Tensor in
            try Tensor.tryMake("multinomial") { lt_multinomial(handle, Int64(count), replacement, generator?.handle, $0) }
        }
    }

    public func multinomial(_ count: Int, replacement: Bool = false, generator: Generator? = nil) -> Tensor {
        withExtendedLifetime(generator) {
            Tensor.make("multinomial") { lt_multinomial(handle, Int64(count), replacement, generator?.handle, $0) }
        }
    }

    /// Bernoulli draws with these probabilities.
    public func bernoulli(generator: Generator? = nil) -> Tensor {
        withExtendedLifetime(generator) {
            Tensor.make("bernoulli") { lt_bernoulli(handle, generator?.handle, $0) }
        }
    }
}
