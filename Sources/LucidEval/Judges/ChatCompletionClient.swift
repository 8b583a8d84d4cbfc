import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A client for an OpenAI-compatible `/chat/completions` endpoint (OpenAI, vLLM, llama.cpp server, …).
///
/// Used only when the user asks for a judge: nothing in Lucid contacts the network otherwise.
/// Requests are deterministic (temperature 0 by default); 429 and 5xx responses are retried with
/// exponential back-off.
public final class ChatCompletionClient: Sendable {
    /// One message of a chat request.
    public struct Message: Codable, Sendable, Equatable {
        public var role: String
        public var content: String
        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }
    }

    public let baseURL: URL
    public let model: String
    let apiKey: String?
    public let temperature: Double
    public let maxTokens: Int
    public let timeout: TimeInterval
    public let maxRetries: Int

    /// - Parameters:
    ///   - baseURL: e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8000/v1`.
    ///   - apiKey: sent as a bearer token when given (read it from the environment, never a file in the repo).
    public init(baseURL: URL, model: String, apiKey: String? = nil, temperature: Double = 0, maxTokens: Int = 1024,
                timeout: TimeInterval = 120, maxRetries: Int = 3) {
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

    /// Sends `messages` and returns the first choice's text.
    public func complete(_ messages: [Message]) async throws(JudgeError) -> String {
        let url = baseURL.appendingPathComponent("chat/completions")
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let apiKey { request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization") }
        do {
            request.httpBody = try JSONEncoder().encode(Request(model: model, messages: messages, temperature: temperature, max_tokens: maxTokens))
        } catch { throw .malformedResponse(url: url.absoluteString, reason: "cannot encode the request: \(error)") }
        var attempt = 0
        while true {
            let (data, status) = try await send(request)
            if status == 200 {
                guard let decoded = try? JSONDecoder().decode(Response.self, from: data), let text = decoded.choices.first?.message.content else {
                    throw .malformedResponse(url: url.absoluteString, reason: "no choices[0].message.content in \(String(decoding: data.prefix(300), as: UTF8.self))")
                }
                return text
            }
            let retryable = status == 429 || (500...599).contains(status)
            if !retryable || attempt >= maxRetries {
                throw .httpStatus(url: url.absoluteString, status: status, body: String(decoding: data.prefix(300), as: UTF8.self))
            }
            attempt += 1
            try? await Task.sleep(nanoseconds: UInt64(0.25 * pow(2, Double(attempt - 1)) * 1e9))
        }
    }

    private func send(_ request: URLRequest) async throws(JudgeError) -> (Data, Int) {
        let url = request.url?.absoluteString ?? "?"
        let result: Result<(Data, Int), JudgeError> = await withCheckedContinuation { continuation in
            let task = URLSession.shared.dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(returning: .failure(.network(url: url, reason: error.localizedDescription)))
                } else if let http = response as? HTTPURLResponse {
                    continuation.resume(returning: .success((data ?? Data(), http.statusCode)))
                } else {
                    continuation.resume(returning: .failure(.network(url: url, reason: "no HTTP response")))
                }
            }
            task.resume()
        }
        return try result.get()
    }
}

/// A judge request or answer that failed.
public enum JudgeError: Error, CustomStringConvertible, Equatable {
    case network(url: String, reason: String)
    case httpStatus(url: String, status: Int, body: String)
    case malformedResponse(url: String, reason: String)
    case unparsableVerdict(reason: String, text: String)

    public var description: String {
        switch self {
        case .network(let url, let reason): return "\(url): request failed: \(reason)"
        case .httpStatus(let url, let status, let body): return "\(url): HTTP \(status): \(body)"
        case .malformedResponse(let url, let reason): return "\(url): \(reason)"
        case .unparsableVerdict(let reason, let text): return "judge answer \(reason): \(text.prefix(200))"
        }
    }
}
