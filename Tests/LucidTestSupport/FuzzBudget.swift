import Foundation
import LucidSupport

/// How many cases the seeded fuzz properties run and which streams they draw, from the environment.
///
/// - `LUCID_FUZZ_ITERATIONS` raises the case count (`make fuzz`: 20 000); without it each property
///   runs its own small default, which keeps `make test` fast.
/// - `LUCID_FUZZ_SEED` moves every property onto another stream, so that a long campaign reaches
///   inputs the committed streams never do. Without it the streams are the committed ones, and a
///   failure repeats on every machine; with it, the same seed repeats the same cases.
///
/// A value that is not a whole number stops the test process with a message naming the variable:
/// a typo must not silently run the default budget.
public enum FuzzBudget {
    /// `LUCID_FUZZ_ITERATIONS`, when set.
    public static let requestedIterations: Int? = wholeNumber("LUCID_FUZZ_ITERATIONS", range: 1...100_000_000).map(Int.init)

    /// `LUCID_FUZZ_SEED`, when set.
    public static let seed: UInt64? = wholeNumber("LUCID_FUZZ_SEED", range: 0...UInt64.max)

    /// The cases of one property: `LUCID_FUZZ_ITERATIONS / share`, at least `minimum`, else `default`.
    ///
    /// `share` is for properties whose case costs several of another's (a file written and opened).
    public static func iterations(default fallback: Int, share: Int = 1, minimum: Int = 1) -> Int {
        guard let requested = requestedIterations else { return fallback }
        return max(minimum, requested / max(1, share))
    }

    /// The generator of a property whose committed stream is `committed`: that one unless
    /// `LUCID_FUZZ_SEED` is set, else a stream of (seed, committed state) alone.
    public static func generator(_ committed: SplitMix64) -> SplitMix64 {
        guard let seed else { return committed }
        return SplitMix64.stream(seed: seed, stream: committed.state)
    }

    private static func wholeNumber(_ name: String, range: ClosedRange<UInt64>) -> UInt64? {
        guard let text = ProcessInfo.processInfo.environment[name] else { return nil }
        guard let value = UInt64(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            fatalError("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not \"\(text)\"")
        }
        return value
    }
}
