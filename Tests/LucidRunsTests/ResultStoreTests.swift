import Foundation
import Testing
@testable import LucidRuns

@Suite("Results store")
struct ResultStoreTests {
    func record(_ key: String, _ outcome: ResultRecord.Outcome, inputHash: String = "0123456789abcdef") -> ResultRecord {
        ResultRecord(key: key, model: "m", method: "greedy", methodID: "greedy@00000000", seed: 0, sampleID: key,
                     inputHash: inputHash, outcome: outcome, elapsedSeconds: 0.12345)
    }

    func line(_ key: String, _ result: JSONValue = ["ok": true]) throws -> String {
        try record(key, .success(result)).line()
    }

    @Test func aLineHasTheDocumentedFieldsInOrderAndParsesBack() throws {
        let success = record("k", .success(["text": "hi", "p": 0.5]))
        #expect(try success.line() == #"{"key":"k","model":"m","method":"greedy","method_id":"greedy@00000000","seed":0,"sample_id":"k","input_hash":"0123456789abcdef","result":{"p":0.5,"text":"hi"},"elapsed_s":0.123}"# + "\n")
        #expect(try ResultRecord.parse(line: Array(success.line().utf8.dropLast())) == success)
        let failure = record("k", .failure("out of memory"))
        #expect(try failure.line().contains(#""error":"out of memory","elapsed_s""#))
        #expect(try ResultRecord.parse(line: Array(failure.line().utf8.dropLast())) == failure)
    }

    @Test func aTornLastLineIsTruncatedOnOpenAndAppendingContinuesCleanly() throws {
        let directory = try TemporaryDirectory()
        let full = try line("a") + line("b")
        let torn = String(try line("c").prefix(40))
        let url = try directory.write("results.jsonl", full + torn)
        let store = try ResultStore(url: url)
        #expect(store.repairedBytes == torn.utf8.count)
        #expect(Set(store.completed.keys) == ["a", "b"])
        #expect(store.warnings.count == 1 && store.warnings[0].contains("torn last line"))
        #expect(try String(contentsOf: url, encoding: .utf8) == full)
        try store.append(record("c", .success(["ok": true])))
        store.close()
        #expect(try String(contentsOf: url, encoding: .utf8) == full + (try line("c")))
        #expect(try ResultStore(url: url).repairedBytes == 0)
    }

    @Test func aMalformedLineInTheMiddleIsAnErrorNamingFileAndLineAndChangesNothing() throws {
        let directory = try TemporaryDirectory()
        let text = try line("a") + "{\"key\": \"b\", oops\n" + line("c")
        let url = try directory.write("results.jsonl", text)
        #expect(throws: RunError.malformedLine(path: url.path, line: 2, reason: "column 14: expected a string key")) {
            try ResultStore(url: url)
        }
        let missingField = try line("a") + "{\"key\": \"b\"}\n"
        try Data(missingField.utf8).write(to: url)
        #expect(throws: RunError.malformedLine(path: url.path, line: 2, reason: "`seed` must be an integer")) { try ResultStore(url: url) }
        #expect(try String(contentsOf: url, encoding: .utf8) == missingField)
        let description = RunError.malformedLine(path: url.path, line: 2, reason: "x").description
        #expect(description.hasPrefix("\(url.path):2: not a valid result line"))
    }

    @Test func duplicateKeysKeepTheFirstResultAndWarn() throws {
        let directory = try TemporaryDirectory()
        let url = try directory.write("results.jsonl", try line("a", ["v": 1]) + line("b") + line("a", ["v": 2]))
        let store = try ResultStore(url: url)
        #expect(store.completed["a"]?.result == ["v": 1])
        #expect(store.warnings == ["\(url.path):3: duplicate result for `a` (first on line 1); keeping the first"])
    }

    @Test func aSecondWriterOnTheSameFileIsRefusedUntilTheFirstCloses() throws {
        let directory = try TemporaryDirectory()
        let url = directory.file("results.shard-0-of-2.jsonl")
        let first = try ResultStore(url: url)
        #expect(throws: RunError.locked(path: url.path)) { try ResultStore(url: url) }
        first.close()
        _ = try ResultStore(url: url)
    }

    @Test func failedItemsStayPendingUntilTheySucceed() throws {
        let fixture = try RunFixture(samples: 2, models: ["m"], seeds: [0])
        let items = try fixture.plan().items
        let store = try ResultStore(url: fixture.directory.file("results.jsonl"))
        try store.append(ResultRecord(item: items[0], outcome: .failure("CUDA out of memory"), elapsedSeconds: 1))
        try store.append(ResultRecord(item: items[1], outcome: .success("fine"), elapsedSeconds: 1))
        #expect(store.pending(items) == [items[0], items[2], items[3]])
        #expect(store.failed == [items[0].key: "CUDA out of memory"])
        try store.append(ResultRecord(item: items[0], outcome: .success("now fine"), elapsedSeconds: 1))
        #expect(store.failed.isEmpty)
        store.close()
        let reopened = try ResultStore(url: fixture.directory.file("results.jsonl"))
        #expect(reopened.pending(items) == [items[2], items[3]])
        #expect(reopened.completed[items[0].key]?.result == "now fine")
    }

    @Test func resultsFromOtherInputsOrShardsOrRunsAreRefused() throws {
        let fixture = try RunFixture(samples: 2, models: ["m"], seeds: [0])
        let items = try fixture.plan().items
        let planned = items.map(\.planned)
        let url = fixture.directory.file("results.jsonl")
        var stale = ResultRecord(item: items[1], outcome: .success(1), elapsedSeconds: 0)
        stale.inputHash = "ffffffffffffffff"
        try Data((try ResultRecord(item: items[0], outcome: .success(1), elapsedSeconds: 0).line() + stale.line()).utf8).write(to: url)
        #expect(throws: RunError.foreignResult(path: url.path, line: 2, key: items[1].key,
                                               reason: "was computed from other inputs (input hash ffffffffffffffff, expected \(items[1].inputHash))")) {
            try ResultStore(url: url).verify(against: planned, shard: nil)
        }
        try Data(try ResultRecord(item: items[1], outcome: .success(1), elapsedSeconds: 0).line().utf8).write(to: url)
        #expect(throws: RunError.foreignResult(path: url.path, line: 1, key: items[1].key, reason: "belongs to shard 1/2, not 0/2")) {
            try ResultStore(url: url).verify(against: planned, shard: ShardSpec(index: 0, count: 2))
        }
        #expect(throws: RunError.foreignResult(path: url.path, line: 1, key: items[1].key, reason: "is not a work item of this run")) {
            try ResultStore(url: url).verify(against: [planned[0]], shard: nil)
        }
    }
}
