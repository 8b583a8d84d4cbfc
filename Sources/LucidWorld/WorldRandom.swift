import LucidSupport
/// The seeded pseudo-random generator of ShapesWorld: xoshiro256** seeded by SplitMix64.
///
/// Algorithms (Blackman & Vigna, <https://prng.di.unimi.it>), all arithmetic modulo 2^64:
/// - SplitMix64 step: `SplitMix64.next(_:)` (LucidSupport).
/// - Seeding: the four xoshiro words are the first four SplitMix64 outputs from `seed` (never all
///   zero, since SplitMix64 is a bijection of its counter).
/// - xoshiro256** step: `result = rotl(s1 * 5, 7) * 9; t = s1 << 17; s2 ^= s0; s3 ^= s1;`
///   `s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 45)`.
///
/// Derived quantities never use the standard library's random APIs, whose algorithms are not
/// specified, so a seed gives the same stream on every platform and Swift version:
/// - ``nextDouble()``: the top 53 bits times 2^-53, in [0, 1);
/// - ``next(below:)``: Lemire's multiply-shift with rejection (unbiased);
/// - ``shuffle(_:)``: Fisher–Yates from the last index down, `j = next(below: i + 1)`.
public struct WorldRandom: Sendable, Equatable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// A generator whose state is the first four SplitMix64 outputs from `seed`.
    public init(seed: UInt64) {
        var mixer = seed
        s0 = SplitMix64.next(&mixer)
        s1 = SplitMix64.next(&mixer)
        s2 = SplitMix64.next(&mixer)
        s3 = SplitMix64.next(&mixer)
    }

    /// A seed for an independent stream: SplitMix64's output for `seed` combined with `stream`
    /// and `index` (`splitMix64(seed ^ splitMix64(stream ^ splitMix64(index)))`, each call on a
    /// fresh copy of its argument).
    public static func derivedSeed(_ seed: UInt64, stream: UInt64, index: UInt64) -> UInt64 {
        var a = index
        var b = stream ^ SplitMix64.next(&a)
        var c = seed ^ SplitMix64.next(&b)
        return SplitMix64.next(&c)
    }

    /// The next 64 random bits (one xoshiro256** step).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// A uniform double in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform integer in `0 ..< bound` (Lemire's method); 0 when `bound` is 1 or less.
    public mutating func next(below bound: Int) -> Int {
        guard bound > 1 else { return 0 }
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// A uniform integer in `range` (which must not be empty).
    public mutating func next(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + next(below: range.upperBound - range.lowerBound + 1)
    }

    /// A uniform double in `[lower, upper)`.
    public mutating func nextDouble(in lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * nextDouble()
    }

    /// True with probability `probability` (false for 0 or less, true for 1 or more).
    public mutating func chance(_ probability: Double) -> Bool {
        nextDouble() < probability
    }

    /// A uniform element of `items`; nil when it is empty.
    public mutating func element<T>(of items: [T]) -> T? {
        items.isEmpty ? nil : items[next(below: items.count)]
    }

    /// Shuffles `items` in place (Fisher–Yates, last index first).
    public mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            let j = next(below: i + 1)
            if i != j { items.swapAt(i, j) }
        }
    }

    private func rotateLeft(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }
}
