/// What `RunMerger.merge` found and wrote.
public struct MergeReport: Sendable, Equatable {
    /// The shard count of the files merged.
    public var shardCount: Int
    /// Shard indices with no results file.
    public var missingShards: [Int]
    public var totalItems: Int
    /// Successful results written to `results.jsonl`.
    public var merged: Int
    /// Keys without a successful result, in run order.
    public var missing: [String]
    /// Latest error of each missing key that failed.
    public var failed: [String: String]
    /// Duplicates kept-first, torn last lines ignored.
    public var warnings: [String]
    /// Whether `results.jsonl` was written.
    public var wrote: Bool
}

/// Combines the shard files of a run directory into `results.jsonl`.
///
/// Every shard file must have the same shard count and every record must belong to this run,
/// to the shard whose file holds it, and to the same inputs (input hashes recorded in
/// `items.jsonl`), so the merge needs neither the manifest nor the dataset. Shard files are read
/// under a shared lock: a shard that is still running makes the merge fail with `RunError.locked`.
/// The output holds the first successful result of every work item, in run order — the same
/// records an unsharded run produces — and is written atomically.
public enum RunMerger {
    /// Merges; throws `RunError.incomplete` when items lack a result, unless `allowIncomplete`.
    public static func merge(_ directory: RunDirectory, allowIncomplete: Bool = false) throws(RunError) -> MergeReport {
        let shardFiles = directory.shardFiles()
        guard let first = shardFiles.first else {
            throw RunError.layoutConflict(directory: directory.url.path, reason: "no results.shard-i-of-n.jsonl files to merge")
        }
        let count = first.shard.count
        if let other = shardFiles.first(where: { $0.shard.count != count }) {
            throw RunError.layoutConflict(directory: directory.url.path,
                                          reason: "shard files of different counts (\(first.url.lastPathComponent), \(other.url.lastPathComponent)) cannot be merged")
        }
        let planned = try directory.plannedItems()
        var lookup: [String: PlannedItem] = [:]
        for item in planned { lookup[item.key] = item }

        var results: [String: ResultRecord] = [:]
        var failures: [String: String] = [:]
        var warnings: [String] = []
        var locks: [LockedFile] = []
        defer { locks.forEach { $0.close() } }
        for (shard, url) in shardFiles {
            let file = try LockedFile(path: url.path, access: .reading, lock: .shared)
            locks.append(file)
            let contents = try ResultFile(path: url.path, bytes: file.readAll())
            try contents.verify(against: lookup, shard: shard)
            warnings += contents.warnings
            for (key, entry) in contents.completed where results[key] == nil {
                results[key] = entry.record
            }
            for (key, entry) in contents.failures {
                if let message = entry.record.error { failures[key] = message }
            }
        }
        let missing = planned.map(\.key).filter { results[$0] == nil }
        let failed = failures.filter { results[$0.key] == nil }
        let present = Set(shardFiles.map(\.shard.index))
        var report = MergeReport(shardCount: count, missingShards: (0..<count).filter { !present.contains($0) },
                                 totalItems: planned.count, merged: results.count, missing: missing, failed: failed,
                                 warnings: warnings, wrote: false)
        if !missing.isEmpty && !allowIncomplete {
            throw RunError.incomplete(directory: directory.url.path, missing: missing.count, failed: failed.count,
                                      examples: Array(missing.prefix(5)))
        }
        var text = ""
        for item in planned {
            guard let record = results[item.key] else { continue }
            do { text += try record.line() } catch {
                throw RunError.io(path: directory.resultsURL(for: nil).path, operation: "encode `\(item.key)`", reason: error.description)
            }
        }
        try LockedFile.writeAtomically(Array(text.utf8), to: directory.resultsURL(for: nil).path)
        report.wrote = true
        return report
    }
}
