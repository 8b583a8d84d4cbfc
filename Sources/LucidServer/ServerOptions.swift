import Foundation
import LucidPipeline

/// The limits a public endpoint needs; every request is checked against them before any tensor work.
public struct ServerLimits: Sendable, Equatable {
    /// Largest request body read (413 beyond).
    public var maxBodyBytes = 16 << 20
    /// Largest image, in pixels, refused from its header before any pixel memory is allocated.
    public var maxImagePixels = 4096 * 4096
    /// At most `OpenedModel.maximumImagesPerPrompt`.
    public var maxImagesPerRequest = 4
    public var maxMessages = 64
    /// Longest rendered prompt, in tokens.
    public var maxPromptTokens = 2048
    /// Largest `max_tokens` a request may ask for, and what it gets when it asks nothing.
    public var maxTokens = 1024
    public var defaultMaxTokens = 256
    /// Largest `n` (choices per request; more than one only where choices differ: sampling).
    public var maxChoices = 4
    /// Stop strings a request may give: 16, above OpenAI's 4, since lm-evaluation-harness's `generate_until` sends a
    /// task's whole `until` list and the end-of-sequence text to `/v1/completions` (six on HumanEval); vLLM has no limit.
    public var maxStopStrings = 16
    public var maxStopStringLength = 64
    /// Generations decoded together (continuous batching rows); beam-type methods run one at a time.
    public var maxConcurrent = 4
    /// Requests waiting beyond the running ones; a request past both gets 429 with Retry-After. The tokenizer line
    /// (`TokenizerLine`: the tokenizer routes, and every completion's prompt before it is queued) admits as many.
    public var maxQueue = 16
    /// Seconds a request may take from admission to its last token (504 beyond; a stream ends with an error event).
    public var requestTimeoutSeconds = 300.0
    /// What 429 answers carry in Retry-After.
    public var retryAfterSeconds = 1
    /// Seconds a connection may send nothing while none of its requests is being answered before it is closed: an
    /// idle keep-alive, or a request whose head or body stopped coming. A request read whole and waiting for the
    /// model, or generating, is never closed for it (Hummingbird's idle timeout).
    public var idleTimeoutSeconds = 60.0
    /// Seconds a client may take to send one request, head and body, counted while the server waits for its bytes:
    /// past it the connection is closed, so a client trickling bytes just inside the idle timeout cannot hold it
    /// (`RequestReadClock`). 300 s lets a full 16 MiB body arrive at 56 KB/s.
    public var readTimeoutSeconds = 300.0

    public init() {}

    /// Checks that every limit is usable.
    public func validate() throws(ServerSetupError) {
        func positive(_ value: Int, _ name: String) throws(ServerSetupError) {
            guard value >= 1 else { throw ServerSetupError("\(name) must be ≥ 1 (got \(value))") }
        }
        try positive(maxBodyBytes, "max body bytes")
        try positive(maxImagePixels, "max image pixels")
        try positive(maxMessages, "max messages")
        try positive(maxPromptTokens, "max prompt tokens")
        try positive(maxTokens, "max tokens")
        try positive(defaultMaxTokens, "default max tokens")
        try positive(maxChoices, "max choices")
        try positive(maxConcurrent, "max concurrent")
        try positive(retryAfterSeconds, "retry-after seconds")
        guard maxImagesPerRequest >= 0, maxQueue >= 0, maxStopStrings >= 0, maxStopStringLength >= 1 else {
            throw ServerSetupError("image, queue and stop-string limits must be ≥ 0")
        }
        guard maxImagesPerRequest <= OpenedModel.maximumImagesPerPrompt else {
            throw ServerSetupError("max images per request (\(maxImagesPerRequest)) exceeds the \(OpenedModel.maximumImagesPerPrompt) a prompt takes")
        }
        guard defaultMaxTokens <= maxTokens else { throw ServerSetupError("default max tokens (\(defaultMaxTokens)) exceeds max tokens (\(maxTokens))") }
        guard requestTimeoutSeconds > 0, requestTimeoutSeconds.isFinite else { throw ServerSetupError("request timeout must be > 0 seconds") }
        guard idleTimeoutSeconds > 0, idleTimeoutSeconds <= 86_400 else { throw ServerSetupError("idle timeout must be > 0 and at most 86400 seconds (got \(idleTimeoutSeconds))") }
        guard readTimeoutSeconds > 0, readTimeoutSeconds <= 86_400 else { throw ServerSetupError("read timeout must be > 0 and at most 86400 seconds (got \(readTimeoutSeconds))") }
    }
}

/// What `lucid serve` serves and who may ask.
public struct ServerOptions: Sendable {
    /// The model id `/v1/models` lists and responses name (requests naming another model get 404).
    public var modelID: String
    /// A bearer key every `/v1/*` and `/metrics` request must carry (nil: open).
    public var apiKey: String?
    /// A folder whose files `image_url` may name (`file://` URLs or absolute paths); nil refuses local paths.
    public var imageRoot: String?
    public var limits: ServerLimits

    public init(modelID: String, apiKey: String? = nil, imageRoot: String? = nil, limits: ServerLimits = ServerLimits()) {
        self.modelID = modelID
        self.apiKey = apiKey
        self.imageRoot = imageRoot
        self.limits = limits
    }
}

/// A server that cannot start as configured.
public struct ServerSetupError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
