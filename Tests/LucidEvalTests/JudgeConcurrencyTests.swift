import Foundation
import Testing
@testable import LucidEval

/// Judge requests in flight (`JudgeBatch`, `--judge-concurrency`, a manifest judge's `concurrency`): at
/// most N at once, records in item order whatever order the answers arrive in, and a stop that leaves
/// what a sequential run would have left.
@Suite("Judge requests in flight", .serialized)
struct JudgeConcurrencyTests {
    static let items = (1...12).map { StrongREJECTItem(id: "\($0)", prompt: "Instruction \($0)", response: "Answer \($0)") }

    /// The number n of the "Answer n" a request body judges.
    static func number(in body: String) -> Int {
        guard let range = body.range(of: "AI model response: Answer ") else { return 0 }
        return Int(body[range.upperBound...].prefix(while: \.isNumber)) ?? 0
    }

    /// A rubric verdict that depends on the request (convincing = 1 + n mod 5), or HTTP 400 for item `failing`.
    static func answer(failing: Int? = nil) -> @Sendable (String) -> (Int, String) {
        { body in
            let n = number(in: body)
            if n == failing { return (400, #"{"error":{"message":"no"}}"#) }
            return (200, MockChatServer.completion("#overall_reasoning item \(n)\n#scores\n1.a r\n1.b 0\n2.a r\n2.b \(1 + n % 5)\n3.a r\n3.b 5"))
        }
    }

    static func run(_ server: MockChatServer, log path: String, concurrency: Int, cache: JudgeAnswerCache? = nil,
                    progress: (Int, JudgeProgress<StrongREJECTRecord>) -> Void = { _, _ in }) async throws -> [StrongREJECTRecord] {
        let client = ChatCompletionClient(baseURL: server.baseURL, model: "judge", maxRetries: 0, cache: cache)
        return try await StrongREJECTJudge(client: client).run(Self.items, log: try JudgeRecordLog(path: path), concurrency: concurrency,
                                                               progress: progress)
    }

    @Test func atMostNRequestsAreInFlightAndTheRecordsAreTheSequentialRunsByteForByte() async throws {
        let (one, three) = (ImageJudgeTests.temporaryPath("sequential"), ImageJudgeTests.temporaryPath("concurrent"))
        defer { for path in [one, three] { try? FileManager.default.removeItem(atPath: path) } }
        let sequential = try MockChatServer(count: Self.items.count, delay: 0.02, answer: Self.answer())
        let expected = try await Self.run(sequential, log: one, concurrency: 1)
        // Later items answer sooner, so replies arrive out of order.
        let concurrent = try MockChatServer(count: Self.items.count, delay: 0.1) { body in
            Thread.sleep(forTimeInterval: Double(13 - JudgeConcurrencyTests.number(in: body)) * 0.02)
            return JudgeConcurrencyTests.answer()(body)
        }
        let records = try await Self.run(concurrent, log: three, concurrency: 3)
        #expect(sequential.mostConcurrent == 1)
        #expect(concurrent.mostConcurrent <= 3, "never more than --judge-concurrency requests at the server")
        #expect(concurrent.mostConcurrent >= 2, "the requests did overlap")
        #expect(concurrent.recorded.count == Self.items.count)
        #expect(records == expected && records.map(\.id) == Self.items.map(\.id))
        #expect(records.map(\.convincing) == Self.items.indices.map { 1 + ($0 + 1) % 5 }, "each record holds its own item's answer")
        #expect(try Data(contentsOf: URL(fileURLWithPath: three)) == Data(contentsOf: URL(fileURLWithPath: one)))
    }

    @Test func aFailedRequestLeavesTheRecordsASequentialRunWouldAndTheRerunPaysOnlyForTheRest() async throws {
        let path = ImageJudgeTests.temporaryPath("failing")
        let cachePath = path + ".judge-cache.jsonl"
        defer { for file in [path, cachePath] { try? FileManager.default.removeItem(atPath: file) } }
        let failing = try MockChatServer(count: Self.items.count, delay: 0.1, answer: Self.answer(failing: 5))
        await #expect(throws: JudgeError.self) {
            _ = try await Self.run(failing, log: path, concurrency: 4, cache: try JudgeAnswerCache(path: cachePath))
        }
        #expect(failing.mostConcurrent <= 4)
        #expect(try JudgeRecordLog<StrongREJECTRecord>(path: path).records.map(\.id) == ["1", "2", "3", "4"],
                "the records before the failed item, in order; answers after it are only in the cache")
        let cached = try JudgeAnswerCache(path: cachePath).count
        #expect(cached >= 4 && cached < Self.items.count)

        let rest = try MockChatServer(count: Self.items.count, delay: 0.02, answer: Self.answer())
        var steps: [String] = []
        let records = try await Self.run(rest, log: path, concurrency: 4, cache: try JudgeAnswerCache(path: cachePath)) { steps.append($1.word) }
        #expect(rest.recorded.count == Self.items.count - cached, "answered requests are not sent again")
        #expect(steps.prefix(4) == ["kept", "kept", "kept", "kept"] && steps[4] == "judged", "item 5 failed: it is sent again")
        #expect(steps.filter { $0 == "cached" }.count == cached - 4 && steps.filter { $0 == "judged" }.count == rest.recorded.count,
                "progress tells records kept, answers from the cache (nothing sent) and requests sent")
        #expect(records.map(\.id) == Self.items.map(\.id))

        let reference = ImageJudgeTests.temporaryPath("reference")
        defer { try? FileManager.default.removeItem(atPath: reference) }
        _ = try await Self.run(try MockChatServer(count: Self.items.count, delay: 0, answer: Self.answer()), log: reference, concurrency: 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(contentsOf: URL(fileURLWithPath: reference)))
    }
}

/// `lucid eval strongreject --out`: written per response as the judge answers, resumed like opera-gpt4v.
@Suite("StrongREJECT records", .serialized)
struct StrongREJECTRecordTests {
    @Test func aStoppedRunResumesWithOnlyTheMissingResponsesAndAChangedResponseIsRefused() async throws {
        let path = ImageJudgeTests.temporaryPath("strongreject")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let items = Array(JudgeConcurrencyTests.items.prefix(3))
        let verdict = MockChatServer.completion("#overall_reasoning ok\n#scores\n1.a r\n1.b 0\n2.a r\n2.b 5\n3.a r\n3.b 3")
        let first = try MockChatServer(responses: [(200, verdict), (200, MockChatServer.completion("I will not grade this.")),
                                                   (400, #"{"error":{"message":"quota"}}"#)])
        func judge(_ server: MockChatServer) -> StrongREJECTJudge {
            StrongREJECTJudge(client: ChatCompletionClient(baseURL: server.baseURL, model: "judge", maxRetries: 0))
        }
        await #expect(throws: JudgeError.self) { _ = try await judge(first).run(items, log: try JudgeRecordLog(path: path)) }
        let written = try JudgeRecordLog<StrongREJECTRecord>(path: path).records
        #expect(written.map(\.id) == ["1", "2"], "each answered response is on disk before the next request")
        #expect(written[0].score == 0.75 && written[0].refused == false && written[0].reasoning == "ok")
        #expect(written[1].score == nil && written[1].error?.contains("lacks one of") == true)
        let line = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")[1]
        #expect(line.contains(#""score":null"#), "an unscored response says so: null, as NaN in the reference")

        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"id":"3","requ"#.utf8))
        try handle.close()
        let second = try MockChatServer(responses: [(200, verdict)])
        let records = try await judge(second).run(items, log: try JudgeRecordLog(path: path))
        #expect(second.recorded.count == 1 && records.map(\.id) == ["1", "2", "3"])
        let summary = StrongREJECTSummary(records: records)
        #expect(summary.responses == 3 && summary.scored == 2 && summary.meanScore == 0.75)

        var changed = items
        changed[0].response = "Another answer"
        let untouched = try MockChatServer(responses: [])
        await #expect {
            _ = try await judge(untouched).run(changed, log: try JudgeRecordLog(path: path))
        } throws: { error in
            "\(error)".contains("item '1' was judged with another request")
        }
        #expect(untouched.recorded.isEmpty)
    }
}
