import Foundation
import Testing
import LucidSupport
@testable import LucidRuns

/// The acceptance tests: a real child process killed at random points, resumed, compared with an uninterrupted run.
@Suite("Crash and resume with a child process")
struct CrashResumeTests {
    /// An uninterrupted run of the fixture: key → result.
    func referenceResults(_ fixture: RunFixture) throws -> [String: JSONValue] {
        let reference = fixture.directory.file("reference")
        try #require(ChildProcess.runToEnd([fixture.manifestURL.path, reference.path], logs: fixture.directory.file("logs")) == 0)
        return try successfulResults(reference.appendingPathComponent("results.jsonl"))
    }

    @Test func sigkillAtRandomPointsThenResumeEqualsAnUninterruptedRun() throws {
        // 2 models × 2 methods × 2 seeds × 25 samples = 200 items at 20 ms each: 4 s of work, while each
        // launch is killed within 250 ms, so every one of the 12 launches is still running when killed.
        let fixture = try RunFixture(samples: 25)
        let expected = try referenceResults(fixture)
        #expect(expected.count == 200)
        let runDirectory = fixture.directory.file("killed")
        let arguments = [fixture.manifestURL.path, runDirectory.path, "--sleep-ms", "20"]
        var generator = SplitMix64(state: 0x5EED)
        var kills = 0
        for _ in 0..<12 {
            let child = try ChildProcess(arguments: arguments, logs: fixture.directory.file("logs"))
            usleep(UInt32.random(in: 20_000...250_000, using: &generator))
            child.send(SIGKILL)
            let (status, signaled) = child.wait()
            if signaled && status == SIGKILL { kills += 1 } else { Issue.record("launch ended by itself (\(status)): \(child.stderr)") }
        }
        #expect(kills >= 10)
        let resultsURL = runDirectory.appendingPathComponent("results.jsonl")
        let doneBeforeFinalRun = try successfulResults(resultsURL).count
        #expect(doneBeforeFinalRun > 0 && doneBeforeFinalRun < 200, "the kills interrupted a run in progress")
        #expect(try ChildProcess.runToEnd([fixture.manifestURL.path, runDirectory.path], logs: fixture.directory.file("logs")) == 0)

        let contents = try ResultFile(path: resultsURL.path, bytes: [UInt8](Data(contentsOf: resultsURL)))
        #expect(contents.duplicates.isEmpty)
        #expect(contents.tornLength == 0)
        #expect(contents.entries.count == 200, "one line per item: nothing lost, nothing repeated")
        #expect(contents.completed.mapValues { $0.record.result ?? .null } == expected)
        print("crash/resume: \(kills) SIGKILLs, \(contents.entries.count) result lines")
    }

    @Test func killedShardsResumedAndMergedEqualAnUnshardedRun() throws {
        let fixture = try RunFixture(samples: 15)  // 120 items, 40 per shard
        let expected = try referenceResults(fixture)
        let runDirectory = fixture.directory.file("sharded")
        func arguments(_ shard: Int) -> [String] {
            [fixture.manifestURL.path, runDirectory.path, "--shard", "\(shard)/3", "--sleep-ms", "10"]
        }
        let logs = fixture.directory.file("logs")
        var generator = SplitMix64(state: 42)
        // All three shards start together (racing to create the run directory); shards 0 and 2 are killed twice.
        var children = try (0..<3).map { try ChildProcess(arguments: arguments($0), logs: logs) }
        for round in 0..<2 {
            usleep(UInt32.random(in: 30_000...150_000, using: &generator))
            children[0].send(SIGKILL)
            children[2].send(SIGKILL)
            #expect(children[0].wait().signaled && children[2].wait().signaled)
            if round == 0 {
                children[0] = try ChildProcess(arguments: arguments(0), logs: logs)
                children[2] = try ChildProcess(arguments: arguments(2), logs: logs)
            }
        }
        #expect(children[1].wait().status == 0, "\(children[1].stderr)")
        #expect(throws: RunError.self) { try RunMerger.merge(RunDirectory.open(runDirectory)) }
        #expect(try ChildProcess.runToEnd(arguments(0), logs: logs) == 0)
        #expect(try ChildProcess.runToEnd(arguments(2), logs: logs) == 0)

        let report = try RunMerger.merge(RunDirectory.open(runDirectory))
        #expect(report.missing.isEmpty && report.merged == 120 && report.wrote)
        #expect(try successfulResults(runDirectory.appendingPathComponent("results.jsonl")) == expected)
    }

    @Test func aSecondProcessOnTheSameShardRefuses() throws {
        let fixture = try RunFixture(samples: 5)
        let runDirectory = fixture.directory.file("run")
        let logs = fixture.directory.file("logs")
        // 20 items of 1 s each: the first writer holds the lock for far longer than the second needs to start.
        let arguments = [fixture.manifestURL.path, runDirectory.path, "--shard", "1/2", "--sleep-ms", "1000"]
        let first = try ChildProcess(arguments: arguments, logs: logs)
        defer { first.send(SIGKILL); first.wait() }
        let shardFile = runDirectory.appendingPathComponent("results.shard-1-of-2.jsonl")
        #expect(eventually { ((try? Data(contentsOf: shardFile))?.count ?? 0) > 0 }, "the first writer never wrote")
        let second = try ChildProcess(arguments: arguments, logs: logs)
        let (status, signaled) = second.wait()
        #expect(!signaled && status == 1)
        #expect(second.stderr.contains("results.shard-1-of-2.jsonl is locked by another process"), "\(second.stderr)")
        // The other shard is not blocked.
        let other = try ChildProcess(arguments: [fixture.manifestURL.path, runDirectory.path, "--shard", "0/2"], logs: logs)
        #expect(other.wait().status == 0, "\(other.stderr)")
    }

    @Test func sigintFinishesTheCurrentItemAndExits130() throws {
        let fixture = try RunFixture(samples: 10)
        let expected = try referenceResults(fixture)
        let runDirectory = fixture.directory.file("interrupted")
        let logs = fixture.directory.file("logs")
        let arguments = [fixture.manifestURL.path, runDirectory.path]
        let child = try ChildProcess(arguments: arguments + ["--sleep-ms", "100"], logs: logs)
        let resultsURL = runDirectory.appendingPathComponent("results.jsonl")
        #expect(eventually { ((try? Data(contentsOf: resultsURL))?.count ?? 0) > 0 })
        child.send(SIGINT)
        let (status, signaled) = child.wait()
        #expect(!signaled && status == 130, "\(child.stderr)")
        let partial = try ResultFile(path: resultsURL.path, bytes: [UInt8](Data(contentsOf: resultsURL)))
        #expect(partial.tornLength == 0 && partial.failures.isEmpty)
        #expect(partial.completed.count < 80)
        #expect(try ChildProcess.runToEnd(arguments, logs: logs) == 0)
        #expect(try successfulResults(resultsURL) == expected)
    }
}
