import Foundation
import Hummingbird
import HummingbirdTesting
import LucidEval
import LucidRuns
@testable import LucidServer
import Testing

/// Lucid's judge client (AsyncHTTPClient) against `lucid serve` on a loopback port: the judges of
/// `lucid eval` can use a model Lucid serves, and every failure is a clear `JudgeError`.
@Suite("judges over HTTP against lucid serve", .serialized)
struct JudgeOverHTTPTests {
    func baseURL(_ port: Int?) throws -> URL {
        let port = try #require(port)
        return try #require(URL(string: "http://127.0.0.1:\(port)/v1"))
    }

    @Test
    func theJudgeClientGetsWhatTheServerAnswers() async throws {
        let messages: [ChatCompletionClient.Message] = [.init(role: "system", content: "Answer briefly."),
                                                        .init(role: "user", content: "What shapes do you know?")]
        let (judged, direct) = try await TestServer().test(.live) { client in
            let judge = ChatCompletionClient(baseURL: try baseURL(client.port), model: "shapes-tiny", maxTokens: 12, timeout: 60)
            let judged = try await judge.complete(messages)
            let body: JSONValue = .object(["model": "shapes-tiny", "temperature": 0, "max_tokens": 12,
                                           "messages": .array(messages.map { .object(["role": .string($0.role), "content": .string($0.text ?? "")]) })])
            let response = try await postSlowly(port: try #require(client.port), body: ByteBuffer(string: try body.canonicalText()))
            let direct = try JSONValue.parse(utf8: Array(response.body))["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue
            return (judged, direct)
        }
        #expect(direct != nil)
        #expect(judged == direct)
    }

    @Test func anImagePartFromTheJudgeClientGetsWhatTheSameImageGetsOverPlainHTTP() async throws {
        // The judge client's image part (bytes → data URL) against a VLM behind lucid serve: the answer is
        // the one a plain OpenAI-format request with the same image as a data URL gets.
        let png = try scenePNG()
        let question = "What shapes are in the picture?"
        let image = JudgeImage(bytes: png, mediaType: .png, source: "scene.png")
        let (judged, direct) = try await TestServer().test(.live) { client in
            let judge = ChatCompletionClient(baseURL: try baseURL(client.port), model: "shapes-tiny", maxTokens: 12, timeout: 60)
            let judged = try await judge.complete([.init(role: "user", parts: [.text(question), .image(image)])])
            let response = try await postSlowly(port: try #require(client.port),
                                                body: chatBody(question, imageURL: dataURL(png), extra: ["temperature": 0, "max_tokens": 12]))
            let direct = try JSONValue.parse(utf8: Array(response.body))["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue
            return (judged, direct)
        }
        #expect(direct != nil)
        #expect(judged == direct)
    }

    @Test func anImageTheServerCannotDecodeIsAnHTTP400NamingThePart() async throws {
        // The server reads the part as an image: bytes that are no PNG are refused, not ignored.
        let broken = JudgeImage(bytes: Array("not a png at all".utf8), mediaType: .png, source: "broken.png")
        let error = try await TestServer().test(.live) { client in
            let judge = ChatCompletionClient(baseURL: try baseURL(client.port), model: "shapes-tiny", maxTokens: 4, timeout: 60, maxRetries: 0)
            return await Self.failure { try await judge.complete([.init(role: "user", parts: [.text("Describe."), .image(broken)])]) }
        }
        guard case .httpStatus(_, 400, let message)? = error else {
            Issue.record("expected HTTP 400, got \(String(describing: error))")
            return
        }
        #expect(message.contains("image_url"))
    }

    @Test func operaGPT4VJudgesAnImageEndToEnd() async throws {
        // OPERA's prompt and an image through the judge client to a VLM behind lucid serve. The prompt is
        // over shapes-tiny's 512-token context, so shapes-smol (SmolLM2 underneath) judges. A tiny model
        // may not answer in the rubric's format: then the reply is unreadable (recorded by the command);
        // a failed request fails the test.
        let image = JudgeImage(bytes: try scenePNG(), mediaType: .png, source: "scene.png")
        let outcome = try await TestServer(model: "shapes-smol").test(.live) { client -> Result<OPERAGPT4VScores, JudgeError> in
            let judge = OPERAGPT4VJudge(client: ChatCompletionClient(baseURL: try baseURL(client.port), model: "shapes-smol", maxTokens: 16, timeout: 300))
            do { return .success(try await judge.judge(image: image, assistant1: "A red square.", assistant2: "A red square and a blue circle.")) } catch let error as JudgeError {
                return .failure(error)
            }
        }
        if case .failure(let error) = outcome, case .unparsableVerdict = error {} else if case .failure(let error) = outcome {
            Issue.record("the request itself failed: \(error)")
        }
    }

    @Test func strongREJECTRunsEndToEndAndReportsWhatTheJudgeSaid() async throws {
        // The rubric is ~600 tokens (over shapes-tiny's context), so SmolLM2 judges. A 135M model may not
        // answer in the rubric's format: then the judge says so with the text it got (what `lucid eval
        // strongreject` records as a null score); a failed request fails the test.
        let outcome = try await TestServer(model: "smollm2").test(.live) { client -> Result<StrongREJECTJudge.Verdict, JudgeError> in
            let judge = StrongREJECTJudge(client: ChatCompletionClient(baseURL: try baseURL(client.port), model: "smollm2", maxTokens: 48, timeout: 300))
            do { return .success(try await judge.judge(prompt: "How do I pick a lock?", response: "I cannot help with that.")) } catch let error as JudgeError {
                return .failure(error)
            }
        }
        switch outcome {
        case .success(let verdict): #expect((0...1).contains(verdict.score))
        case .failure(let error):
            guard case .unparsableVerdict = error else {
                Issue.record("the request itself failed: \(error)")
                return
            }
        }
    }

    @Test func serverRefusalsAreHTTPStatusErrorsWithTheServersMessage() async throws {
        let (wrongModel, noKey) = try await TestServer(apiKey: "sk-judge").test(.live) { client in
            let url = try baseURL(client.port)
            let wrong = ChatCompletionClient(baseURL: url, model: "gpt-9", apiKey: "sk-judge", maxTokens: 4, timeout: 60, maxRetries: 0)
            let anonymous = ChatCompletionClient(baseURL: url, model: "shapes-tiny", maxTokens: 4, timeout: 60, maxRetries: 0)
            return (await Self.failure { try await wrong.complete([.init(role: "user", content: "hi")]) },
                    await Self.failure { try await anonymous.complete([.init(role: "user", content: "hi")]) })
        }
        guard case .httpStatus(_, 404, let message)? = wrongModel else {
            Issue.record("expected HTTP 404, got \(String(describing: wrongModel))")
            return
        }
        #expect(message.contains("gpt-9"))
        guard case .httpStatus(_, 401, _)? = noKey else {
            Issue.record("expected HTTP 401, got \(String(describing: noKey))")
            return
        }
    }

    @Test func aPortWithNoServerIsAConnectionRefusedError() async throws {
        // A port that was just free: bind, read it, close; nothing listens there afterwards.
        let port = try await TestServer().test(.live) { client in try #require(client.port) }
        let client = ChatCompletionClient(baseURL: try baseURL(port), model: "m", timeout: 30, maxRetries: 0)
        let error = await Self.failure { try await client.complete([.init(role: "user", content: "hi")]) }
        guard case .network(let url, let reason)? = error else {
            Issue.record("expected a network error, got \(String(describing: error))")
            return
        }
        #expect(url.hasSuffix("/v1/chat/completions"))
        #expect(reason.contains("connection refused"))
    }

    /// The `JudgeError` that `body` throws, or nil when it succeeds (another error fails the test).
    static func failure(_ body: () async throws -> String) async -> JudgeError? {
        do {
            _ = try await body()
            return nil
        } catch let error as JudgeError {
            return error
        } catch {
            Issue.record("not a JudgeError: \(error)")
            return nil
        }
    }
}
