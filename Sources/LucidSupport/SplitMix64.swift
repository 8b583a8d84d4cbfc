/// SplitMix64 (Steele, Lea & Flood; <https://prng.di.unimi.it>): the seeded generator behind every
/// reproducible choice outside ShapesWorld (organism batches and phrasings, the SCAV prompt search),
/// and the seeding step of ShapesWorld's xoshiro256** (`WorldRandom`).
///
/// One step, modulo 2^64: `state += 0x9E3779B97F4A7C15; z = state;`
/// `z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9; z = (z ^ (z >> 27)) * 0x94D049BB133111EB; return z ^ (z >> 31)`.
/// Derived draws never use the standard library's random APIs, so a seed gives the same stream on
/// every platform and Swift version. As a `RandomNumberGenerator` it also drives the standard
/// library's `random(in:using:)` (the fuzz properties do; what those derive is the standard library's).
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    /// The counter; each step adds the golden-ratio increment.
    public var state: UInt64

    /// A generator whose counter is `state`.
    public init(state: UInt64) { self.state = state }

    /// The prompt search's seeding: the counter starts one increment past `seed`.
    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    /// The stream for `step` of a run seeded with `seed` (organism training): a function of
    /// (seed, step, stream) alone, so a resumed run draws exactly what an uninterrupted one would.
    public static func stream(seed: UInt64, step: Int = 0, stream: UInt64 = 0) -> SplitMix64 {
        var random = SplitMix64(state: seed &* 0x9E37_79B9_7F4A_7C15 ^ (UInt64(truncatingIfNeeded: step) &* 0xD1B5_4A32_D192_ED03)
            ^ (stream &* 0x94D0_49BB_1331_11EB))
        _ = random.next()
        return random
    }

    /// One SplitMix64 step: advances `state` and returns the next output.
    public static func next(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 { Self.next(&state) }

    /// Uniform in 0..<bound (`next() % bound`; a bound below 1 counts as 1).
    public mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(Swift.max(1, bound)))
    }

    /// Uniform in [0, 1): the top 53 bits times 2^-53.
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// A random element (nil when empty).
    public mutating func element<T>(of items: [T]) -> T? {
        items.isEmpty ? nil : items[below(items.count)]
    }
}
