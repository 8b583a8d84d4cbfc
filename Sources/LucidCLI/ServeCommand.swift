import ArgumentParser
import Foundation
import Logging
import LucidGeneration
import LucidPipeline
import LucidServer
import LucidTensor
import LucidText

/// `lucid serve`: the OpenAI-compatible server (docs/serve.md).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model over an OpenAI-compatible HTTP API (chat completions, streaming, Lucid's decoding methods and gate).",
        discussion: """
        POST /v1/chat/completions, POST /v1/completions (raw prompts, echo and prompt logprobs: what lm-evaluation-harness's \
        local-completions model scores with), GET /v1/models, GET /health, GET /metrics, and vLLM's GET /tokenizer_info, \
        POST /tokenize, POST /detokenize. Requests may add \
        "decoding": {"method": "greedy"|"sample"|"beam"|"opera"|"vcd"|"damro", ...} and get a "lucid" object \
        back (gate decision, forward passes per token, timings). SIGTERM or SIGINT drains running requests, then exits.
        """
    )

    @Option(help: "Model: `smollm2`, a bundled organism (shapes-tiny, shapes-smol, shapes-smol-q), a directory, a Hugging Face repository id in the local hub cache (org/name[@revision]) or a GGUF file.")
    var model: String

    @OptionGroup var runtime: ModelRuntimeOptions

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8080

    @OptionGroup var defense: DefenseOption

    @Option(help: "A bearer key every /v1 and /metrics request must send (default: none; or LUCID_API_KEY).")
    var apiKey: String?

    @Option(help: "A folder whose images requests may name by path (file:// or absolute); without it local paths are refused.")
    var imageRoot: String?

    @Option(help: ArgumentHelp("Chat template for every request: \(ChatTemplate.knownNames.joined(separator: ", ")) (default: detected from the model)."))
    var template: String?

    @Option(help: "A reasoning model's output (deepseek-r1, qwen3): split (answer as content, reasoning apart) or keep (all as content).")
    var reasoning = ReasoningMode.split

    @Option(help: "Which distribution logprobs describe, as vLLM's flag: raw_logprobs (the model's own, before any method changes it) or processed_logprobs (what the method chose from: after temperature/top-k/top-p, VCD/DAMRO's contrast).")
    var logprobsMode = LogprobsMode.raw

    @Option(help: "The model id /v1/models lists and requests name (default: the --model value).")
    var servedName: String?

    @Option(help: "Generations decoded together (continuous batching rows).")
    var maxConcurrent = 4

    @Option(help: "Requests waiting beyond the running ones before 429 (as many may wait to be tokenized: --max-concurrent + --max-queue).")
    var maxQueue = 16

    @Option(help: "Largest max_tokens a request may ask for.")
    var maxTokens = 1024

    @Option(help: "Longest prompt, in tokens (images count their features).")
    var maxPromptTokens = 2048

    @Option(help: "Largest request body in bytes.")
    var maxBodyBytes = 16 << 20

    @Option(help: "Largest image in pixels.")
    var maxImagePixels = 4096 * 4096

    @Option(help: "Seconds a request may run.")
    var requestTimeout = 300.0

    @Option(help: "Seconds a connection may stay silent before it is closed, unless a request on it is being answered.")
    var idleTimeout = 60.0

    @Option(help: "Seconds a client may take to send one request (head and body, while the server waits for it) before its connection is closed.")
    var readTimeout = 300.0

    func validate() throws {
        guard (1...65535).contains(port) || port == 0 else { throw ValidationError("--port must be in 0…65535") }
        do { try limits.validate() } catch { throw ValidationError(error.description) }
    }

    var limits: ServerLimits {
        var limits = ServerLimits()
        limits.maxConcurrent = maxConcurrent
        limits.maxQueue = maxQueue
        limits.maxTokens = maxTokens
        limits.defaultMaxTokens = min(limits.defaultMaxTokens, maxTokens)
        limits.maxPromptTokens = maxPromptTokens
        limits.maxBodyBytes = maxBodyBytes
        limits.maxImagePixels = maxImagePixels
        limits.requestTimeoutSeconds = requestTimeout
        limits.idleTimeoutSeconds = idleTimeout
        limits.readTimeoutSeconds = readTimeout
        return limits
    }

    func run() async throws {
        // A core for the HTTP side unless LUCID_THREADS / LUCID_BLAS_THREADS say otherwise (ThreadPolicy.servingPolicy).
        try ThreadPolicy.fromEnvironment(ProcessInfo.processInfo.environment, base: .servingPolicy()).apply()
        let loaded = try openModel(model, runtime: runtime)
        try defense.apply(to: loaded, model: model)
        let tokenizer = try openTokenizer(model)
        var logger = Logger(label: "lucid.serve")
        logger.logLevel = .info
        let metrics = ServerMetrics()
        let worker = ModelWorker(opened: loaded, tokenizer: tokenizer, limits: limits, metrics: metrics,
                                 template: try template.map { try ChatTemplate(named: $0) }, reasoning: reasoning, logprobsMode: logprobsMode, logger: logger)
        if worker.template == nil {  // a base model still answers raw prompts at /v1/completions
            FileHandle.standardError.write(Data(("lucid serve: cannot tell \(model)'s chat template (\(ChatTemplate.undetectedReason(for: tokenizer))): "
                + "chat completions will be refused; /v1/completions serves raw prompts (pass --template NAME for chat)\n").utf8))
        }
        let key = apiKey ?? ProcessInfo.processInfo.environment["LUCID_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        let options = ServerOptions(modelID: servedName ?? model, apiKey: key, imageRoot: imageRoot, limits: limits)
        let server: ChatServer
        do { server = try ChatServer(options: options, worker: worker) } catch { throw CLIError("\(error)") }
        FileHandle.standardError.write(Data("lucid serve: \(model) on http://\(host):\(port)/v1 (defense \(defense.defense), \(key == nil ? "no API key" : "API key required"))\n".utf8))
        try await server.application(host: host, port: port, logger: logger).runService()
    }
}

extension ReasoningMode: ExpressibleByArgument {}
extension LogprobsMode: ExpressibleByArgument {}
extension RepetitionContext: ExpressibleByArgument { public init?(argument: String) { self.init(argument) } }
extension HypothesisLength: ExpressibleByArgument {}
