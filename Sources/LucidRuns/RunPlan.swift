/// A manifest expanded into work items: models × methods × seeds × samples, in that nesting order.
///
/// Keys are unique by construction: model names, method ids, seeds and sample ids are each
/// checked for duplicates, and model names and method ids cannot contain `|`.
public struct RunPlan: Sendable {
    public let manifest: RunManifest
    public let dataset: Dataset
    public let items: [WorkItem]
    /// SHA-256 of the manifest's canonical content (see `RunManifest.hash`).
    public let manifestHash: String
    /// What the workload will run the models with where the manifest leaves it to Lucid's defaults
    /// (e.g. each model's effective dtype and attention kernel), recorded in `run.json` when the run
    /// starts; a resume whose settings differ is refused (`RunError.engineChanged`), since a default
    /// that changed between Lucid builds would otherwise mix results computed two ways. Not part of
    /// the manifest hash. Nil: nothing to record or check.
    public var engine: JSONValue?
    /// Keys of `engine`'s objects that Lucid began recording after runs had been started without them:
    /// where a run's record lacks one, a resume goes on unchecked for it, with a warning
    /// (`RunSession.warnings`), rather than refusing to finish a run it cannot compare.
    public var laterEngineKeys: Set<String> = []

    /// Loads the dataset and expands the manifest.
    public init(manifest: RunManifest) throws(DatasetError) {
        try self.init(manifest: manifest, dataset: Dataset.load(manifest.dataset))
    }

    /// Expands the manifest over an already loaded dataset.
    public init(manifest: RunManifest, dataset: Dataset) {
        self.manifest = manifest
        self.dataset = dataset
        var items: [WorkItem] = []
        items.reserveCapacity(manifest.models.count * manifest.methods.count * manifest.seeds.count * dataset.samples.count)
        for model in manifest.models {
            for method in manifest.methods {
                for seed in manifest.seeds {
                    for sample in dataset.samples {
                        items.append(WorkItem(index: items.count, model: model, method: method, seed: seed, sample: sample,
                                              generation: manifest.generation, datasetHash: dataset.fileHash))
                    }
                }
            }
        }
        self.items = items
        self.manifestHash = manifest.hash
    }

    /// This plan with `engine` to record and check, `laterKeys` accepted where a run's record lacks them.
    public func recording(engine: JSONValue?, laterKeys: Set<String> = []) -> RunPlan {
        var plan = self
        plan.engine = engine
        plan.laterEngineKeys = laterKeys
        return plan
    }

    /// SHA-256 of the dataset file.
    public var datasetHash: String { dataset.fileHash }

    /// The items of one shard (all items for nil), in order.
    public func items(in shard: ShardSpec?) -> [WorkItem] {
        guard let shard else { return items }
        return items.filter { shard.contains(position: $0.index) }
    }
}
