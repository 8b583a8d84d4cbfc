import Foundation

/// A safetensors checkpoint made of one file or several shards.
///
/// `init(path:)` accepts a single `.safetensors` file, a
/// `*.safetensors.index.json` file, or a directory. A directory uses, as
/// transformers does, its `model.safetensors` if present, else its
/// `model.safetensors.index.json` (and only the shards that index names), and
/// otherwise every `*.safetensors` file in it. With an index, every shard must exist (`.missingShard`) and hold
/// each tensor the index assigns to it (`.tensorNotFound`). In every mode a
/// tensor name may occur in only one file (`.duplicateTensor`).
public final class SafetensorsCheckpoint: Sendable {
    /// The path the checkpoint was opened with.
    public let path: String
    /// The opened files, in shard-name order.
    public let files: [SafetensorsFile]
    /// The index's `metadata` (numbers rendered as text), or the single file's
    /// `__metadata__`; empty for an index-less directory.
    public let metadata: [String: String]
    /// Every tensor in the opened files, sorted (with an index, a superset of its weight_map).
    public let names: [String]

    private let fileIndexByName: [String: Int]

    /// Opens and validates the checkpoint at `path`; throws ``CheckpointError``.
    public init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CheckpointError.cannotOpen(path: path, reason: "no such file or directory")
        }
        let indexPath: String?
        var singleFile: String? = isDirectory.boolValue ? nil : path
        if isDirectory.boolValue {
            let single = (path as NSString).appendingPathComponent("model.safetensors")
            let candidate = (path as NSString).appendingPathComponent("model.safetensors.index.json")
            if FileManager.default.fileExists(atPath: single) {
                singleFile = single
                indexPath = nil
            } else {
                indexPath = FileManager.default.fileExists(atPath: candidate) ? candidate : nil
            }
        } else {
            indexPath = path.hasSuffix(".json") ? path : nil
        }

        var files: [SafetensorsFile] = []
        var metadata: [String: String] = [:]
        var owner: [String: Int] = [:]
        if let indexPath {
            let index = try SafetensorsIndex(path: indexPath)
            metadata = index.metadata
            let directory = (indexPath as NSString).deletingLastPathComponent
            let shards = Array(Set(index.weightMap.values)).sorted()
            for shard in shards {
                let shardPath = (directory as NSString).appendingPathComponent(shard)
                guard FileManager.default.fileExists(atPath: shardPath) else {
                    throw CheckpointError.missingShard(path: indexPath, shard: shard)
                }
                files.append(try SafetensorsFile(path: shardPath))
            }
            try SafetensorsCheckpoint.claim(files, into: &owner)
            let fileByShard = Dictionary(uniqueKeysWithValues: zip(shards, files))
            for (name, shard) in index.weightMap.sorted(by: { $0.key < $1.key }) {
                guard let file = fileByShard[shard], file.entry(named: name) != nil else {
                    let shardPath = (directory as NSString).appendingPathComponent(shard)
                    throw CheckpointError.tensorNotFound(path: shardPath, name: name)
                }
            }
        } else if singleFile == nil {
            let listing: [String]
            do {
                listing = try FileManager.default.contentsOfDirectory(atPath: path)
            } catch {
                throw CheckpointError.cannotOpen(path: path, reason: "cannot list directory: \(error)")
            }
            let shards = listing.filter { $0.hasSuffix(".safetensors") }.sorted()
            guard !shards.isEmpty else {
                throw CheckpointError.cannotOpen(path: path, reason: "directory has no .safetensors files or index")
            }
            for shard in shards {
                files.append(try SafetensorsFile(path: (path as NSString).appendingPathComponent(shard)))
            }
            try SafetensorsCheckpoint.claim(files, into: &owner)
        } else {
            let file = try SafetensorsFile(path: singleFile ?? path)
            files = [file]
            metadata = file.metadata
            try SafetensorsCheckpoint.claim(files, into: &owner)
        }
        self.files = files
        self.metadata = metadata
        self.names = owner.keys.sorted()
        self.fileIndexByName = owner
    }

    /// Records which file holds each tensor; a name in two files is an error.
    private static func claim(_ files: [SafetensorsFile], into owner: inout [String: Int]) throws {
        for (position, file) in files.enumerated() {
            for entry in file.entries {
                guard owner.updateValue(position, forKey: entry.name) == nil else {
                    throw CheckpointError.duplicateTensor(path: file.path, name: entry.name)
                }
            }
        }
    }

    /// The entry called `name` and the file holding it, or nil.
    public func entry(named name: String) -> (entry: SafetensorsEntry, file: SafetensorsFile)? {
        guard let position = fileIndexByName[name] else { return nil }
        let file = files[position]
        guard let entry = file.entry(named: name) else { return nil }
        return (entry, file)
    }

    /// Drops the mapped pages of tensor `name` from memory (`MappedFile.releasePages(in:)`), for a
    /// loader that has copied it elsewhere (another dtype or device); returns the bytes released.
    @discardableResult
    public func releasePages(of name: String) -> Int {
        guard let found = entry(named: name) else { return 0 }
        let start = found.file.dataStart + found.entry.dataOffsets.lowerBound
        return found.file.file.releasePages(in: start..<(found.file.dataStart + found.entry.dataOffsets.upperBound))
    }

    /// The raw bytes of tensor `name` (a view into its shard's mapping, valid while
    /// this checkpoint is alive); throws `.tensorNotFound` if absent.
    public func data(for name: String) throws -> UnsafeRawBufferPointer {
        guard let found = entry(named: name) else {
            throw CheckpointError.tensorNotFound(path: path, name: name)
        }
        return found.file.data(for: found.entry)
    }
}

/// A parsed `model.safetensors.index.json`.
struct SafetensorsIndex {
    let metadata: [String: String]
    /// Tensor name to shard file name (relative to the index's directory).
    let weightMap: [String: String]

    init(path: String) throws {
        let file = try MappedFile(path: path)
        let document: CheckpointJSON
        do {
            document = try CheckpointJSON.parse(file.bytes)
        } catch {
            throw CheckpointError.malformedHeader(
                path: path, reason: "invalid JSON at byte \(error.offset): \(error.message)")
        }
        guard case .object(let members) = document else {
            throw CheckpointError.malformedHeader(path: path, reason: "index is a JSON \(document.kindName), expected an object")
        }
        var metadata: [String: String] = [:]
        var weightMap: [String: String]?
        for member in members {
            switch member.key {
            case "metadata":
                guard case .object(let entries) = member.value else {
                    throw CheckpointError.malformedHeader(path: path, reason: "'metadata' is not an object")
                }
                for entry in entries {
                    if case .string(let text) = entry.value {
                        metadata[entry.key] = text
                    } else {
                        metadata[entry.key] = entry.value.briefText
                    }
                }
            case "weight_map":
                weightMap = try SafetensorsIndex.parseWeightMap(member.value, path: path)
            default:
                continue
            }
        }
        guard let weightMap else {
            throw CheckpointError.malformedHeader(path: path, reason: "index has no 'weight_map' object")
        }
        self.metadata = metadata
        self.weightMap = weightMap
    }

    private static func parseWeightMap(_ value: CheckpointJSON, path: String) throws -> [String: String] {
        guard case .object(let entries) = value else {
            throw CheckpointError.malformedHeader(path: path, reason: "'weight_map' is not an object")
        }
        var map: [String: String] = [:]
        for entry in entries {
            guard case .string(let shard) = entry.value else {
                throw CheckpointError.malformedHeader(
                    path: path, reason: "weight_map value for '\(entry.key)' is not a string")
            }
            let components = shard.split(separator: "/", omittingEmptySubsequences: false)
            guard !shard.isEmpty, !shard.hasPrefix("/"), !components.contains("..") else {
                throw CheckpointError.malformedHeader(
                    path: path, reason: "shard name '\(shard)' must be a relative path inside the directory")
            }
            guard map.updateValue(shard, forKey: entry.key) == nil else {
                throw CheckpointError.duplicateTensor(path: path, name: entry.key)
            }
        }
        return map
    }
}
