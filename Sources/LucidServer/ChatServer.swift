import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import LucidRuns
import LucidVision

/// `lucid serve`: an OpenAI-compatible HTTP server over one opened model (docs/serve.md).
///
/// Routes: `POST /v1/chat/completions` (JSON or, with `stream: true`, server-sent events),
/// `GET /v1/models`, `GET /health`, `GET /metrics`. Every body is parsed and validated into a
/// `ChatRequest` and its images decoded (pixel limit checked from the header) before the request
/// is queued on the `ModelWorker`; errors are OpenAI-style JSON objects with 4xx/5xx codes.
public struct ChatServer: Sendable {
    public let options: ServerOptions
    public let worker: ModelWorker
    let images: ImageSource

    public init(options: ServerOptions, worker: ModelWorker) throws(ServerSetupError) {
        try options.limits.validate()
        self.options = options
        self.worker = worker
        images = try ImageSource(imageRoot: options.imageRoot, maxPixels: options.limits.maxImagePixels, maxFileBytes: options.limits.maxBodyBytes)
    }

    var metrics: ServerMetrics { worker.metrics }

    /// The router with every route (what tests drive in-process).
    public func router() -> Router<ServeRequestContext> {
        let router = Router(context: ServeRequestContext.self)
        router.get("/health") { _, _ -> Response in
            Self.json(.ok, .object(["status": "ok", "model": .string(options.modelID), "lucid": RunMetadata.currentLucid]))
        }
        router.get("/metrics") { request, _ -> Response in
            if let denied = authorize(request) { return denied }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        router.get("/v1/models") { request, _ -> Response in
            if let denied = authorize(request) { return counted(denied) }
            let model: JSONValue = .object(["id": .string(options.modelID), "object": "model", "created": 0, "owned_by": "lucid"])
            return counted(Self.json(.ok, .object(["object": "list", "data": .array([model])])))
        }
        router.post("/v1/chat/completions") { request, context -> Response in
            if let denied = authorize(request) { return counted(denied) }
            do {
                return counted(try await chatCompletion(request, context: context))
            } catch let error as APIError {
                return counted(error.response)
            } catch {
                return counted(APIError(.internalServerError, "\(error)", type: "server_error").response)
            }
        }
        return router
    }

    /// An `Application` serving `router()` on `host:port`, with the worker as a service (drained after
    /// the HTTP server on graceful shutdown).
    public func application(host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        Application(router: router(), server: Self.httpServer,
                    configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "lucid"),
                    services: [worker], logger: logger)
    }

    /// HTTP/1.1 with a `HangUpWatcher` in each connection's pipeline (a client that hangs up cancels
    /// its generations; see `ServeRequestContext`).
    public static var httpServer: HTTPServerBuilder {
        .http1(configuration: HTTP1Channel.Configuration(additionalChannelHandlers: [HangUpWatcher()]))
    }

    // MARK: handlers

    private func chatCompletion(_ request: Request, context: ServeRequestContext) async throws -> Response {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: options.limits.maxBodyBytes)
        } catch {
            throw APIError(.contentTooLarge, "the request body is over the server's limit of \(options.limits.maxBodyBytes) bytes", code: "body_too_large")
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(utf8: buffer.readableBytesView)
        } catch {
            throw APIError.invalid("the body is not valid JSON: \(error.description)", code: "invalid_json")
        }
        let chat = try ChatRequest(json: json, limits: options.limits)
        if let model = chat.model, model != options.modelID {
            throw APIError(.notFound, "the model '\(model)' does not exist here: this server serves '\(options.modelID)'", param: "model", code: "model_not_found")
        }
        var decoded: [RGBImage] = []
        for turn in chat.turns {
            for image in turn.imageURLs { decoded.append(try images.decode(image)) }
        }
        let jobs = (0..<chat.choices).map { GenerationJob(request: chat, images: decoded, choice: $0, timeoutSeconds: options.limits.requestTimeoutSeconds) }
        try worker.submit(jobs)
        // A client that closes its connection cancels its generations (Hummingbird does not cancel the
        // handler): a queued job is dropped unstarted, a running row leaves the batch at its next step.
        let cancellers = jobs.map(\.canceller)
        context.onClose { cancellers.forEach { $0() } }
        let id = "chatcmpl-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
        let created = Int(Date().timeIntervalSince1970)
        return chat.stream ? stream(jobs, chat: chat, id: String(id), created: created) : try await collect(jobs, id: String(id), created: created)
    }

    /// Waits for every choice; a cancelled handler cancels the generations (a closed connection does
    /// too, through `ServeRequestContext.onClose`).
    private func collect(_ jobs: [GenerationJob], id: String, created: Int) async throws -> Response {
        let outcomes = try await withTaskCancellationHandler {
            var outcomes: [JobOutcome] = []
            do {
                for job in jobs {
                    for await event in job.events {
                        switch event {
                        case .delta, .reasoning: continue
                        case .finished(let outcome): outcomes.append(outcome)
                        case .failed(let error): throw error
                        }
                    }
                }
            } catch {
                jobs.forEach { $0.cancel() }
                throw error
            }
            guard outcomes.count == jobs.count else {
                throw APIError(.internalServerError, "a generation ended without a result", type: "server_error")
            }
            return outcomes
        } onCancel: {
            jobs.forEach { $0.cancel() }
        }
        return Self.json(.ok, ChatResponses.completion(id: id, created: created, model: options.modelID, outcomes: outcomes))
    }

    /// Server-sent events in OpenAI's chunk format, ending with `data: [DONE]`; a failed write (the
    /// client went away) cancels the generations, which frees their slots at the next step.
    private func stream(_ jobs: [GenerationJob], chat: ChatRequest, id: String, created: Int) -> Response {
        let model = options.modelID
        let body = ResponseBody { writer in
            do {
                var outcomes: [JobOutcome] = []
                for job in jobs {
                    let index = job.choice
                    try await writer.write(ByteBuffer(string: ChatResponses.event(
                        ChatResponses.chunk(id: id, created: created, model: model, index: index, delta: .object(["role": "assistant", "content": ""])))))
                    events: for await event in job.events {
                        switch event {
                        case .delta(let text):
                            try await writer.write(ByteBuffer(string: ChatResponses.event(
                                ChatResponses.chunk(id: id, created: created, model: model, index: index, delta: .object(["content": .string(text)])))))
                        case .reasoning(let text):
                            try await writer.write(ByteBuffer(string: ChatResponses.event(
                                ChatResponses.chunk(id: id, created: created, model: model, index: index,
                                                    delta: .object(ChatResponses.reasoningFields(text))))))
                        case .finished(let outcome):
                            outcomes.append(outcome)
                            try await writer.write(ByteBuffer(string: ChatResponses.event(
                                ChatResponses.chunk(id: id, created: created, model: model, index: index, delta: .object([:]), outcome: outcome))))
                        case .failed(let error):
                            try await writer.write(ByteBuffer(string: ChatResponses.event(error.json)))
                            jobs.forEach { $0.cancel() }
                            break events
                        }
                    }
                }
                if chat.includeUsage && outcomes.count == jobs.count {
                    try await writer.write(ByteBuffer(string: ChatResponses.event(ChatResponses.usageChunk(id: id, created: created, model: model, outcomes: outcomes))))
                }
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                try await writer.finish(nil)
            } catch {
                jobs.forEach { $0.cancel() }
                throw error
            }
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    // MARK: helpers

    /// 401 unless the request carries the bearer key (when one is set); compared in constant time.
    private func authorize(_ request: Request) -> Response? {
        guard let key = options.apiKey else { return nil }
        let given = request.headers[.authorization] ?? ""
        let expected = "Bearer " + key
        var difference = given.utf8.count ^ expected.utf8.count
        for (a, b) in zip(given.utf8, expected.utf8) { difference |= Int(a ^ b) }
        guard difference != 0 else { return nil }
        var response = APIError(.unauthorized, "a valid API key is needed: send 'Authorization: Bearer KEY'", type: "authentication_error",
                                code: "invalid_api_key").response
        response.headers[.wwwAuthenticate] = "Bearer"
        return response
    }

    private func counted(_ response: Response) -> Response {
        metrics.countRequest(status: Int(response.status.code))
        return response
    }

    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: (try? value.canonicalText()) ?? "{}")))
    }
}
