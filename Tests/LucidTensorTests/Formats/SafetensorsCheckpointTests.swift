import Foundation
import Testing
@testable import LucidTensor

/// Single-file, indexed and index-less sharded checkpoints.
@Suite struct SafetensorsCheckpointTests {
    let directory: FormatsTemporaryDirectory

    init() throws { directory = try FormatsTemporaryDirectory() }

    func item(_ name: String, _ value: UInt8) -> SafetensorsWriter.Item {
        .init(name: name, dtype: .uint8, shape: [2], bytes: [value, value &+ 1])
    }

    func writeShards() throws {
        try SafetensorsWriter.write([item("a", 1), item("b", 3)], to: directory.file("model-00001-of-00002.safetensors"))
        try SafetensorsWriter.write([item("c", 5)], to: directory.file("model-00002-of-00002.safetensors"))
    }

    func writeIndex(_ map: [(String, String)], extra: String = "") throws {
        let entries = map.map { "\"\($0.0)\": \"\($0.1)\"" }.joined(separator: ", ")
        try directory.write(#"{"metadata": {"total_size": 6, "format": "pt"}, "weight_map": {\#(entries)}\#(extra)}"#,
                            to: "model.safetensors.index.json")
    }

    let shard1 = "model-00001-of-00002.safetensors", shard2 = "model-00002-of-00002.safetensors"

    @Test func releasedPagesReadBackUnchangedFromTheFile() throws {
        // Three tensors of 3 pages each; the middle one's interior pages are released.
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let items = (0..<3).map { (k: Int) -> SafetensorsWriter.Item in
            .init(name: "t\(k)", dtype: .uint8, shape: [3 * page], bytes: (0..<(3 * page)).map { UInt8(truncatingIfNeeded: $0 * 7 + k) })
        }
        try SafetensorsWriter.write(items, to: directory.file("model.safetensors"))
        let checkpoint = try SafetensorsCheckpoint(path: directory.file("model.safetensors"))
        let before = try (0..<3).map { try Array(checkpoint.data(for: "t\($0)")) }
        let released = checkpoint.releasePages(of: "t1")
        // Only whole pages inside the tensor: at least 2 of its 3 (it need not start on a page).
        #expect(released >= 2 * page && released <= 3 * page && released % page == 0)
        #expect(checkpoint.releasePages(of: "absent") == 0)
        let after = try (0..<3).map { try Array(checkpoint.data(for: "t\($0)")) }
        #expect(after == before)
    }

    @Test func indexedShards() throws {
        try writeShards()
        try writeIndex([("a", shard1), ("b", shard1), ("c", shard2)])
        for path in [directory.path, directory.file("model.safetensors.index.json")] {
            let checkpoint = try SafetensorsCheckpoint(path: path)
            #expect(checkpoint.names == ["a", "b", "c"])
            #expect(checkpoint.files.count == 2)
            #expect(checkpoint.metadata == ["total_size": "6", "format": "pt"])
            #expect(Array(try checkpoint.data(for: "c")) == [5, 6])
            let found = try #require(checkpoint.entry(named: "b"))
            #expect(found.entry.shape == [2] && found.file.path == directory.file(shard1))
            #expect(checkpoint.entry(named: "zzz") == nil)
            #expect(throws: CheckpointError.tensorNotFound(path: path, name: "zzz")) { try checkpoint.data(for: "zzz") }
        }
    }

    @Test func namesCoverShardTensorsMissingFromTheMap() throws {
        try writeShards()
        try writeIndex([("a", shard1), ("c", shard2)])
        let checkpoint = try SafetensorsCheckpoint(path: directory.path)
        #expect(checkpoint.names == ["a", "b", "c"])
        #expect(Array(try checkpoint.data(for: "b")) == [3, 4])
    }

    /// As transformers: a directory's `model.safetensors` (else its index) decides which files load;
    /// other `*.safetensors` beside them (adapters, consolidated copies) are not opened.
    @Test func directoryLoadsOnlyModelFileOrIndexedShards() throws {
        try writeShards()
        try writeIndex([("a", shard1), ("b", shard1), ("c", shard2)])
        // A stray file holding a name the shards hold too: opening it would be a duplicate-tensor error.
        try SafetensorsWriter.write([item("a", 7)], to: directory.file("consolidated.safetensors"))
        let indexed = try SafetensorsCheckpoint(path: directory.path)
        #expect(indexed.files.map(\.path).sorted() == [directory.file(shard1), directory.file(shard2)])
        #expect(Array(try indexed.data(for: "a")) == [1, 2])

        try SafetensorsWriter.write([item("m", 11)], to: directory.file("model.safetensors"))
        let single = try SafetensorsCheckpoint(path: directory.path)
        #expect(single.files.map(\.path) == [directory.file("model.safetensors")])
        #expect(single.names == ["m"])
    }

    @Test func directoryWithoutIndexAndSingleFile() throws {
        try writeShards()
        let checkpoint = try SafetensorsCheckpoint(path: directory.path)
        #expect(checkpoint.names == ["a", "b", "c"])
        #expect(Array(try checkpoint.data(for: "a")) == [1, 2])

        let single = directory.file("single.st")
        try SafetensorsWriter.write([item("x", 9)], metadata: ["m": "v"], to: single)
        let one = try SafetensorsCheckpoint(path: single)
        #expect(one.names == ["x"] && one.metadata == ["m": "v"])
    }

    @Test func missingShard() throws {
        try writeShards()
        try writeIndex([("a", shard1), ("c", "model-00003-of-00002.safetensors")])
        #expect(throws: CheckpointError.missingShard(path: directory.file("model.safetensors.index.json"),
                                                     shard: "model-00003-of-00002.safetensors")) {
            try SafetensorsCheckpoint(path: directory.path)
        }
    }

    @Test func tensorNotInItsShard() throws {
        try writeShards()
        try writeIndex([("a", shard1), ("c", shard1)])
        #expect(throws: CheckpointError.tensorNotFound(path: directory.file(shard1), name: "c")) {
            try SafetensorsCheckpoint(path: directory.path)
        }
    }

    @Test func tensorInTwoShards() throws {
        try writeShards()
        try SafetensorsWriter.write([item("a", 7)], to: directory.file(shard2))
        try writeIndex([("a", shard1), ("b", shard2)])
        #expect(throws: CheckpointError.duplicateTensor(path: directory.file(shard2), name: "a")) {
            try SafetensorsCheckpoint(path: directory.path)
        }
        try FileManager.default.removeItem(atPath: directory.file("model.safetensors.index.json"))
        #expect(throws: CheckpointError.duplicateTensor(path: directory.file(shard2), name: "a")) {
            try SafetensorsCheckpoint(path: directory.path)
        }
    }

    @Test func badIndexes() throws {
        try writeShards()
        let indexPath = directory.file("model.safetensors.index.json")
        try writeIndex([("a", shard1), ("a", shard1)])
        #expect(throws: CheckpointError.duplicateTensor(path: indexPath, name: "a")) {
            try SafetensorsCheckpoint(path: directory.path)
        }
        try writeIndex([("a", "../escape.safetensors")])
        #expect(throws: CheckpointError.malformedHeader(
            path: indexPath, reason: "shard name '../escape.safetensors' must be a relative path inside the directory")) {
            try SafetensorsCheckpoint(path: directory.path)
        }
        try directory.write(#"{"metadata": {}}"#, to: "model.safetensors.index.json")
        #expect(throws: CheckpointError.malformedHeader(path: indexPath, reason: "index has no 'weight_map' object")) {
            try SafetensorsCheckpoint(path: indexPath)
        }
        try directory.write("not json", to: "model.safetensors.index.json")
        let error = checkpointError { _ = try SafetensorsCheckpoint(path: indexPath) }
        guard case .malformedHeader(indexPath, _)? = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
    }

    @Test func emptyOrMissingLocations() throws {
        #expect(throws: CheckpointError.cannotOpen(path: directory.path, reason: "directory has no .safetensors files or index")) {
            try SafetensorsCheckpoint(path: directory.path)
        }
        let missing = directory.file("absent.safetensors")
        #expect(throws: CheckpointError.cannotOpen(path: missing, reason: "no such file or directory")) {
            try SafetensorsCheckpoint(path: missing)
        }
    }
}
