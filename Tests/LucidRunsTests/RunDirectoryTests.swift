import Foundation
import Testing
@testable import LucidRuns

@Suite("Run directories")
struct RunDirectoryTests {
    @Test func anUnchangedManifestResumesTheSameDirectory() async throws {
        let fixture = try RunFixture(samples: 3)
        let first = try RunSession(plan: fixture.plan())
        let summary = try await first.run { item in
            if item.index == 5 { throw CancellationError() }
            return fakeResult(item)
        }
        #expect(summary.succeeded == 23 && summary.failed == 1)
        first.store.close()
        let second = try RunSession(plan: fixture.plan())
        #expect(second.directory.url == first.directory.url)
        #expect(second.store.pending(second.items).map(\.index) == [5])
        #expect(try await second.run { fakeResult($0) } == RunSummary(total: 24, alreadyDone: 23, succeeded: 1, failed: 0))
        #expect(second.directory.metadata == first.directory.metadata)
    }

    @Test func aChangedManifestIsRefusedNamingWhatChanged() throws {
        let fixture = try RunFixture(samples: 3)
        let directory = try RunDirectory.prepare(for: fixture.plan())
        let text = try String(contentsOf: fixture.manifestURL, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "beams: 3", with: "beams: 4").replacingOccurrences(of: "[0, 1]", with: "[0, 2]").utf8)
            .write(to: fixture.manifestURL)
        let changed = try fixture.plan()
        #expect(throws: RunError.manifestChanged(directory: directory.url.path, stored: directory.metadata.manifestHash,
                                                 current: changed.manifestHash, changed: ["methods", "seeds"])) {
            try RunDirectory.prepare(for: changed)
        }
        do { _ = try RunDirectory.prepare(for: changed) } catch {
            #expect(error.description.contains("started from a different manifest (methods, seeds changed)"))
            #expect(error.description.contains("--force-new"))
        }
    }

    @Test func aChangedDatasetIsRefused() throws {
        let fixture = try RunFixture(samples: 3)
        let directory = try RunDirectory.prepare(for: fixture.plan())
        try Data(RunFixture.dataset(3, salt: " (edited)").utf8).write(to: fixture.datasetURL)
        let changed = try fixture.plan()
        #expect(throws: RunError.datasetChanged(directory: directory.url.path, dataset: fixture.datasetURL.standardizedFileURL.path,
                                                stored: directory.metadata.datasetHash, current: changed.datasetHash)) {
            try RunDirectory.prepare(for: changed)
        }
    }

    static func engine(fused: Bool) -> JSONValue {
        .object(["models": .object(["tiny": .object(["dtype": .string("bf16"), "fused_attention": .bool(fused)])])])
    }

    @Test func engineSettingsAreRecordedAndAResumeWithOthersIsRefusedNamingThem() throws {
        let fixture = try RunFixture(samples: 2)
        let directory = try RunDirectory.prepare(for: fixture.plan().recording(engine: Self.engine(fused: false)))
        let stored = try JSONValue.parse(utf8: Data(contentsOf: directory.url.appendingPathComponent(RunDirectory.metadataFileName)))
        #expect(stored["engine"] == Self.engine(fused: false))
        #expect(try RunDirectory.open(directory.url).metadata.engine == Self.engine(fused: false))
        #expect(try RunDirectory.prepare(for: fixture.plan().recording(engine: Self.engine(fused: false))).url == directory.url)
        let changed = try fixture.plan().recording(engine: Self.engine(fused: true))
        #expect(throws: RunError.engineChanged(directory: directory.url.path,
                                               changes: ["models.tiny.fused_attention: false then, true now"])) {
            try RunDirectory.prepare(for: changed)
        }
        do { _ = try RunDirectory.prepare(for: changed) } catch {
            #expect(error.description.contains("started with other engine settings (models.tiny.fused_attention: false then, true now)"))
            #expect(error.description.contains("--force-new"))
        }
        let fresh = try RunDirectory.prepare(for: changed, forceNew: true)
        #expect(fresh.url.lastPathComponent == "fixture-2" && fresh.metadata.engine == Self.engine(fused: true))
    }

    @Test func aRunThatRecordedNoEngineSettingsStillResumes() throws {
        let fixture = try RunFixture(samples: 2)
        let directory = try RunDirectory.prepare(for: fixture.plan())
        let stored = try JSONValue.parse(utf8: Data(contentsOf: directory.url.appendingPathComponent(RunDirectory.metadataFileName)))
        #expect(stored["engine"] == nil, "a run written before engine settings were recorded")
        #expect(try RunDirectory.prepare(for: fixture.plan().recording(engine: Self.engine(fused: true))).url == directory.url)
    }

    /// A key Lucid began recording later (`RunPlan.laterEngineKeys`) is accepted, with a warning, where the
    /// run's record lacks it, and checked like any other once recorded; any other key absent then is refused.
    @Test func aLaterEngineKeyTheRecordLacksResumesWithAWarningAndIsCheckedOnceRecorded() throws {
        let fixture = try RunFixture(samples: 2)
        let cpu = JSONValue.object(["aten": .string("AVX2"), "products": .string("widened")])
        func engine(cpu: JSONValue?) -> JSONValue {
            var fields: [String: JSONValue] = ["dtype": .string("bf16"), "fused_attention": .bool(true)]
            if let cpu { fields["cpu"] = cpu }
            return .object(["models": .object(["tiny": .object(fields)])])
        }
        let older = try RunSession(plan: fixture.plan().recording(engine: engine(cpu: nil)))
        older.store.close()
        #expect(older.warnings.isEmpty, "\(older.warnings)")
        let resumed = try RunSession(plan: fixture.plan().recording(engine: engine(cpu: cpu), laterKeys: ["cpu"]))
        resumed.store.close()
        #expect(resumed.directory.url == older.directory.url)
        #expect(resumed.warnings == ["this run was started before Lucid recorded models.tiny.cpu ({\"aten\":\"AVX2\",\"products\":\"widened\"} now), so the resume cannot check them: if the run started with other values, its results will mix the two (--force-new starts a fresh directory)"])
        #expect(throws: RunError.engineChanged(directory: older.directory.url.path, changes: ["models.tiny.cpu: absent then, \(cpu) now"]),
                "without the key named later it is a change like any other") {
            try RunDirectory.prepare(for: fixture.plan().recording(engine: engine(cpu: cpu)))
        }

        let newer = try RunFixture(samples: 2)
        let recorded = try RunDirectory.prepare(for: newer.plan().recording(engine: engine(cpu: cpu), laterKeys: ["cpu"]))
        #expect(recorded.metadata.engine == engine(cpu: cpu))
        let otherCPU = JSONValue.object(["aten": .string("AVX512"), "products": .string("libtorch")])
        #expect(throws: RunError.engineChanged(directory: recorded.url.path, changes: [
            "models.tiny.cpu.aten: \"AVX2\" then, \"AVX512\" now", "models.tiny.cpu.products: \"widened\" then, \"libtorch\" now"])) {
            try RunDirectory.prepare(for: newer.plan().recording(engine: engine(cpu: otherCPU), laterKeys: ["cpu"]))
        }
        #expect(throws: RunError.engineChanged(directory: recorded.url.path, changes: ["models.tiny.cpu: {\"aten\":\"AVX2\",\"products\":\"widened\"} then, absent now"]),
                "a record that has the key and a Lucid that does not write it is a change too") {
            try RunDirectory.prepare(for: newer.plan().recording(engine: engine(cpu: nil), laterKeys: ["cpu"]))
        }
    }

    @Test func forceNewStartsASiblingDirectoryAndEveryShardFindsTheSameOne() throws {
        let fixture = try RunFixture(samples: 3)
        let original = try RunDirectory.prepare(for: fixture.plan())
        try Data(RunFixture.dataset(4).utf8).write(to: fixture.datasetURL)
        let fresh = try RunDirectory.prepare(for: fixture.plan(), forceNew: true)
        #expect(fresh.url.lastPathComponent == "fixture-2")
        #expect(fresh.metadata.itemCount == 32)
        #expect(try RunDirectory.prepare(for: fixture.plan(), forceNew: true).url == fresh.url)
        #expect(try RunDirectory.open(original.url).metadata == original.metadata, "the old run is untouched")
    }

    @Test func aNonEmptyDirectoryThatIsNotARunIsRefused() throws {
        let fixture = try RunFixture(samples: 1)
        try fixture.directory.write("out/fixture/thesis.tex", "\\documentclass{article}")
        #expect(throws: RunError.self) { try RunDirectory.prepare(for: fixture.plan()) }
        #expect(throws: RunError.self) { try RunDirectory.open(fixture.directory.file("out/fixture")) }
    }

    @Test func shardedAndUnshardedResultsAreNeverMixed() throws {
        let fixture = try RunFixture(samples: 2)
        let directory = try RunDirectory.prepare(for: fixture.plan())
        try directory.openStore(shard: ShardSpec(index: 0, count: 4)).close()
        #expect(throws: RunError.self) { try directory.openStore(shard: nil) }
        #expect(throws: RunError.self) { try directory.openStore(shard: ShardSpec(index: 0, count: 3)) }
        try directory.openStore(shard: ShardSpec(index: 3, count: 4)).close()

        let other = try RunFixture(samples: 2)
        let unsharded = try RunDirectory.prepare(for: other.plan())
        try unsharded.openStore(shard: nil).close()
        #expect(throws: RunError.self) { try unsharded.openStore(shard: ShardSpec(index: 0, count: 2)) }
    }
}
