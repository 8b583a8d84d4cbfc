import Foundation
import LucidBuildInfo

/// What `run.json` records about a run: the input hashes it was started with and the manifest.
public struct RunMetadata: Sendable, Equatable {
    /// Version of the run-directory layout.
    public static let format = 1

    public var name: String
    /// `RunManifest.hash` of the manifest the run was started with.
    public var manifestHash: String
    /// SHA-256 of the dataset file the run was started with.
    public var datasetHash: String
    /// Where the dataset was when the run started (for people; not checked).
    public var datasetPath: String
    public var itemCount: Int
    /// ISO 8601 creation time.
    public var created: String
    /// The manifest's canonical JSON (what the hash covers).
    public var manifest: JSONValue
    /// `RunPlan.engine` when the run started; nil in runs started before Lucid recorded it.
    public var engine: JSONValue?
    /// The Lucid that started the run, `{"version", "commit"}` (`LucidBuild`; commit null outside a git
    /// checkout): for people and for the resume warning, never checked. Nil in runs started before
    /// Lucid recorded it.
    public var lucid: JSONValue?

    /// This build's `lucid` record.
    public static var currentLucid: JSONValue {
        .object(["version": .string(LucidBuild.version), "commit": LucidBuild.commit.map(JSONValue.string) ?? .null])
    }

    public init(plan: RunPlan, created: Date = Date()) {
        name = plan.manifest.name
        manifestHash = plan.manifestHash
        datasetHash = plan.datasetHash
        datasetPath = plan.dataset.url.path
        itemCount = plan.items.count
        self.created = ISO8601DateFormatter().string(from: created)
        manifest = plan.manifest.canonicalJSON
        engine = plan.engine
        lucid = Self.currentLucid
    }

    var json: JSONValue {
        var fields: [String: JSONValue] = [
            "format": .int(Self.format),
            "name": .string(name),
            "manifest_hash": .string(manifestHash),
            "dataset_hash": .string(datasetHash),
            "dataset_path": .string(datasetPath),
            "items": .int(itemCount),
            "created": .string(created),
            "manifest": manifest,
        ]
        if let engine { fields["engine"] = engine }
        if let lucid { fields["lucid"] = lucid }
        return .object(fields)
    }

    init(json: JSONValue, path: String) throws(RunError) {
        func field(_ name: String) throws(RunError) -> JSONValue {
            guard let value = json[name] else { throw RunError.notARunDirectory(directory: path, reason: "run.json has no `\(name)`") }
            return value
        }
        func text(_ name: String) throws(RunError) -> String {
            guard let value = try field(name).stringValue else { throw RunError.notARunDirectory(directory: path, reason: "run.json: `\(name)` is not a string") }
            return value
        }
        guard let format = try field("format").intValue, format == Self.format else {
            throw RunError.notARunDirectory(directory: path, reason: "run.json has format \(json["format"] ?? .null); this Lucid reads format \(Self.format)")
        }
        guard let count = try field("items").intValue else { throw RunError.notARunDirectory(directory: path, reason: "run.json: `items` is not an integer") }
        name = try text("name")
        manifestHash = try text("manifest_hash")
        datasetHash = try text("dataset_hash")
        datasetPath = try text("dataset_path")
        itemCount = count
        created = try text("created")
        manifest = try field("manifest")
        engine = json["engine"]
        // A null or malformed record reads as none (JSONValue takes `nil` as its own null: say Optional's).
        lucid = json["lucid"].flatMap { (value: JSONValue) -> JSONValue? in value.objectValue == nil ? Optional.none : value }
    }

    /// A warning when `current` is another Lucid build than the one that started the run (a resume
    /// mixes their results); nil when they agree or the run recorded none.
    func buildChange(comparedTo current: JSONValue) -> String? {
        guard let lucid, lucid != current else { return nil }
        func describe(_ build: JSONValue) -> String {
            let version = build["version"]?.stringValue ?? "?"
            return build["commit"]?.stringValue.map { "lucid \(version) (commit \($0))" } ?? "lucid \(version) (commit unknown)"
        }
        return "this run was started by \(describe(lucid)) and resumes with \(describe(current)): its results will mix the two builds (--force-new starts a fresh directory)"
    }

    /// How `current` compares with the recorded engine settings: `changes`, where they differ, as
    /// `path: A then, B now` lines, and `unrecorded`, the `laterKeys` the record lacks, as `path (B now)`
    /// (both sorted); both empty when they agree or the run recorded none.
    func engineComparison(with current: JSONValue?, laterKeys: Set<String> = []) -> (changes: [String], unrecorded: [String]) {
        guard let engine, let current, engine != current else { return ([], []) }
        var changes: [String] = []
        var unrecorded: [String] = []
        func walk(_ path: String, _ key: String?, _ then: JSONValue?, _ now: JSONValue?) {
            if case .object(let a)? = then, case .object(let b)? = now {
                for key in Set(a.keys).union(b.keys).sorted() { walk(path.isEmpty ? key : "\(path).\(key)", key, a[key], b[key]) }
            } else if then == nil, let now, let key, laterKeys.contains(key) {
                unrecorded.append("\(path) (\(now) now)")
            } else if then != now {
                changes.append("\(path.isEmpty ? "engine" : path): \(then.map { "\($0)" } ?? "absent") then, \(now.map { "\($0)" } ?? "absent") now")
            }
        }
        walk("", nil, engine, current)
        return (changes, unrecorded)
    }

    /// A warning when the run's engine record lacks settings this Lucid records (`engineComparison`'s
    /// `unrecorded`); nil when it has them all.
    func unrecordedEngineWarning(comparedTo current: JSONValue?, laterKeys: Set<String>) -> String? {
        let unrecorded = engineComparison(with: current, laterKeys: laterKeys).unrecorded
        guard !unrecorded.isEmpty else { return nil }
        return "this run was started before Lucid recorded \(unrecorded.joined(separator: ", ")), so the resume cannot check them: if the run started with other values, its results will mix the two (--force-new starts a fresh directory)"
    }

    /// Top-level manifest keys whose values differ from `other` (sorted).
    func changedKeys(comparedTo other: JSONValue) -> [String] {
        let mine = manifest.objectValue ?? [:]
        let theirs = other.objectValue ?? [:]
        return Set(mine.keys).union(theirs.keys).filter { mine[$0] != theirs[$0] }.sorted()
    }
}
