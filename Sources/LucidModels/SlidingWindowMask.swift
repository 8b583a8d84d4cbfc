import LucidTensor

extension LlamaModel {
    /// Where a sliding window of `window` keys hides keys from the queries of a pass, [t, s] bool
    /// (true = hidden), or nil when no query reaches past it (then the window changes nothing).
    ///
    /// Query i sits at cache position `past + i` and sees key j when j > position − window
    /// (transformers' `sliding_window_overlay`; cache positions, as its masks use, so left padding
    /// shifts queries and keys alike). OPERA's parallel candidates all sit at position `past`.
    static func slidingWindowHidden(queries t: Int, past: Int, window: Int, parallelCandidates: Bool,
                                    device: Device = .cpu) -> Tensor? {
        guard slidingWindowHides(queries: t, past: past, window: window, parallelCandidates: parallelCandidates) else { return nil }
        let s = past + t
        if parallelCandidates {
            // Candidates see the cached keys after past − window and themselves (cache positions ≥ past).
            return Tensor.arange(s, device: device).le(past - window).unsqueezed(axis: 0).expanded([t, s])
        }
        // j ≤ past + i − window ⇔ j − i ≤ past − window: the triangle below that diagonal.
        return Tensor.ones([t, s], dtype: .bool, device: device).lowerTriangle(diagonal: past - window)
    }

    /// Whether `slidingWindowHidden` hides any key (without building it): the last query reaches back
    /// past the window (`past + t > window`), or, for parallel candidates at position `past`, `past ≥ window`.
    static func slidingWindowHides(queries t: Int, past: Int, window: Int, parallelCandidates: Bool) -> Bool {
        parallelCandidates ? past >= window : past + t > window
    }

    /// `mask` (additive, [t, s] or [B, 1, t, s], nil for none) with the `hidden` keys set to the
    /// dtype's lowest finite value too.
    static func addingWindow(_ hidden: Tensor, to mask: Tensor?, dtype: DType, device: Device = .cpu) -> Tensor {
        (mask ?? Tensor.zeros(hidden.shape, dtype: dtype, device: device)).maskedFill(hidden, lowestFinite(dtype))
    }
}
