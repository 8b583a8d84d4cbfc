import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import LucidRuns
import LucidVision

/// `lucid serve`: an OpenAI-compatible HTTP server over one opened model (docs/serve.md).
///
/// Routes: `POST /v1/chat/completions` and `POST /v1/completions` (JSON or, with `stream: true`,
/// server-sent events), `GET /v1/models`, `GET /health`, `GET /metrics`, and vLLM's tokenizer routes
/// (`TokenizerRoutes`). Every body is parsed and validated into a `ChatRequest` or `CompletionRequest`,
/// its images decoded (pixel limit checked from the header) and its prompt encoded on the tokenizer line
/// (`TokenizerLine`) before the request is queued on the `ModelWorker`, the model's thread;
/// errors are OpenAI-style JSON objects with 4xx/5xx codes.
public struct ChatServer: Sendable {
    public let options: ServerOptions
    public let worker: ModelWorker
    let images: ImageSource
    /// Where `/tokenize`, `/detokenize` and every completion's prompt wait to be tokenized (off the HTTP threads and
    /// the model's, admitted; one line for short texts, one for large ones), and where large bodies are parsed.
    let tokenizer: TokenizerLine
    /// How much of a body over the size limit is read and dropped before the connection is closed instead.
    let drainBytes: Int

    public init(options: ServerOptions, worker: ModelWorker) throws(ServerSetupError) {
        try self.init(options: options, worker: worker, tokenizerQueue: DispatchQueue(label: "lucid.tokenizer", qos: .userInitiated))
    }

    /// With the tokenizer line's queue for short texts given (tests hold it), and its queues for large texts and large
    /// bodies' parsing (new ones unless given) and their threshold, and the drain bound of bodies over the limit.
    init(options: ServerOptions, worker: ModelWorker, tokenizerQueue: DispatchQueue,
         bulkQueue: DispatchQueue = DispatchQueue(label: "lucid.tokenizer.bulk", qos: .userInitiated),
         parseQueue: DispatchQueue = DispatchQueue(label: "lucid.parse", qos: .userInitiated),
         bulkBytes: Int = TokenizerLine.defaultBulkBytes, drainBytes: Int = RequestBodyReader.defaultDrainBytes) throws(ServerSetupError) {
        try options.limits.validate()
        self.options = options
        self.worker = worker
        self.drainBytes = drainBytes
        tokenizer = TokenizerLine(queue: tokenizerQueue, bulkQueue: bulkQueue, parseQueue: parseQueue, bulkBytes: bulkBytes,
                                  limits: options.limits, metrics: worker.metrics)
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
            await respond(to: request, context: context) { json, _ in try await chatCompletion(json, context: context) }
        }
        router.post("/v1/completions") { request, context -> Response in
            await respond(to: request, context: context) { json, _ in try await textCompletion(json, context: context) }
        }
        router.get("/tokenizer_info") { request, _ -> Response in
            if let denied = authorize(request) { return counted(denied) }
            return counted(Self.json(.ok, TokenizerRoutes.info(worker)))
        }
        router.post("/tokenize") { request, context -> Response in
            await respond(to: request, context: context) { json, bodyBytes in
                try check(modelIn: json)
                let (worker, limits) = (worker, options.limits)
                let tokenized = try await tokenizer.run(textBytes: bodyBytes, onClose: context.onClose) { () throws(APIError) in
                    try TokenizerRoutes.tokenize(json, worker: worker, limits: limits)
                }
                // Image parts: decoded here (as a chat's are), measured by the model on its thread.
                let decoded = try tokenized.images.map { (image) throws(APIError) -> RGBImage in try images.decode(image) }
                let ids = try await worker.expandedPrompt(ids: tokenized.ids, images: decoded, onClose: context.onClose)
                return Self.json(.ok, TokenizerRoutes.answer(ids, tokenStrings: tokenized.tokenStrings, worker: worker))
            }
        }
        router.post("/detokenize") { request, context -> Response in
            await respond(to: request, context: context) { json, bodyBytes in
                try check(modelIn: json)
                let worker = worker
                return Self.json(.ok, try await tokenizer.run(textBytes: bodyBytes, onClose: context.onClose) { () throws(APIError) in
                    try TokenizerRoutes.detokenize(json, worker: worker)
                })
            }
        }
        return router
    }

    /// An `Application` serving `router()` on `host:port`, with the worker as a service (drained after
    /// the HTTP server on graceful shutdown).
    public func application(host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        Application(router: router(), server: httpServer,
                    configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "lucid"),
                    services: [worker], logger: logger)
    }

    /// HTTP/1.1 with a `HangUpWatcher` in each connection's pipeline (a client that hangs up cancels
    /// its generations; see `ServeRequestContext`), the limits' read timeout (`RequestReadClock`) and idle timeout.
    public var httpServer: HTTPServerBuilder {
        let (readLimit, metrics) = (TimeAmount.nanoseconds(Int64(options.limits.readTimeoutSeconds * 1e9)), metrics)
        return .http1(configuration: HTTP1Channel.Configuration(
            additionalChannelHandlers: [HangUpWatcher(), RequestReadClock.PartsSide(limit: readLimit) { metrics.readTimeouts.increment() }],
            idleTimeout: .nanoseconds(Int64(options.limits.idleTimeoutSeconds * 1e9))))
    }

    // MARK: handlers

    /// Authorizes `request`, reads its JSON body and answers it with `handler` (given the body and its size in
    /// bytes); every failure becomes an OpenAI-style error, and every answer is counted.
    private func respond(to request: Request, context: ServeRequestContext,
                         _ handler: (JSONValue, Int) async throws -> Response) async -> Response {
        if let denied = authorize(request) { return counted(denied) }
        do {
            let (json, bytes) = try await body(of: request, context: context)
            return counted(try await handler(json, bytes))
        } catch let error as APIError {
            return counted(error.response)
        } catch is CancellationError {
            return counted(Self.clientClosedRequest.response)  // nobody reads it: counted for /metrics
        } catch {
            return counted(APIError(.internalServerError, "\(error)", type: "server_error").response)
        }
    }

    /// The request's body as JSON, read up to the server's limit, and its size. A body over the tokenizer line's
    /// `bulkBytes` is parsed on its parse queue, admitted there (15 MB take about 0.3 s, which would hold one of the
    /// HTTP handlers' threads, one per core); a smaller one here. A body over the limit is read to its end and
    /// dropped before the 413, up to `drainBytes` more (`RequestBodyReader`); past that the connection is closed.
    private func body(of request: Request, context: ServeRequestContext) async throws -> (JSONValue, Int) {
        let limit = options.limits.maxBodyBytes
        let outcome: RequestBodyReader.Outcome
        do {
            outcome = try await RequestBodyReader.read(request.body, limit: limit, drainBytes: drainBytes)
        } catch {
            throw CancellationError()  // the connection failed while the body came in: nobody to answer
        }
        let buffer: ByteBuffer
        switch outcome {
        case .body(let body): buffer = body
        case .tooLarge(let drained):
            if !drained { context.closeConnection() }
            throw APIError(.contentTooLarge, "the request body is over the server's limit of \(limit) bytes", code: "body_too_large")
        }
        let parse: @Sendable () throws(APIError) -> JSONValue = { () throws(APIError) -> JSONValue in
            do {
                return try JSONValue.parse(utf8: buffer.readableBytesView)
            } catch {
                throw APIError.invalid("the body is not valid JSON: \(error)", code: "invalid_json")
            }
        }
        let bytes = buffer.readableBytes
        guard bytes > tokenizer.bulkBytes else { return (try parse(), bytes) }
        return (try await tokenizer.parse(onClose: context.onClose, parse), bytes)
    }

    /// 404 unless `model` is absent or the one served.
    private func check(model: String?) throws(APIError) {
        if let model, model != options.modelID {
            throw APIError(.notFound, "the model '\(model)' does not exist here: this server serves '\(options.modelID)'", param: "model", code: "model_not_found")
        }
    }

    /// `check(model:)` of a body's optional `model` field (the tokenizer routes, which parse nothing else here).
    private func check(modelIn json: JSONValue) throws(APIError) {
        try check(model: json.objectValue.flatMap { (body) throws(APIError) -> String? in try RequestFields.optionalString(body, "model") })
    }

    private func chatCompletion(_ json: JSONValue, context: ServeRequestContext) async throws -> Response {
        let chat = try ChatRequest(json: json, limits: options.limits)
        try check(model: chat.model)
        // The prompt first: a text over the limit is refused before any image is decoded, and no decoded image waits
        // on the tokenizer line.
        let worker = worker
        let textBytes = chat.turns.reduce(0) { $0 + $1.text.utf8.count }
        let prompt = try await tokenizer.run(textBytes: textBytes, onClose: context.onClose) { () throws(APIError) in
            try worker.encodePrompt(.chat(chat))
        }
        var decoded: [RGBImage] = []
        for turn in chat.turns {
            for image in turn.imageURLs { decoded.append(try images.decode(image)) }
        }
        let jobs = (0..<chat.settings.choices).map {
            GenerationJob(chat: chat, prompt: prompt, images: decoded, choice: $0, timeoutSeconds: options.limits.requestTimeoutSeconds)
        }
        let format = ChatFormat(header: ResponseHeader(prefix: "chatcmpl-", model: options.modelID))
        return try await answer(jobs, settings: chat.settings, format: format, context: context)
    }

    /// `POST /v1/completions`: each prompt's choices, in order (choice index prompt × n + choice).
    private func textCompletion(_ json: JSONValue, context: ServeRequestContext) async throws -> Response {
        let completion = try CompletionRequest(json: json, limits: options.limits)
        try check(model: completion.model)
        let n = completion.settings.choices
        let inputs = completion.prompts.map { JobInput.completion($0, echo: completion.echo) }
        let worker = worker
        let textBytes = completion.prompts.reduce(0) { total, prompt in
            switch prompt {
            case .text(let text): total + text.utf8.count
            case .tokens(let ids): total + ids.count  // only decoded for `echo`, on the worker
            }
        }
        let encoded = try await tokenizer.run(textBytes: textBytes, onClose: context.onClose) { () throws(APIError) in
            try inputs.map { (input) throws(APIError) in try worker.encodePrompt(input) }
        }
        var jobs: [GenerationJob] = []
        for (index, (input, prompt)) in zip(inputs, encoded).enumerated() {
            for choice in 0..<n {
                jobs.append(GenerationJob(input: input, prompt: prompt, settings: completion.settings, images: [], choice: choice,
                                          index: index * n + choice, timeoutSeconds: options.limits.requestTimeoutSeconds))
            }
        }
        let format = CompletionFormat(header: ResponseHeader(prefix: "cmpl-", model: options.modelID), choicesPerPrompt: n, echo: completion.echo)
        return try await answer(jobs, settings: completion.settings, format: format, context: context)
    }

    /// Queues `jobs` and answers them whole or streamed.
    private func answer(_ jobs: [GenerationJob], settings: GenerationSettings, format: some ResponseFormat,
                        context: ServeRequestContext) async throws -> Response {
        try worker.submit(jobs)
        // A client that closes its connection cancels its generations (Hummingbird does not cancel the
        // handler): a queued job is dropped unstarted, a running row leaves the batch at its next step.
        let cancellers = jobs.map(\.canceller)
        context.onClose { cancellers.forEach { $0() } }
        return settings.stream ? stream(jobs, includeUsage: settings.includeUsage, format: format) : try await collect(jobs, format: format)
    }

    /// Waits for every choice; a cancelled handler cancels the generations (a closed connection does
    /// too, through `ServeRequestContext.onClose`).
    private func collect(_ jobs: [GenerationJob], format: some ResponseFormat) async throws -> Response {
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
                if jobs.contains(where: \.isCancelled) { throw Self.clientClosedRequest }  // dropped unstarted: the client went away
                throw APIError(.internalServerError, "a generation ended without a result", type: "server_error")
            }
            return outcomes
        } onCancel: {
            jobs.forEach { $0.cancel() }
        }
        return Self.json(.ok, format.response(outcomes))
    }

    /// Server-sent events in OpenAI's chunk format, ending with `data: [DONE]`; a failed write (the
    /// client went away) cancels the generations, which frees their slots at the next step.
    private func stream(_ jobs: [GenerationJob], includeUsage: Bool, format: some ResponseFormat) -> Response {
        let body = ResponseBody { writer in
            func send(_ chunk: JSONValue) async throws { try await writer.write(ByteBuffer(string: ChatResponses.event(chunk))) }
            var format = format
            do {
                var outcomes: [JobOutcome] = []
                for job in jobs {
                    let index = job.index
                    if let opening = format.opening(index: index) { try await send(opening) }
                    events: for await event in job.events {
                        switch event {
                        case .delta(let text, let logprobs): try await send(format.delta(text, logprobs: logprobs, index: index))
                        case .reasoning(let text, let logprobs): try await send(format.reasoning(text, logprobs: logprobs, index: index))
                        case .finished(let outcome):
                            outcomes.append(outcome)
                            try await send(format.end(outcome, index: index))
                        case .failed(let error):
                            try await send(error.json)
                            jobs.forEach { $0.cancel() }
                            break events
                        }
                    }
                }
                if includeUsage && outcomes.count == jobs.count { try await send(format.usageChunk(outcomes)) }
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

    /// What a request whose client went away before its answer is counted as (nginx's 499, Client Closed Request).
    static let clientClosedRequest = APIError(HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request"),
                                              "the client closed the connection before the answer", type: "client_closed_request")

    private func counted(_ response: Response) -> Response {
        metrics.countRequest(status: Int(response.status.code))
        return response
    }

    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: (try? value.canonicalText()) ?? "{}")))
    }
}
