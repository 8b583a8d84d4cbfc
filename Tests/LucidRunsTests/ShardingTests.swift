import Foundation
import Testing
@testable import LucidRuns

@Suite("Sharding and merging")
struct ShardingTests {
    @Test func shardSpecsParseAndRejectOutOfRangeValues() throws {
        #expect(try ShardSpec(parsing: "3/8") == ShardSpec(index: 3, count: 8))
        for bad in ["8/8", "-1/8", "1/0", "1", "a/b", "1/2/3", ""] {
            #expect(throws: ShardSpecError(text: bad)) { try ShardSpec(parsing: bad) }
        }
        #expect(try ShardSpec(index: 2, count: 8).resultsFileName == "results.shard-2-of-8.jsonl")
        #expect(ShardSpec(resultsFileName: "results.shard-2-of-8.jsonl") == (try ShardSpec(index: 2, count: 8)))
        #expect(ShardSpec(resultsFileName: "results.shard-9-of-8.jsonl") == nil)
        #expect(ShardSpec(resultsFileName: "results.jsonl") == nil)
    }

    @Test func shardsPartitionTheItemsRoundRobin() throws {
        let plan = try RunFixture(samples: 5).plan()  // 40 items
        let shards = try (0..<3).map { try plan.items(in: ShardSpec(index: $0, count: 3)) }
        #expect(shards.map(\.count) == [14, 13, 13])
        #expect(shards[1].map(\.index) == Array(stride(from: 1, to: 40, by: 3)))
        #expect(Set(shards.flatMap { $0.map(\.key) }) == Set(plan.items.map(\.key)))
        #expect(shards.flatMap { $0 }.count == plan.items.count)
    }

    @Test func mergedShardsEqualAnUnshardedRun() async throws {
        let fixture = try RunFixture(samples: 4)
        let plan = try fixture.plan()
        let unsharded = try RunSession(plan: plan, output: fixture.directory.file("unsharded"))
        _ = try await unsharded.run { fakeResult($0) }
        for index in 0..<3 {
            let session = try RunSession(plan: plan, output: fixture.directory.file("sharded"), shard: ShardSpec(index: index, count: 3))
            _ = try await session.run { fakeResult($0) }
            session.store.close()
        }
        let report = try RunMerger.merge(RunDirectory.open(fixture.directory.file("sharded")))
        #expect(report.merged == 32 && report.missing.isEmpty && report.missingShards.isEmpty && report.wrote)
        let merged = fixture.directory.file("sharded/results.jsonl")
        #expect(try successfulResults(merged) == successfulResults(unsharded.store.url))
        let keys = try String(contentsOf: merged, encoding: .utf8).split(separator: "\n").map { try ResultRecord.parse(line: Array($0.utf8)).key }
        #expect(keys == plan.items.map(\.key), "merged in run order")
    }

    @Test func mergeReportsMissingItemsFailuresAndAbsentShards() async throws {
        let fixture = try RunFixture(samples: 2)
        let plan = try fixture.plan()  // 16 items
        let output = fixture.directory.file("run")
        let shard0 = try RunSession(plan: plan, output: output, shard: ShardSpec(index: 0, count: 2))
        _ = try await shard0.run { item in
            if item.index == 2 { throw CancellationError() }
            return fakeResult(item)
        }
        shard0.store.close()
        let directory = try RunDirectory.open(output)
        do {
            _ = try RunMerger.merge(directory)
            Issue.record("an incomplete merge must fail")
        } catch {
            guard case .incomplete(_, let missing, let failed, let examples) = error else { throw error }
            #expect(missing == 9 && failed == 1 && examples.first == plan.items[1].key)
        }
        #expect(!FileManager.default.fileExists(atPath: directory.resultsURL(for: nil).path))
        let partial = try RunMerger.merge(directory, allowIncomplete: true)
        #expect(partial.missingShards == [1])
        #expect(partial.merged == 7 && partial.missing.count == 9)
        #expect(partial.failed == [plan.items[2].key: "CancellationError()"])
        #expect(try successfulResults(directory.resultsURL(for: nil)).count == 7)
    }

    @Test func mergeRefusesAShardThatIsStillRunning() throws {
        let fixture = try RunFixture(samples: 1)
        let running = try RunSession(plan: fixture.plan(), shard: ShardSpec(index: 0, count: 2))
        #expect(throws: RunError.locked(path: running.store.url.path)) { try RunMerger.merge(running.directory) }
    }

    @Test func mergeRefusesShardFilesOfDifferentCounts() throws {
        let fixture = try RunFixture(samples: 1)
        let directory = try RunDirectory.prepare(for: fixture.plan())
        try fixture.directory.write("out/fixture/results.shard-0-of-2.jsonl", "")
        try fixture.directory.write("out/fixture/results.shard-0-of-3.jsonl", "")
        #expect(throws: RunError.self) { try RunMerger.merge(directory) }
    }
}
