/// A run directory, results file or merge that cannot proceed, with the file and what to do.
public enum RunError: Error, Equatable, CustomStringConvertible {
    /// A system call failed on `path`.
    case io(path: String, operation: String, reason: String)
    /// Another process holds the lock on `path` (the same shard is already running, or a merge is reading it).
    case locked(path: String)
    /// A complete line of a results file that is not a valid result record.
    case malformedLine(path: String, line: Int, reason: String)
    /// A stored result that does not belong to this run: unknown key, wrong shard, or other inputs.
    case foreignResult(path: String, line: Int, key: String, reason: String)
    /// The directory's manifest differs from the one given; `changed` lists the differing top-level keys.
    case manifestChanged(directory: String, stored: String, current: String, changed: [String])
    /// The settings the workload would run the models with differ from those the run started with
    /// (`RunPlan.engine`; `changes`: `path: A then, B now`), e.g. a default that changed between Lucid builds.
    case engineChanged(directory: String, changes: [String])
    /// The dataset file's content differs from the one the run started with.
    case datasetChanged(directory: String, dataset: String, stored: String, current: String)
    /// The directory exists but is not a run directory, or its files contradict each other.
    case notARunDirectory(directory: String, reason: String)
    /// Sharded and unsharded results (or different shard counts) would be mixed.
    case layoutConflict(directory: String, reason: String)
    /// A merge found work items without a result.
    case incomplete(directory: String, missing: Int, failed: Int, examples: [String])
    /// A run directory without `results.jsonl` (`path`): not started, or sharded and not merged.
    case noResults(directory: String, path: String)
    /// A finished run's dataset (`dataset`) is unreadable now, or differs from the one the run answered.
    case datasetSamples(dataset: String, reason: String)

    public var description: String {
        switch self {
        case .io(let path, let operation, let reason):
            return "\(path): \(operation) failed: \(reason)"
        case .locked(let path):
            return "\(path) is locked by another process: this shard is already running (or being merged). Wait for it, or stop it first."
        case .malformedLine(let path, let line, let reason):
            return "\(path):\(line): not a valid result line: \(reason). Fix or delete that line by hand; nothing was changed."
        case .foreignResult(let path, let line, let key, let reason):
            return "\(path):\(line): result for `\(key)` \(reason). Refusing to mix results from different runs."
        case .manifestChanged(let directory, let stored, let current, let changed):
            let what = changed.isEmpty ? "" : " (\(changed.joined(separator: ", ")) changed)"
            return """
                \(directory) was started from a different manifest\(what): hash \(stored.prefix(12))… there, \(current.prefix(12))… now. \
                Refusing to mix results. Use another `output`, or pass --force-new to start a fresh directory beside it.
                """
        case .engineChanged(let directory, let changes):
            return """
                \(directory) was started with other engine settings (\(changes.joined(separator: "; "))), so this Lucid \
                would compute its remaining items differently. Refusing to mix results. Resume it with the Lucid build, the kind \
                of CPU and the LUCID_* environment that started it, or pass --force-new to start a fresh directory beside it.
                """
        case .datasetChanged(let directory, let dataset, let stored, let current):
            return """
                \(dataset) changed since \(directory) was started: sha256 \(stored.prefix(12))… then, \(current.prefix(12))… now. \
                Refusing to mix results. Restore the dataset, use another `output`, or pass --force-new to start a fresh directory beside it.
                """
        case .notARunDirectory(let directory, let reason):
            return "\(directory): \(reason)"
        case .layoutConflict(let directory, let reason):
            return "\(directory): \(reason)"
        case .incomplete(let directory, let missing, let failed, let examples):
            let failures = failed > 0 ? " (\(failed) of them failed: see the error lines)" : ""
            return "\(directory): \(missing) work item(s) have no result\(failures), e.g. \(examples.joined(separator: ", ")). Resume the shards that own them, then merge again."
        case .noResults(let directory, let path):
            return "\(path): no results; for a sharded run, run `lucid run merge \(directory)` first"
        case .datasetSamples(let dataset, let reason):
            return "\(dataset): \(reason)"
        }
    }
}
