import Foundation
import Hummingbird
import LucidRuns

/// An error answered in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}` with a 4xx/5xx status.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    /// OpenAI's error type: `invalid_request_error`, `authentication_error`, `rate_limit_error`, `server_error`, …
    public var type: String
    /// The request field at fault (`messages[0].content[1].image_url.url`), if one is.
    public var param: String?
    public var code: String?
    /// Seconds for a Retry-After header (429, 503).
    public var retryAfter: Int?

    public init(_ status: HTTPResponse.Status, _ message: String, type: String = "invalid_request_error", param: String? = nil,
                code: String? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.retryAfter = retryAfter
    }

    public var description: String { "\(status.code) \(type): \(message)" }

    /// A 400 naming the field at fault.
    static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(.badRequest, message, param: param, code: code)
    }

    /// The error object as JSON.
    var json: JSONValue {
        .object(["error": .object([
            "message": .string(message), "type": .string(type),
            "param": param.map(JSONValue.string) ?? .null, "code": code.map(JSONValue.string) ?? .null,
        ])])
    }

    /// The HTTP response carrying it.
    var response: Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: (try? json.canonicalText()) ?? "{}")))
    }
}
