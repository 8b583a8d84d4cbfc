import LucidSupport
/// One unit of work: a model, a method configuration, a seed and a sample.
///
/// `key` is `model|method@confighash|seed|sample-id` (e.g. `llava-7b|opera@1f0c9a2e|0|COCO_1234`):
/// stable across runs of the same manifest, unique within it, and what results are stored under.
/// `inputHash` covers everything the result depends on (see `RunPlan`); a stored result whose
/// input hash differs was produced from different inputs and is never reused.
public struct WorkItem: Sendable, Hashable {
    public let key: String
    /// Position in the expanded list (models, then methods, then seeds, then samples).
    public let index: Int
    public let model: ModelSpec
    public let method: MethodSpec
    public let seed: Int
    public let sample: Sample
    /// The manifest's free-form generation options.
    public let generation: [String: JSONValue]
    /// 16 hex digits of SHA-256 over the dataset file's hash, the sample, model, method, seed and generation options.
    public let inputHash: String

    public init(index: Int, model: ModelSpec, method: MethodSpec, seed: Int, sample: Sample,
                generation: [String: JSONValue], datasetHash: String) {
        self.index = index
        self.model = model
        self.method = method
        self.seed = seed
        self.sample = sample
        self.generation = generation
        self.key = "\(model.label)|\(method.id)|\(seed)|\(sample.id)"
        let inputs: JSONValue = .object([
            "dataset": .string(datasetHash),
            "sample": .object(sample.fields),
            "model": model.canonicalJSON,
            "method": method.canonicalJSON,
            "seed": .int(seed),
            "generation": .object(generation),
        ])
        self.inputHash = String(SHA256.hex(inputs.description).prefix(16))
    }
}

/// What a run directory remembers of a work item: enough to check and merge results without the dataset (made by
/// `WorkItem.planned` and `RunDirectory`, read by callers).
public struct PlannedItem: Sendable, Hashable {
    public let key: String
    public let index: Int
    public let inputHash: String
}

extension WorkItem {
    /// The item's key, position and input hash.
    public var planned: PlannedItem { PlannedItem(key: key, index: index, inputHash: inputHash) }
}
