import Foundation
import LucidSupport

/// A run manifest: models × methods × seeds over one dataset, where to write, how to generate.
///
/// Load one with `RunManifest.load(from:)` (YAML or JSON, same schema; see docs/runs.md).
/// `hash` identifies *what* is run: it covers the name, models, dataset kind and limit, methods,
/// seeds and generation options, but not *where* things are (`output` and the dataset's path),
/// so a run directory can be resumed from a moved manifest or a dataset copied to node-local
/// storage. The dataset's content is hashed separately (`RunPlan.datasetHash`).
public struct RunManifest: Sendable, Equatable {
    /// Run name: letters, digits, `.`, `_`, `-`.
    public var name: String
    public var models: [ModelSpec]
    public var dataset: DatasetSpec
    public var methods: [MethodSpec]
    /// Generation seeds, distinct and ≥ 0; `[0]` when the manifest gives none.
    public var seeds: [Int]
    /// The run directory, resolved against the manifest's folder (default `runs/<name>`).
    public var output: URL
    /// Free-form generation options (`max_new_tokens`, …), passed through to the workload.
    public var generation: [String: JSONValue]
    /// Judge metrics computed after the generation items (`judges:`); not hashed (see `JudgeSpec`).
    public var judges: [JudgeSpec] = []
    /// The file the manifest was read from, when it came from a file.
    public var source: URL?
    /// Where each key was written, for errors in options checked after reading (never part of equality or the hash).
    public var locations = ManifestLocations()

    public init(name: String, models: [ModelSpec], dataset: DatasetSpec, methods: [MethodSpec], seeds: [Int],
                output: URL, generation: [String: JSONValue] = [:], source: URL? = nil) {
        self.name = name
        self.models = models
        self.dataset = dataset
        self.methods = methods
        self.seeds = seeds
        self.output = output
        self.generation = generation
        self.source = source
    }

    /// The hashed content as JSON: everything but `output`, `source`, the dataset's path and `judges`.
    public var canonicalJSON: JSONValue {
        .object([
            "name": .string(name),
            "models": .array(models.map(\.canonicalJSON)),
            "dataset": .object(["kind": .string(dataset.kind.rawValue), "limit": dataset.limit.map(JSONValue.int) ?? .null]),
            "methods": .array(methods.map(\.canonicalJSON)),
            "seeds": .array(seeds.map(JSONValue.int)),
            "generation": .object(generation),
        ])
    }

    /// SHA-256 (hex) of `canonicalJSON`'s canonical text.
    public var hash: String {
        SHA256.hex(canonicalJSON.description)
    }
}

/// One model of a manifest: a path (or a name the workload resolves) plus free-form options.
public struct ModelSpec: Sendable, Hashable {
    /// The model's name in keys and results: `name:` if given, else the path's last component.
    public var label: String
    /// As written in the manifest; the workload decides how to open it.
    public var path: String
    public var options: [String: JSONValue]

    public init(label: String, path: String, options: [String: JSONValue] = [:]) {
        self.label = label
        self.path = path
        self.options = options
    }

    var canonicalJSON: JSONValue {
        .object(["name": .string(label), "path": .string(path), "options": .object(options)])
    }
}

/// The dataset of a manifest: a JSONL or JSON-array file of sample objects, its kind and an optional limit.
public struct DatasetSpec: Sendable, Hashable {
    /// The file, resolved against the manifest's folder.
    public var url: URL
    public var kind: DatasetKind
    /// Use only the first `limit` samples of the file.
    public var limit: Int?

    public init(url: URL, kind: DatasetKind, limit: Int? = nil) {
        self.url = url
        self.kind = kind
        self.limit = limit
    }
}

/// One method of a manifest: its name plus free-form options, identified by both.
public struct MethodSpec: Sendable, Hashable {
    public var name: String
    public var options: [String: JSONValue]

    public init(name: String, options: [String: JSONValue] = [:]) {
        self.name = name
        self.options = options
    }

    var canonicalJSON: JSONValue {
        .object(["name": .string(name), "options": .object(options)])
    }

    /// The first 8 hex digits of the SHA-256 of the name and options.
    public var configHash: String {
        String(SHA256.hex(canonicalJSON.description).prefix(8))
    }

    /// `name@configHash`, e.g. `opera@1f0c9a2e`: two configurations of one method never share an id.
    public var id: String { "\(name)@\(configHash)" }
}
