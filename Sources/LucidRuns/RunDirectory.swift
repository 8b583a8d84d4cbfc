import Foundation

/// A run directory: `run.json` (input hashes, manifest), `items.jsonl` (every work item's key and
/// input hash, in order) and the results files (`results.jsonl`, or `results.shard-i-of-n.jsonl`).
///
/// `prepare` creates it or checks that it was started from the same manifest and dataset, so a
/// resume never mixes results of different inputs. Concurrent shards of an array job may call
/// `prepare` on the same directory at once: creation happens under a lock file, and `run.json`
/// is written last, atomically, as the commit mark.
public final class RunDirectory: Sendable {
    public static let metadataFileName = "run.json"
    public static let itemsFileName = "items.jsonl"
    /// The unsharded results file, and the output of `RunMerger`.
    public static let resultsFileName = "results.jsonl"
    static let lockFileName = ".lock"

    public let url: URL
    public let metadata: RunMetadata

    init(url: URL, metadata: RunMetadata) {
        self.url = RunDirectory.normalized(url)
        self.metadata = metadata
    }

    /// `url` as a standardized directory URL, whether or not it exists yet (so URLs of one directory compare equal).
    static func normalized(_ url: URL) -> URL {
        URL(fileURLWithPath: url.standardizedFileURL.path, isDirectory: true)
    }

    /// Creates the run directory for `plan` at `url` (default: the manifest's `output`), or reopens it.
    ///
    /// An existing directory must hold a run of the same manifest hash and dataset hash, else
    /// `RunError.manifestChanged` / `.datasetChanged`, and, where it recorded them, the same engine
    /// settings (`RunPlan.engine`), else `.engineChanged`. With `forceNew`, such a directory is left
    /// alone and the first of `DIR-2`, `DIR-3`, … that is free or holds this same run is used
    /// instead (so every shard of an array job started with `--force-new` lands in the same one).
    /// A non-empty directory without `run.json` is refused rather than written into.
    public static func prepare(for plan: RunPlan, at url: URL? = nil, forceNew: Bool = false) throws(RunError) -> RunDirectory {
        let base = normalized(url ?? plan.manifest.output)
        var suffix = 1
        while true {
            let candidate = suffix == 1 ? base : base.deletingLastPathComponent().appendingPathComponent("\(base.lastPathComponent)-\(suffix)")
            do {
                return try prepareOne(plan, at: candidate)
            } catch {
                switch error {
                case .manifestChanged, .datasetChanged, .engineChanged, .notARunDirectory:
                    guard forceNew, suffix < 1000 else { throw error }
                    suffix += 1
                default: throw error
                }
            }
        }
    }

    static func prepareOne(_ plan: RunPlan, at url: URL) throws(RunError) -> RunDirectory {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw RunError.io(path: url.path, operation: "create the run directory", reason: error.localizedDescription)
        }
        let lock = try LockedFile(path: url.appendingPathComponent(lockFileName).path, access: .appending, lock: .exclusive, wait: true)
        defer { lock.close() }
        let metadataURL = url.appendingPathComponent(metadataFileName)
        if FileManager.default.fileExists(atPath: metadataURL.path) {
            let directory = try open(url)
            try directory.check(plan)
            return directory
        }
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        let foreign = contents.filter { $0 != lockFileName && $0 != itemsFileName && !$0.contains(".tmp-") }
        guard foreign.isEmpty else {
            throw RunError.notARunDirectory(directory: url.path, reason: "exists, is not empty and has no \(metadataFileName): not a Lucid run directory (found \(foreign.sorted().prefix(3).joined(separator: ", ")))")
        }
        var items = ""
        for item in plan.items {
            items += "{\"key\":"
            JSONValue.writeString(item.key, to: &items)
            items += ",\"input_hash\":\"\(item.inputHash)\"}\n"
        }
        try LockedFile.writeAtomically(Array(items.utf8), to: url.appendingPathComponent(itemsFileName).path)
        let metadata = RunMetadata(plan: plan)
        let text: String
        do { text = try metadata.json.prettyText() } catch {
            throw RunError.io(path: metadataURL.path, operation: "encode", reason: error.description)
        }
        try LockedFile.writeAtomically(Array(text.utf8), to: metadataURL.path)
        return RunDirectory(url: url, metadata: metadata)
    }

    /// Opens an existing run directory (for `merge`, or to inspect it).
    public static func open(_ url: URL) throws(RunError) -> RunDirectory {
        let metadataURL = url.appendingPathComponent(metadataFileName)
        guard let data = FileManager.default.contents(atPath: metadataURL.path) else {
            throw RunError.notARunDirectory(directory: url.path, reason: "no \(metadataFileName): not a Lucid run directory")
        }
        let json: JSONValue
        do { json = try JSONValue.parse(utf8: data) } catch {
            throw RunError.notARunDirectory(directory: url.path, reason: "\(metadataFileName) is not valid JSON (\(error))")
        }
        return RunDirectory(url: url, metadata: try RunMetadata(json: json, path: url.path))
    }

    /// Refuses a plan whose manifest, dataset or recorded engine settings differ from the run's; checks the item list is the same.
    func check(_ plan: RunPlan) throws(RunError) {
        guard metadata.manifestHash == plan.manifestHash else {
            throw RunError.manifestChanged(directory: url.path, stored: metadata.manifestHash, current: plan.manifestHash,
                                           changed: metadata.changedKeys(comparedTo: plan.manifest.canonicalJSON))
        }
        guard metadata.datasetHash == plan.datasetHash else {
            throw RunError.datasetChanged(directory: url.path, dataset: plan.dataset.url.path, stored: metadata.datasetHash, current: plan.datasetHash)
        }
        let changes = metadata.engineComparison(with: plan.engine, laterKeys: plan.laterEngineKeys).changes
        guard changes.isEmpty else { throw RunError.engineChanged(directory: url.path, changes: changes) }
        let stored = try plannedItems()
        guard stored == plan.items.map(\.planned) else {
            throw RunError.notARunDirectory(directory: url.path, reason: "\(Self.itemsFileName) does not match this manifest's work items (written by another Lucid version?)")
        }
    }

    /// Every work item's key, position and input hash, as recorded when the run started.
    public func plannedItems() throws(RunError) -> [PlannedItem] {
        let path = url.appendingPathComponent(Self.itemsFileName).path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RunError.notARunDirectory(directory: url.path, reason: "\(Self.itemsFileName) is missing")
        }
        var items: [PlannedItem] = []
        for (offset, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            guard let value = try? JSONValue.parse(utf8: line), let key = value["key"]?.stringValue,
                  let hash = value["input_hash"]?.stringValue
            else { throw RunError.malformedLine(path: path, line: offset + 1, reason: "expected {\"key\", \"input_hash\"}") }
            items.append(PlannedItem(key: key, index: items.count, inputHash: hash))
        }
        guard items.count == metadata.itemCount else {
            throw RunError.notARunDirectory(directory: url.path, reason: "\(Self.itemsFileName) has \(items.count) items, run.json says \(metadata.itemCount)")
        }
        return items
    }

    /// `results.jsonl`, or `results.shard-i-of-n.jsonl` for a shard.
    public func resultsURL(for shard: ShardSpec?) -> URL {
        url.appendingPathComponent(shard?.resultsFileName ?? Self.resultsFileName)
    }

    /// The shard results files present, sorted by shard count then index.
    public func shardFiles() -> [(shard: ShardSpec, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.compactMap { name in ShardSpec(resultsFileName: name).map { ($0, url.appendingPathComponent(name)) } }
            .sorted { ($0.shard.count, $0.shard.index) < ($1.shard.count, $1.shard.index) }
    }

    /// Opens and locks the results file of `shard` (nil: unsharded) and checks its records against the run.
    ///
    /// Refuses to mix layouts: an unsharded run in a directory with shard files, a shard count
    /// other than the one already used, or shards in a directory that was run unsharded.
    public func openStore(shard: ShardSpec?) throws(RunError) -> ResultStore {
        let shards = shardFiles()
        let unsharded = FileManager.default.fileExists(atPath: resultsURL(for: nil).path)
        if let shard {
            if let other = shards.first(where: { $0.shard.count != shard.count }) {
                throw RunError.layoutConflict(directory: url.path, reason: "this run is split into \(other.shard.count) shards (\(other.url.lastPathComponent)); --shard \(shard) would repeat work. Use --shard i/\(other.shard.count).")
            }
            if unsharded && shards.isEmpty {
                throw RunError.layoutConflict(directory: url.path, reason: "this run was started without --shard (\(Self.resultsFileName)); resume it the same way.")
            }
        } else if let first = shards.first {
            throw RunError.layoutConflict(directory: url.path, reason: "this run is sharded (\(first.url.lastPathComponent)); resume it with --shard i/\(first.shard.count), or merge it.")
        }
        let store = try ResultStore(url: resultsURL(for: shard))
        try store.verify(against: plannedItems(), shard: shard)
        return store
    }
}
