import Foundation
import Hummingbird
import HummingbirdTesting
import LucidGeneration
import LucidPipeline
import LucidRuns
@testable import LucidServer
import LucidTestSupport
import LucidText
import LucidVision

/// The bundled `shapes-tiny` organism (a self-contained LLaVA with its own tokenizer) behind a server.
struct TestServer {
    let server: ChatServer
    let opened: OpenedModel

    init(model: String = "shapes-tiny", limits: ServerLimits = TestServer.limits, apiKey: String? = nil, imageRoot: String? = nil,
         template: ChatTemplate? = nil, reasoning: ReasoningMode = .split, logprobsMode: LogprobsMode = .raw,
         tokenizerQueue: DispatchQueue? = nil, bulk: (queue: DispatchQueue, parse: DispatchQueue, bytes: Int)? = nil,
         drainBytes: Int = RequestBodyReader.defaultDrainBytes, prepare: (OpenedModel) -> Void = { _ in }) throws {
        opened = try ModelRegistry.standard.open(model)
        prepare(opened)
        let tokenizer = try ModelRegistry.standard.tokenizer(for: model)
        let worker = ModelWorker(opened: opened, tokenizer: tokenizer, limits: limits, metrics: ServerMetrics(), template: template,
                                 reasoning: reasoning, logprobsMode: logprobsMode)
        let options = ServerOptions(modelID: model, apiKey: apiKey, imageRoot: imageRoot, limits: limits)
        server = try ChatServer(options: options, worker: worker, tokenizerQueue: tokenizerQueue ?? DispatchQueue(label: "lucid.test.tokenizer"),
                                bulkQueue: bulk?.queue ?? DispatchQueue(label: "lucid.test.tokenizer.bulk"),
                                parseQueue: bulk?.parse ?? DispatchQueue(label: "lucid.test.parse"),
                                bulkBytes: bulk?.bytes ?? TokenizerLine.defaultBulkBytes, drainBytes: drainBytes)
    }

    /// A server whose tokenizer line is held (its serial queue suspended until the caller resumes it), the queue,
    /// and the server's line and worker.
    static func heldTokenizer(model: String = "shapes-tiny", limits: ServerLimits = TestServer.limits) throws
        -> (server: TestServer, queue: DispatchQueue, line: TokenizerLine, worker: ModelWorker) {
        let queue = DispatchQueue(label: "lucid.test.tokenizer")
        queue.suspend()
        let server = try TestServer(model: model, limits: limits, tokenizerQueue: queue)
        return (server, queue, server.server.tokenizer, server.server.worker)
    }

    static var limits: ServerLimits {
        var limits = ServerLimits()
        limits.defaultMaxTokens = 16
        limits.maxTokens = 64
        // A live test's client keeps one connection, and HummingbirdTesting's client does not reconnect once the
        // server closes it: a test that waits for the busy suite (PoolStarvationTests waited 968 s in a clean-clone
        // CI) would find its connection closed by the 60 s default. IdleConnectionTests sets its own.
        limits.idleTimeoutSeconds = 3600
        return limits
    }

    /// `limits` with the connection timeouts a test sets: `idle` and `read` seconds (the read timeout out of the way
    /// unless the test asks for it).
    static func limits(idle: Double, read: Double = 3600) -> ServerLimits {
        var limits = TestServer.limits
        limits.idleTimeoutSeconds = idle
        limits.readTimeoutSeconds = read
        return limits
    }

    /// Runs `body` against the router in-process (`.router`) or a server on a free loopback port
    /// (`.live`: `client.port`), then stops the worker thread. Server and client run on
    /// `ServerTestExecutor`'s threads, not the cooperative pool the rest of the suite fills.
    func test<Value: Sendable>(_ setup: TestingSetup = .router, _ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let app = Application(router: server.router(), server: server.httpServer,
                              configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        defer { server.worker.stop() }
        return try await withTaskExecutorPreference(ServerTestExecutor.shared) {
            try await app.test(setup, body)
        }
    }
}

/// A test scene: a 96×96 picture with a red square and a blue disc on grey.
func scenePNG(size: Int = 96) throws -> [UInt8] {
    var pixels = [UInt8](repeating: 128, count: size * size * 3)
    for y in 0..<size {
        for x in 0..<size {
            let i = (y * size + x) * 3
            if (10..<40).contains(x) && (10..<40).contains(y) { (pixels[i], pixels[i + 1], pixels[i + 2]) = (220, 30, 30) }
            let (dx, dy) = (x - 66, y - 62)
            if dx * dx + dy * dy < 18 * 18 { (pixels[i], pixels[i + 1], pixels[i + 2]) = (30, 40, 210) }
        }
    }
    return try ImageEncoder.png(try RGBImage(width: size, height: size, pixels: pixels))
}

func dataURL(_ png: [UInt8]) -> String { "data:image/png;base64," + Data(png).base64EncodedString() }

/// A chat request body with one user message: text, and an image part when `imageURL` is given.
func chatBody(_ text: String, imageURL: String? = nil, extra: [String: JSONValue] = [:]) -> ByteBuffer {
    var content: [JSONValue] = [.object(["type": "text", "text": .string(text)])]
    if let imageURL { content.append(.object(["type": "image_url", "image_url": .object(["url": .string(imageURL)])])) }
    var body: [String: JSONValue] = ["model": "shapes-tiny", "messages": .array([.object(["role": "user", "content": .array(content)])])]
    for (key, value) in extra { body[key] = value }
    return ByteBuffer(string: (try? JSONValue.object(body).canonicalText()) ?? "{}")
}

func json(_ response: TestResponse) throws -> JSONValue {
    try JSONValue.parse(utf8: response.body.readableBytesView)
}

/// The `data:` payloads of a server-sent event stream, in order.
func events(_ response: TestResponse) -> [String] {
    String(buffer: response.body).components(separatedBy: "\n\n").compactMap { block in
        block.hasPrefix("data: ") ? String(block.dropFirst(6)) : nil
    }
}

let jsonHeaders: HTTPFields = [.contentType: "application/json"]

extension TestClientProtocol {
    /// POSTs each of `bodies` (JSON) to `uri`, one after another; the responses in order.
    func postEach(_ uri: String, _ bodies: [ByteBuffer]) async throws -> [TestResponse] {
        var responses: [TestResponse] = []
        for body in bodies { responses.append(try await execute(uri: uri, method: .post, headers: jsonHeaders, body: body)) }
        return responses
    }
}

/// A copy of the tiny `family` fixture that `lucid serve` can run (`TinyModelCopy.make`).
func servableFixtureCopy(_ family: String, extraFiles: [String] = [], addedTokens: [(content: String, id: Int)],
                         chatTemplate: String) throws -> URL {
    try TinyModelCopy.make(family, extraFiles: extraFiles, addedTokens: addedTokens, chatTemplate: chatTemplate)
}
