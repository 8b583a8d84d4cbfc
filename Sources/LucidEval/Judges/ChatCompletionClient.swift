import AsyncHTTPClient
import Foundation
import LucidText
import NIOCore
import NIOHTTP1
import LucidRuns

/// A client for an OpenAI-compatible `/chat/completions` endpoint (OpenAI, vLLM, llama.cpp server,
/// `lucid serve`, …), on swift-server's AsyncHTTPClient.
///
/// Used only when the user asks for a judge: nothing in Lucid contacts the network otherwise.
/// Requests are deterministic (temperature 0 by default); 429 and 5xx answers are retried with
/// exponential back-off. Every failure is a `JudgeError` naming the URL and what went wrong: nothing
/// listening (connection refused, reported at once, not retried), no answer within `timeout`, a
/// non-2xx status (with the server's error message), or a body that is not a chat completion.
public final class ChatCompletionClient: Sendable {
    /// One message of a chat request: text, or a list of OpenAI content parts (text and images).
    ///
    /// A text message is sent as `{"content": "…", "role": …}`, exactly as before parts existed, so
    /// answers kept in a `JudgeAnswerCache` for text-only requests stay valid.
    public struct Message: Encodable, Sendable, Equatable {
        public var role: String
        public var content: Content

        /// A text message.
        public init(role: String, content: String) {
            self.role = role
            self.content = .text(content)
        }

        /// A message of content parts, sent in the order given.
        public init(role: String, parts: [Part]) {
            self.role = role
            self.content = .parts(parts)
        }

        /// What a message says.
        public enum Content: Sendable, Equatable {
            /// A plain string (`"content": "…"`).
            case text(String)
            /// OpenAI content parts (`"content": [{"type": "text", …}, {"type": "image_url", …}]`).
            case parts([Part])
        }

        /// One OpenAI content part.
        public enum Part: Sendable, Equatable {
            /// `{"type": "text", "text": …}`
            case text(String)
            /// `{"type": "image_url", "image_url": {"url": "data:image/…;base64,…"}}`
            case image(JudgeImage)
        }

        /// The text of a text message (nil for a message of parts).
        public var text: String? {
            if case .text(let text) = content { return text }
            return nil
        }

        enum CodingKeys: String, CodingKey { case role, content }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(role, forKey: .role)
            switch content {
            case .text(let text): try container.encode(text, forKey: .content)
            case .parts(let parts): try container.encode(parts.map(EncodedPart.init), forKey: .content)
            }
        }

        /// A part as the wire format spells it.
        struct EncodedPart: Encodable {
            struct ImageURL: Encodable { var url: String }
            var type: String
            var text: String?
            var image_url: ImageURL?
            init(_ part: Part) {
                switch part {
                case .text(let text): (type, self.text, image_url) = ("text", text, nil)
                case .image(let image): (type, text, image_url) = ("image_url", nil, ImageURL(url: image.dataURL))
                }
            }
        }
    }

    public let baseURL: URL
    public let model: String
    let apiKey: String?
    public let temperature: Double
    public let maxTokens: Int
    /// Seconds for one attempt, connection to last byte.
    public let timeout: TimeInterval
    public let maxRetries: Int
    /// Where answers are kept between runs (nil: every request is sent).
    public let cache: JudgeAnswerCache?

    /// Answers larger than this are refused (a chat completion is a few kilobytes).
    static let maxAnswerBytes = 8 << 20

    /// One HTTP client for the process (connections are pooled); never shut down, so it lives as long
    /// as the process. A refused connection fails at once instead of being retried until the deadline.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(10)))
        configuration.connectionPool.retryConnectionEstablishment = false
        // As many connections to one judge as requests a judge may have in flight (`JudgeSpec.concurrencyRange`; the default is 8).
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = JudgeSpec.concurrencyRange.upperBound
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// - Parameters:
    ///   - baseURL: e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8000/v1`.
    ///   - apiKey: sent as a bearer token when given (read it from the environment, never a file in the repo).
    ///   - cache: answers kept on disk; a request it has an answer for is not sent again.
    public init(baseURL: URL, model: String, apiKey: String? = nil, temperature: Double = 0, maxTokens: Int = 1024,
                timeout: TimeInterval = 120, maxRetries: Int = 3, cache: JudgeAnswerCache? = nil) {
        self.cache = cache
        self.baseURL = baseURL
        self.model = model
        self.apiKey = apiKey
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.timeout = timeout
        self.maxRetries = maxRetries
    }

    struct Request: Encodable {
        var model: String
        var messages: [Message]
        var temperature: Double
        var max_tokens: Int
    }

    struct Response: Decodable {
        struct Choice: Decodable {
            struct Content: Decodable { var content: String? }
            var message: Content
        }
        var choices: [Choice]
    }

    /// An OpenAI error body, `{"error": {"message": …}}`.
    struct ErrorBody: Decodable {
        struct Detail: Decodable { var message: String? }
        var error: Detail
    }

    /// The request body for `messages`: JSON with sorted keys, the same bytes every run (the cache key
    /// is its SHA-256; an image part carries the image's bytes as base64, so another image is another key).
    func requestBody(_ messages: [Message]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(Request(model: model, messages: messages, temperature: temperature, max_tokens: maxTokens))
    }

    /// A request encoded once: its body and its `JudgeAnswerCache` key (an image is base64-encoded
    /// once, for the key and the request both).
    public struct PreparedRequest: Sendable {
        public let body: Data
        public let key: String
    }

    /// Encodes the request for `messages`.
    public func prepare(_ messages: [Message]) throws(JudgeError) -> PreparedRequest {
        let body: Data
        do { body = try requestBody(messages) } catch {
            throw .malformedResponse(url: chatCompletionsURL, reason: "cannot encode the request: \(error)")
        }
        return PreparedRequest(body: body, key: JudgeAnswerCache.key(body: body))
    }

    /// The `JudgeAnswerCache` key of a request for `messages`.
    public func cacheKey(_ messages: [Message]) throws(JudgeError) -> String { try prepare(messages).key }

    /// What a judge's reply is parsed from: the text after the first `</think>` where the reply holds one
    /// (a reasoning model whose endpoint does not split its reasoning out: a server without a reasoning
    /// parser, or `lucid serve --reasoning keep`; vLLM's `deepseek_r1` rule, `ReasoningSplitter`); nothing
    /// where it opens `<think>` and never closes it (cut off while thinking: no verdict, rather than its
    /// drafts read as one); else the whole reply. The cache keeps the reply as it came.
    static func answer(of reply: String) -> String {
        if reply.contains("</think>") || reply.drop(while: \.isWhitespace).hasPrefix("<think>") { return ReasoningSplitter.split(reply).answer }
        return reply
    }

    var chatCompletionsURL: String { baseURL.appendingPathComponent("chat/completions").absoluteString }

    /// Sends `messages` and returns the first choice's text.
    public func complete(_ messages: [Message]) async throws(JudgeError) -> String {
        try await complete(try prepare(messages))
    }

    /// Sends a prepared request (or answers it from the cache) and returns the first choice's text: its
    /// answer, when a reasoning judge's endpoint left the reasoning in it (`answer(of:)`).
    public func complete(_ request: PreparedRequest) async throws(JudgeError) -> String {
        let url = chatCompletionsURL
        let (body, key) = (request.body, request.key)
        if let cached = cache?.answer(for: key) { return Self.answer(of: cached) }
        var attempt = 0
        while true {
            let (data, status) = try await send(url: url, body: body)
            if (200...299).contains(status) {
                let decoded: Response
                do { decoded = try JSONDecoder().decode(Response.self, from: data) } catch {
                    throw .malformedResponse(url: url, reason: "the answer (HTTP \(status)) is not a chat completion: \(Self.excerpt(data))")
                }
                guard let text = decoded.choices.first?.message.content else {
                    throw .malformedResponse(url: url, reason: "the answer has no choices[0].message.content: \(Self.excerpt(data))")
                }
                do { try cache?.record(text, for: key) } catch { throw .cacheFailed(error.description) }
                return Self.answer(of: text)
            }
            let retryable = status == 429 || (500...599).contains(status)
            if !retryable || attempt >= maxRetries {
                let message = (try? JSONDecoder().decode(ErrorBody.self, from: data))?.error.message
                throw .httpStatus(url: url, status: status, body: message ?? Self.excerpt(data))
            }
            attempt += 1
            try? await Task.sleep(nanoseconds: UInt64(0.25 * pow(2, Double(attempt - 1)) * 1e9))
        }
    }

    private func send(url: String, body: Data) async throws(JudgeError) -> (Data, Int) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        request.body = .bytes(ByteBuffer(bytes: body))
        let deadline = TimeAmount.milliseconds(Int64(max(0.001, min(timeout, 86_400)) * 1000))
        do {
            let response = try await Self.http.execute(request, timeout: deadline)
            let bytes = try await response.body.collect(upTo: Self.maxAnswerBytes)
            return (Data(bytes.readableBytesView), Int(response.status.code))
        } catch {
            throw .network(url: url, reason: Self.reason(error, timeout: timeout))
        }
    }

    /// A sentence for a transport failure.
    static func reason(_ error: any Error, timeout: TimeInterval) -> String {
        if let client = error as? HTTPClientError {
            switch client {
            case .deadlineExceeded, .readTimeout, .writeTimeout: return "no complete answer within \(timeout) s"
            case .connectTimeout: return "the connection was not established within 10 s"
            case .remoteConnectionClosed: return "the server closed the connection before answering"
            case .invalidURL, .emptyHost, .emptyScheme: return "not a usable http(s) URL"
            default: break
            }
        }
        if error is NIOTooManyBytesError { return "the answer is over \(maxAnswerBytes) bytes" }
        let text = String(describing: error)
        if text.contains("refused") || text.contains("ECONNREFUSED") { return "connection refused: nothing listens there (is the server running?)" }
        return text
    }

    static func excerpt(_ data: Data) -> String {
        let text = String(decoding: data.prefix(300), as: UTF8.self)
        return text.isEmpty ? "(empty body)" : text
    }
}

/// A judge request or answer that failed.
public enum JudgeError: Error, CustomStringConvertible, Equatable {
    case network(url: String, reason: String)
    case httpStatus(url: String, status: Int, body: String)
    case malformedResponse(url: String, reason: String)
    case unparsableVerdict(reason: String, text: String)
    /// The answer came but could not be kept in the judge cache (the message names the file).
    case cacheFailed(String)

    public var description: String {
        switch self {
        case .network(let url, let reason): return "\(url): request failed: \(reason)"
        case .httpStatus(let url, let status, let body): return "\(url): HTTP \(status): \(body)"
        case .malformedResponse(let url, let reason): return "\(url): \(reason)"
        case .unparsableVerdict(let reason, let text): return "judge answer \(reason): \(text.prefix(200))"
        case .cacheFailed(let message): return message
        }
    }
}
