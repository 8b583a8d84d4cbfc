/// SplitMix64: the deterministic generator behind every choice a recipe makes (batch contents,
/// prompt phrasings). A stream is a function of (seed, step), so a resumed run draws exactly the
/// batches an uninterrupted one would.
public struct StepRandom: Sendable {
    private var state: UInt64

    /// The stream for `step` of a run seeded with `seed`.
    public init(seed: UInt64, step: Int = 0, stream: UInt64 = 0) {
        state = seed &* 0x9E37_79B9_7F4A_7C15 ^ (UInt64(truncatingIfNeeded: step) &* 0xD1B5_4A32_D192_ED03) ^ (stream &* 0x94D0_49BB_1331_11EB)
        _ = next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound (bound ≥ 1).
    public mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(Swift.max(1, bound)))
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// A random element (nil when empty).
    public mutating func element<T>(of items: [T]) -> T? {
        items.isEmpty ? nil : items[below(items.count)]
    }
}
