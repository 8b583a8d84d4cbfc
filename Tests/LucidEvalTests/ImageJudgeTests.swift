import Foundation
import LucidSupport
import Testing
@testable import LucidEval

/// The judge client's image parts and its unchanged text-only requests, against the local mock server.
@Suite("Judges that see images", .serialized)
struct ImageJudgeTests {
    /// Bytes that stand for a PNG file: the client sends files unchanged and never decodes them.
    static func fakePNG(_ marker: UInt8) -> [UInt8] {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) } + [marker, 0xFF, 0x2F, 0x2B]
    }

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("lucid-\(name)-\(UUID().uuidString).jsonl").path
    }

    @Test func anImagePartReachesTheServerAsADataURLOfTheFilesBytes() async throws {
        let server = try MockChatServer(responses: [(200, MockChatServer.completion("ok"))])
        let image = JudgeImage(bytes: Self.fakePNG(1), mediaType: .png, source: "scene.png")
        let client = ChatCompletionClient(baseURL: server.baseURL, model: "vision-judge")
        _ = try await client.complete([.init(role: "user", parts: [.text("Describe."), .image(image)])])
        let body = try #require(server.recorded.first?.body)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let messages = try #require(object["messages"] as? [[String: Any]])
        #expect(messages.count == 1 && messages[0]["role"] as? String == "user")
        let parts = try #require(messages[0]["content"] as? [[String: Any]])
        #expect(parts.count == 2)
        #expect(parts[0]["type"] as? String == "text" && parts[0]["text"] as? String == "Describe.")
        #expect(parts[1]["type"] as? String == "image_url")
        let url = try #require((parts[1]["image_url"] as? [String: Any])?["url"] as? String)
        let prefix = "data:image/png;base64,"
        #expect(url.hasPrefix(prefix))
        #expect(Data(base64Encoded: String(url.dropFirst(prefix.count))).map(Array.init) == image.bytes)
        #expect(Set(parts[1].keys) == ["type", "image_url"], "a part carries only its own fields")
    }

    @Test func aTextOnlyRequestIsSentExactlyAsBeforeImagePartsExisted() async throws {
        // The body of a text message is what the client sent before parts existed, so the answers
        // kept under its SHA-256 in an existing judge cache are still found.
        let server = try MockChatServer(responses: [(200, MockChatServer.completion("ok"))])
        let client = ChatCompletionClient(baseURL: server.baseURL, model: "m", maxTokens: 64)
        let messages: [ChatCompletionClient.Message] = [.init(role: "system", content: "Be brief / exact."), .init(role: "user", content: "x")]
        _ = try await client.complete(messages)
        let expected = #"{"max_tokens":64,"messages":[{"content":"Be brief \/ exact.","role":"system"},{"content":"x","role":"user"}],"model":"m","temperature":0}"#
        #expect(server.recorded.first?.body == expected)
        #expect(try client.cacheKey(messages) == JudgeAnswerCache.key(body: Data(expected.utf8)))
        #expect(messages[1].text == "x")
    }

    @Test func anotherImageIsAnotherCacheKeyAndIsNeverAnsweredFromTheCache() async throws {
        let path = Self.temporaryPath("image-cache")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let one = JudgeImage(bytes: Self.fakePNG(1), mediaType: .png, source: "a.png")
        let two = JudgeImage(bytes: Self.fakePNG(2), mediaType: .png, source: "b.png")
        let sameBytesElsewhere = JudgeImage(bytes: Self.fakePNG(1), mediaType: .png, source: "copy/a.png")
        let asJPEG = JudgeImage(bytes: Self.fakePNG(1), mediaType: .jpeg, source: "a.png")
        func ask(_ image: JudgeImage) -> [ChatCompletionClient.Message] { [.init(role: "user", parts: [.text("Same words."), .image(image)])] }
        let server = try MockChatServer(responses: [(200, MockChatServer.completion("about one")), (200, MockChatServer.completion("about two"))])
        let client = ChatCompletionClient(baseURL: server.baseURL, model: "m", cache: try JudgeAnswerCache(path: path))
        #expect(try client.cacheKey(ask(one)) != client.cacheKey(ask(two)))
        #expect(try client.cacheKey(ask(one)) != client.cacheKey(ask(asJPEG)))
        #expect(try client.cacheKey(ask(one)) == client.cacheKey(ask(sameBytesElsewhere)), "the path is not sent, only the bytes")
        #expect(try await client.complete(ask(one)) == "about one")
        #expect(try await client.complete(ask(two)) == "about two")
        #expect(try await client.complete(ask(sameBytesElsewhere)) == "about one")
        #expect(server.recorded.count == 2, "the second image was sent, the same bytes again were not")
        #expect(one.sha256 != two.sha256)
    }
}

/// OPERA's GPT-4V-assisted comparison: the verbatim prompt, the request, the reply parsing.
@Suite("OPERA GPT-4V judge", .serialized)
struct OPERAGPT4VJudgeTests {
    static let rubricFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Data/rubrics/opera-gpt4v")

    static func dataFile() throws -> String {
        try String(contentsOf: rubricFolder.appendingPathComponent("GPT_JUDGE_PROMPT.txt"), encoding: .utf8)
    }

    @Test func thePromptIsTheDataFileWithTheTwoAnswersInPlace() throws {
        let file = try Self.dataFile()
        #expect(OPERAGPT4VJudge.template == file, "the Swift copy differs from Data/rubrics/opera-gpt4v/GPT_JUDGE_PROMPT.txt")
        #expect(file.components(separatedBy: "{}").count == 3 && file.filter { $0 == "{" || $0 == "}" }.count == 4,
                "the template has exactly two fields and no other braces")
        let first = "A dog {on} a sofa."
        let second = "Two cats; {} braces stay."
        let expected = file.replacingOccurrences(of: "[Assistant 1]\n{}\n", with: "[Assistant 1]\n\(first)\n")
            .replacingOccurrences(of: "[Assistant 2]\n{}\n", with: "[Assistant 2]\n\(second)\n")
        #expect(OPERAGPT4VJudge.prompt(assistant1: first, assistant2: second) == expected)
        #expect(expected.hasPrefix("\nYou are required to score") && expected.hasSuffix("Reason: \n"))
    }

    @Test func theProvenanceNoteNamesTheRepositoryCommitPathAndLicence() throws {
        let note = try String(contentsOf: Self.rubricFolder.appendingPathComponent("PROVENANCE.md"), encoding: .utf8)
        for needle in ["github.com/shikiw/OPERA", "61426efe4e2e53207f32d9112a86ba5f8364d1d9", "gpt4v_eval.py", "MIT"] {
            #expect(note.contains(needle), "PROVENANCE.md does not say \(needle)")
        }
        let licence = try String(contentsOf: Self.rubricFolder.appendingPathComponent("LICENSE"), encoding: .utf8)
        #expect(licence.hasPrefix("MIT License"))
    }

    @Test func theJudgeSendsThePromptThenTheImageAndReadsTheScores() async throws {
        let reply = "Accuracy: 6 8\nReason: Assistant 1 adds a cat.\n\nDetailedness: 7 7\nReason: Both are detailed."
        let server = try MockChatServer(responses: [(200, MockChatServer.completion(reply))])
        let image = JudgeImage(bytes: ImageJudgeTests.fakePNG(3), mediaType: .jpeg, source: "COCO_val2014_000000000042.jpg")
        let judge = OPERAGPT4VJudge(client: ChatCompletionClient(baseURL: server.baseURL, model: "gpt-4-vision-preview", maxTokens: 300))
        let scores = try await judge.judge(image: image, assistant1: "A dog and a cat.", assistant2: "A dog.")
        #expect(scores == OPERAGPT4VScores(accuracy1: 6, accuracy2: 8, detailedness1: 7, detailedness2: 7))
        let body = try #require(server.recorded.first?.body)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(object["max_tokens"] as? Int == 300)
        let parts = try #require(((object["messages"] as? [[String: Any]])?.first?["content"]) as? [[String: Any]])
        #expect(parts.map { $0["type"] as? String } == ["text", "image_url"])
        #expect(parts[0]["text"] as? String == OPERAGPT4VJudge.prompt(assistant1: "A dog and a cat.", assistant2: "A dog."))
        #expect(((parts[1]["image_url"] as? [String: Any])?["url"] as? String)?.hasPrefix("data:image/jpeg;base64,") == true)
    }

    @Test func repliesAreReadAsGPT4VEvalReadsThem() throws {
        // Windows line ends: Python's split("\n") leaves "\r", which int() strips.
        #expect(try OPERAGPT4VScores.parse("Accuracy: 9 4\r\nReason: x\r\nDetailedness: 8 5\r\n") ==
                OPERAGPT4VScores(accuracy1: 9, accuracy2: 4, detailedness1: 8, detailedness2: 5))
        // The last "Accuracy: " counts (split(...)[-1]).
        #expect(try OPERAGPT4VScores.parse("Accuracy: <Scores of the two answers>\nAccuracy: 3 5\nDetailedness: 2 6").accuracy == [3, 5])
        // What Python's int() accepts: a sign, underscores between digits, other decimal digits.
        #expect(try OPERAGPT4VScores.parse("Accuracy: +7 1_0\nDetailedness: \u{0668} 07").accuracy == [7, 10])
        #expect(try OPERAGPT4VScores.parse("Accuracy: +7 1_0\nDetailedness: \u{0668} 07").detailedness == [8, 7])
        // No range check in the reference: counted, and flagged.
        let outside = try OPERAGPT4VScores.parse("Accuracy: 0 11\nDetailedness: 5 5")
        #expect(outside.accuracy == [0, 11] && outside.outsideScale)
        #expect(!(try OPERAGPT4VScores.parse("Accuracy: 1 10\nDetailedness: 10 1")).outsideScale)
        // Without the labels the reference reads the first line for both criteria.
        #expect(try OPERAGPT4VScores.parse("8 6\nfine") == OPERAGPT4VScores(accuracy1: 8, accuracy2: 6, detailedness1: 8, detailedness2: 6))
    }

    @Test(arguments: [
        ("Accuracy: 8  6\nDetailedness: 7 7", "3 value(s) on its Accuracy line"),          // two spaces: three values
        ("Accuracy: 8 6 \nDetailedness: 7 7", "3 value(s) on its Accuracy line"),          // trailing space
        ("Accuracy: 8, 6\nDetailedness: 7 7", "not integers"),                            // OPERA's int() raises
        ("Accuracy: 8/10 6/10\nDetailedness: 7 7", "not integers"),
        ("Accuracy: 8 6\nDetailedness: 7.5 7", "Detailedness values '7.5' '7'"),
        ("Accuracy: 8 6", "3 value(s) on its Detailedness line"),                        // no Detailedness: the whole first line
        ("I cannot see the image.", "5 value(s) on its Accuracy line"),
        ("", "1 value(s) on its Accuracy line"),
        ("Accuracy: 1__0 5\nDetailedness: 1 1", "not integers"),
        ("Accuracy: 99999999999999999999 5\nDetailedness: 1 1", "not integers"),
    ])
    func malformedRepliesAreTypedErrorsSayingWhy(reply: String, reason: String) {
        #expect {
            _ = try OPERAGPT4VScores.parse(reply)
        } throws: { error in
            guard case JudgeError.unparsableVerdict(let said, let text)? = error as? JudgeError else { return false }
            return said.contains(reason) && text == reply
        }
    }
}
