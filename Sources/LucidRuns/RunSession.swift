import Foundation

/// One process's part of a run, ready to execute: plan, checked directory, locked results file.
///
/// This is what `lucid run MANIFEST [--shard i/n] [--output DIR] [--force-new]` does before the
/// workload starts: load and validate the manifest, load the dataset and expand the work items,
/// create or re-check the run directory (refusing changed inputs), then open and lock this
/// shard's results file and check what it already holds.
public final class RunSession: Sendable {
    public let plan: RunPlan
    public let directory: RunDirectory
    public let shard: ShardSpec?
    public let store: ResultStore

    /// Loads the manifest at `manifest` and prepares the run (throws `ManifestError`, `DatasetError` or `RunError`).
    /// `engine`: the settings to record and check (`RunPlan.engine`); `laterEngineKeys`: those of its keys a
    /// run started by an older Lucid may lack (`RunPlan.laterEngineKeys`).
    public static func open(manifest: URL, output: URL? = nil, shard: ShardSpec? = nil, forceNew: Bool = false,
                            engine: JSONValue? = nil, laterEngineKeys: Set<String> = []) throws -> RunSession {
        let loaded = try RunManifest.load(from: manifest)
        let plan: RunPlan
        do { plan = try RunPlan(manifest: loaded) } catch where error.line == nil {
            // A dataset that cannot be read at all is the manifest's `dataset.path` at fault: say where it was written.
            throw loaded.locations.error(at: "dataset.path", error.description)
        }
        return try RunSession(plan: plan.recording(engine: engine, laterKeys: laterEngineKeys), output: output, shard: shard, forceNew: forceNew)
    }

    /// Prepares the run of `plan` in `output` (default: the manifest's `output`).
    public init(plan: RunPlan, output: URL? = nil, shard: ShardSpec? = nil, forceNew: Bool = false) throws(RunError) {
        self.plan = plan
        self.shard = shard
        directory = try RunDirectory.prepare(for: plan, at: output, forceNew: forceNew)
        store = try directory.openStore(shard: shard)
    }

    /// This process's work items (its shard, or all), in order.
    public var items: [WorkItem] { plan.items(in: shard) }

    /// What opening the results file found worth telling (a repaired torn line, duplicates).
    /// Also says when this build is another than the one that started the run, and which engine settings
    /// the run's record lacks (`RunPlan.laterEngineKeys`).
    public var warnings: [String] {
        let metadata = directory.metadata
        return [metadata.buildChange(comparedTo: RunMetadata.currentLucid),
                metadata.unrecordedEngineWarning(comparedTo: plan.engine, laterKeys: plan.laterEngineKeys)].compactMap { $0 } + store.warnings
    }

    /// Runs the pending items with `work` (see `RunExecutor.run`).
    public func run(progress: ProgressReporter? = nil, interruption: InterruptMonitor? = nil,
                    isolation: isolated (any Actor)? = #isolation,
                    _ work: (WorkItem) async throws -> JSONValue) async throws(RunError) -> RunSummary {
        try await RunExecutor(store: store, progress: progress, interruption: interruption).run(items, work)
    }
}
