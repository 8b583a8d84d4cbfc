import Foundation
import Testing
@testable import LucidEval
import LucidRuns

/// `lucid eval opera-gpt4v`'s library half: typed input lines, records written as the judge answers,
/// a resumed run that sends only what is missing, and the summary.
@Suite("OPERA GPT-4V evaluation runs", .serialized)
struct OPERAGPT4VEvaluationTests {
    static let items = [
        OPERAGPT4VItem(id: "a", image: "a.png", question: "Please describe this image in detail.", assistant1: "A dog.", assistant2: "A brown dog."),
        OPERAGPT4VItem(id: "b", image: "b.png", assistant1: "Two cats and a kite.", assistant2: "Two cats."),
        OPERAGPT4VItem(id: "c", image: "c.png", assistant1: "A bus.", assistant2: "A red bus."),
    ]

    static func image(_ item: OPERAGPT4VItem) -> JudgeImage {
        JudgeImage(bytes: ImageJudgeTests.fakePNG(UInt8(item.id.unicodeScalars.first?.value ?? 0)), mediaType: .png, source: item.image)
    }

    static func evaluation(_ server: MockChatServer, log path: String) throws -> OPERAGPT4VEvaluation {
        let client = ChatCompletionClient(baseURL: server.baseURL, model: "judge", maxTokens: 300, maxRetries: 0)
        return OPERAGPT4VEvaluation(judge: OPERAGPT4VJudge(client: client), log: try JudgeRecordLog(path: path))
    }

    @Test func aRunStoppedByAFailedRequestResumesWithOnlyTheMissingItems() async throws {
        let path = ImageJudgeTests.temporaryPath("opera-gpt4v")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try MockChatServer(responses: [(200, MockChatServer.completion("Accuracy: 6 8\nDetailedness: 7 9")),
                                                   (200, MockChatServer.completion("I am unable to score these.")),
                                                   (400, #"{"error":{"message":"quota"}}"#)])
        await #expect(throws: JudgeError.self) { _ = try await Self.evaluation(first, log: path).run(Self.items, image: Self.image) }
        let written = try JudgeRecordLog<OPERAGPT4VRecord>(path: path).records
        #expect(written.map(\.id) == ["a", "b"], "each answered item is on disk before the next request")
        #expect(written[0].accuracy == [6, 8] && written[0].detailedness == [7, 9] && written[0].error == nil)
        #expect(written[0].imageSHA256 == Self.image(Self.items[0]).sha256 && written[0].question == "Please describe this image in detail.")
        #expect(written[1].accuracy == nil && written[1].reply == "I am unable to score these.")
        #expect(written[1].error?.contains("Accuracy line") == true, "an unreadable reply is recorded with the reason, not scored 0")

        // A torn last line (a kill mid-write) is cut off on open.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"id":"c","ima"#.utf8))
        try handle.close()

        let second = try MockChatServer(responses: [(200, MockChatServer.completion("Accuracy: 5 5\nDetailedness: 4 8"))])
        var progress: [OPERAGPT4VEvaluation.Progress] = []
        let records = try await Self.evaluation(second, log: path).run(Self.items, image: Self.image) { _, step in progress.append(step) }
        #expect(second.recorded.count == 1, "only the item without a record was sent")
        #expect(progress == [.kept, .kept, .judged(scored: true)])
        #expect(records.map(\.id) == ["a", "b", "c"])
        #expect(try JudgeRecordLog<OPERAGPT4VRecord>(path: path).records == records)

        let summary = OPERAGPT4VSummary(methods: ["beam5", "opera"], records: records)
        #expect(summary.items == 3 && summary.scored == 2 && summary.unparsable == 1 && summary.outsideScale == 0)
        #expect(summary.meanAccuracy == [5.5, 6.5] && summary.meanDetailedness == [5.5, 8.5])
        #expect(summary.jsonLine == #"{"items":3,"scored":2,"unparsable":1,"outside_scale":0,"methods":{"beam5":{"accuracy":5.5,"detailedness":5.5},"opera":{"accuracy":6.5,"detailedness":8.5}}}"#)
    }

    @Test func aRecordMadeForAnotherRequestIsRefusedNotReused() async throws {
        let path = ImageJudgeTests.temporaryPath("opera-gpt4v-changed")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let server = try MockChatServer(responses: [(200, MockChatServer.completion("Accuracy: 6 8\nDetailedness: 7 9"))])
        _ = try await Self.evaluation(server, log: path).run([Self.items[0]], image: Self.image)
        var changed = Self.items[0]
        changed.assistant2 = "A black dog."
        let untouched = try MockChatServer(responses: [])
        await #expect {
            _ = try await Self.evaluation(untouched, log: path).run([changed], image: Self.image)
        } throws: { error in
            "\(error)".contains(path) && "\(error)".contains("item 'a' was judged with another request")
        }
        #expect(untouched.recorded.isEmpty)
    }

    @Test func aSummaryWithNoReadableReplyHasNullMeansNotZero() {
        let record = OPERAGPT4VRecord(item: Self.items[0], image: Self.image(Self.items[0]), request: "k", reply: "no scores")
        let summary = OPERAGPT4VSummary(methods: ["m1", "m2"], records: [record])
        #expect(summary.scored == 0 && summary.meanAccuracy == [nil, nil])
        #expect(summary.jsonLine == #"{"items":1,"scored":0,"unparsable":1,"outside_scale":0,"methods":{"m1":{"accuracy":null,"detailedness":null},"m2":{"accuracy":null,"detailedness":null}}}"#)
    }

    @Test func anOutputFileThatIsNotThisCommandsIsRefusedNamingTheLine() throws {
        let path = ImageJudgeTests.temporaryPath("opera-gpt4v-foreign")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("{\"prompt\":\"p\",\"response\":\"r\"}\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try JudgeRecordLog<OPERAGPT4VRecord>(path: path)
        } throws: { error in
            "\(error)".contains(path) && "\(error)".contains("line 1 is not a record")
        }
    }

    @Test func inputLinesBecomeTypedItems() throws {
        let text = """
        {"id": "COCO_1", "image": "img/1.jpg", "question": "Please describe this image in detail.", "assistant_1": "A.", "assistant_2": "B."}

        {"id": 7, "image": "/abs/2.png", "assistant_1": "", "assistant_2": "C."}
        {"image": "3.png", "assistant_1": "D.", "assistant_2": "E.", "question": null}
        """
        let items = try OPERAGPT4VItem.parseJSONL(text, source: "items.jsonl")
        #expect(items == [
            OPERAGPT4VItem(id: "COCO_1", image: "img/1.jpg", question: "Please describe this image in detail.", assistant1: "A.", assistant2: "B."),
            OPERAGPT4VItem(id: "7", image: "/abs/2.png", assistant1: "", assistant2: "C."),
            OPERAGPT4VItem(id: "4", image: "3.png", assistant1: "D.", assistant2: "E."),
        ])
    }

    @Test(arguments: [
        (#"{"image": "a.png", "assistant_1": "x"}"#, "items.jsonl:1: missing field 'assistant_2'"),
        (#"{"image": 3, "assistant_1": "x", "assistant_2": "y"}"#, "items.jsonl:1: 'image' must be a string, found an integer"),
        (#"{"image": "", "assistant_1": "x", "assistant_2": "y"}"#, "items.jsonl:1: 'image' is empty"),
        (#"{"image": "a.png", "assistant1": "x", "assistant_2": "y"}"#, "items.jsonl:1: unknown field 'assistant1'"),
        (#"{"id": 1.5, "image": "a.png", "assistant_1": "x", "assistant_2": "y"}"#, "items.jsonl:1: 'id' must be a string or an integer"),
        (#"["a.png"]"#, "items.jsonl:1: expected a JSON object, found a list"),
        (#"{"image": "a.png""#, "items.jsonl:1: not JSON"),
        ("{\"id\":\"x\",\"image\":\"a.png\",\"assistant_1\":\"1\",\"assistant_2\":\"2\"}\n{\"id\":\"x\",\"image\":\"b.png\",\"assistant_1\":\"1\",\"assistant_2\":\"2\"}",
         "items.jsonl:2: id 'x' repeats line 1"),
    ])
    func badInputLinesAreErrorsNamingTheFileAndLine(text: String, message: String) {
        #expect {
            _ = try OPERAGPT4VItem.parseJSONL(text, source: "items.jsonl")
        } throws: { error in
            "\(error)".hasPrefix(message)
        }
    }
}

/// Comparisons taken from a finished run: both methods' texts per (model, seed, image).
@Suite("OPERA GPT-4V pairs from a run")
struct OPERAGPT4VRunPairsTests {
    static func record(_ model: String, _ methodID: String, seed: Int = 0, sample: String, text: String?) -> ResultRecord {
        let method = String(methodID.prefix { $0 != "@" })
        let outcome: ResultRecord.Outcome = text.map { .success(.object(["text": .string($0)])) } ?? .failure("out of memory")
        return ResultRecord(key: "\(model)|\(methodID)|\(seed)|\(sample)", model: model, method: method, methodID: methodID, seed: seed,
                            sampleID: sample, inputHash: "0", outcome: outcome, elapsedSeconds: 1)
    }

    static let samples: [String: [String: JSONValue]] = ["1": ["image": "img/1.png"], "2": ["image": "img/2.png", "prompt": "Describe it."],
                                                         "3": ["image": "img/3.png"]]

    @Test func everyImageBothMethodsAnsweredIsOneComparisonInRunOrder() throws {
        let records = [
            Self.record("tiny", "beam@aa", sample: "1", text: "beam one"), Self.record("tiny", "opera@bb", sample: "1", text: "opera one"),
            Self.record("tiny", "beam@aa", sample: "2", text: "beam two"), Self.record("tiny", "opera@bb", sample: "2", text: "opera two"),
            Self.record("tiny", "beam@aa", sample: "3", text: "beam three"), Self.record("tiny", "opera@bb", sample: "3", text: nil),
            Self.record("tiny", "greedy@cc", sample: "1", text: "greedy one"),
        ]
        let pairs = try OPERAGPT4VRunPairs(records: records, samples: Self.samples, method1: "beam", method2: "opera@bb",
                                           question: "Please describe this image in detail.", source: "run/results.jsonl")
        #expect(pairs.items == [
            OPERAGPT4VItem(id: "tiny|0|1", image: "img/1.png", question: "Please describe this image in detail.", assistant1: "beam one", assistant2: "opera one"),
            OPERAGPT4VItem(id: "tiny|0|2", image: "img/2.png", question: "Describe it.", assistant1: "beam two", assistant2: "opera two"),
        ])
        #expect(pairs.unpaired == 1, "sample 3 failed under OPERA: not judged, and counted")
    }

    @Test func methodsThatDoNotNameOneConfigurationAreErrors() {
        let records = [Self.record("m", "opera@aa", sample: "1", text: "a"), Self.record("m", "opera@bb", sample: "1", text: "b"),
                       Self.record("m", "beam@cc", sample: "1", text: "c")]
        #expect(throws: EvalError.self) { try OPERAGPT4VRunPairs(records: records, samples: Self.samples, method1: "beam", method2: "opera", question: nil, source: "r") }
        #expect(throws: EvalError.self) { try OPERAGPT4VRunPairs(records: records, samples: Self.samples, method1: "beam", method2: "vcd", question: nil, source: "r") }
        #expect(throws: EvalError.self) { try OPERAGPT4VRunPairs(records: records, samples: Self.samples, method1: "beam", method2: "beam@cc", question: nil, source: "r") }
        let pairs = try? OPERAGPT4VRunPairs(records: records, samples: Self.samples, method1: "beam", method2: "opera@bb", question: nil, source: "r")
        #expect(pairs?.items.map(\.assistant2) == ["b"])
    }
}
