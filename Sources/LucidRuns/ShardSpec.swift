import Foundation

/// `--shard i/n`: this process runs shard `index` (0-based) of `count`.
///
/// Shard `i` takes the work items at positions `i`, `i + n`, `i + 2n`, … of the expanded list
/// (round-robin in manifest order). Round-robin balances wall time when models or methods differ
/// in speed, and each shard still visits the models in order, so a workload that caches the
/// loaded model loads each model once per shard. The split depends only on the manifest, so every
/// process of an array job computes the same partition without talking to the others.
public struct ShardSpec: Sendable, Hashable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    /// `0 ≤ index < count`.
    public init(index: Int, count: Int) throws(ShardSpecError) {
        guard count >= 1, index >= 0, index < count else { throw ShardSpecError(text: "\(index)/\(count)") }
        self.index = index
        self.count = count
    }

    /// Parses `i/n`, e.g. `3/8` (as passed from `$SLURM_ARRAY_TASK_ID/8` or `$JOB_COMPLETION_INDEX/8`).
    public init(parsing text: String) throws(ShardSpecError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else { throw ShardSpecError(text: text) }
        try self.init(index: index, count: count)
    }

    /// Whether the work item at `position` of the expanded list belongs to this shard.
    public func contains(position: Int) -> Bool { position % count == index }

    /// The results file of this shard: `results.shard-i-of-n.jsonl`.
    public var resultsFileName: String { "results.shard-\(index)-of-\(count).jsonl" }

    public var description: String { "\(index)/\(count)" }

    /// Parses a shard results file name back (`results.shard-2-of-8.jsonl` → 2/8).
    public init?(resultsFileName name: String) {
        guard name.hasPrefix("results.shard-"), name.hasSuffix(".jsonl") else { return nil }
        let middle = name.dropFirst("results.shard-".count).dropLast(".jsonl".count)
        let parts = middle.components(separatedBy: "-of-")
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]),
              let spec = try? ShardSpec(index: index, count: count) else { return nil }
        self = spec
    }
}

/// A `--shard` value that is not `i/n` with `0 ≤ i < n`.
public struct ShardSpecError: Error, Equatable, CustomStringConvertible {
    public let text: String
    public var description: String { "invalid shard `\(text)`: expected i/n with 0 ≤ i < n (e.g. 0/8 … 7/8)" }
}
