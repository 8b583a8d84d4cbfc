import Foundation
import Logging
import LucidFiles
import LucidGeneration
import LucidModels
import LucidPipeline
import LucidTensor
import LucidText
import ServiceLifecycle

/// Runs every piece of model work on one dedicated thread, so libtorch is never called from two
/// threads at once and the HTTP side (SwiftNIO's event loops and Swift's cooperative pool) stays free.
///
/// Greedy and sampling requests decode together in a `ContinuousBatch` (up to `maxConcurrent` rows,
/// one forward pass per step over all of them, rows joining after their own prefill and leaving
/// when they end); beam search, OPERA, VCD and DAMRO run alone through `Decoding.generate`, holding
/// the batch for their duration. Admission is counted here too: running + waiting jobs never exceed
/// `maxConcurrent + maxQueue` (429 beyond). A `Service`: on graceful shutdown it finishes what runs
/// and answers what still waits with 503.
public final class ModelWorker: Service, @unchecked Sendable {
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var pending: [GenerationJob] = []
    /// Model work other than generations (`onModelThread`), run between decoding steps.
    private var tasks: [ModelTask] = []
    /// Model tasks taken off `tasks` and not yet done, and those skipped because their client went away.
    private var runningTasks = 0
    private var skipped = 0
    private var running = 0
    private var stopped = false
    private var paused = false
    private var thread: Thread?
    private var finishedThread = false

    // Touched only on the worker thread once it runs (and before that only by `init`), but for what `encodePrompt`
    // reads: its name and vocabulary size.
    let opened: OpenedModel
    /// The model's tokenizer (immutable: the HTTP side's `/tokenize` reads it too).
    public let tokenizer: Tokenizer
    /// The model's context length, if it declares one (`/tokenize`'s `max_model_len`).
    public let contextLength: Int?
    /// The chat template requests are rendered with (nil: none known, so every request is refused).
    public let template: ChatTemplate?
    /// Whether a reasoning template's output is answered as `content` and `reasoning` apart, or whole.
    public let reasoning: ReasoningMode
    /// Which distribution requested log-probabilities describe (the model's own, or what the method chose from).
    public let logprobsMode: LogprobsMode
    private let stopIDs: [Int]
    private var batch: ContinuousBatch
    private var rows: [ContinuousBatch.RowID: RowState] = [:]
    private var warnedMissingInstructionTokenizer = false
    /// Spells tokens as the bytes they add to the text (`StreamingDecoder.bytes(of:)` keeps no state).
    private let speller: StreamingDecoder

    public let limits: ServerLimits
    public let metrics: ServerMetrics
    private let logger: Logger

    /// The worker of `opened` (its defence already applied) with its tokenizer, rendering requests with
    /// `template`, else the one the model's family picks for the tokenizer; a template that writes reasoning
    /// (`ChatTemplate.writesReasoning`) has it split from the answer unless `reasoning` is `keep`.
    public init(opened: OpenedModel, tokenizer: Tokenizer, limits: ServerLimits, metrics: ServerMetrics, template: ChatTemplate? = nil,
                reasoning: ReasoningMode = .split, logprobsMode: LogprobsMode = .raw, logger: Logger = Logger(label: "lucid.serve.worker")) {
        self.opened = opened
        self.tokenizer = tokenizer
        self.template = template ?? opened.chatTemplate(for: tokenizer)
        self.reasoning = reasoning
        self.logprobsMode = logprobsMode
        stopIDs = opened.stopTokenIDs(tokenizer: tokenizer)
        speller = tokenizer.streamingDecoder()
        contextLength = opened.model.contextLength
        batch = ContinuousBatch(model: opened.model)
        self.limits = limits
        self.metrics = metrics
        self.logger = logger
    }

    // MARK: HTTP side

    /// Queues `jobs` (the choices of one request) or throws 429 when running + waiting would pass
    /// `maxConcurrent + maxQueue`, 503 once shutting down. Starts the thread on first use.
    public func submit(_ jobs: [GenerationJob]) throws(APIError) {
        condition.lock()
        defer { condition.unlock() }
        try admitLocked(jobs.count)
        startThreadLocked()
        pending.append(contentsOf: jobs)
        metrics.queueDepth.set(Double(pending.count + tasks.count))
        condition.signal()
    }

    /// Queues `task` for the worker thread, admitted as one more waiting job (429 past the limit, 503 once shutting down).
    func submit(_ task: ModelTask) throws(APIError) {
        condition.lock()
        defer { condition.unlock() }
        try admitLocked(1)
        startThreadLocked()
        tasks.append(task)
        metrics.queueDepth.set(Double(pending.count + tasks.count))
        condition.signal()
    }

    /// Refuses `count` more once shutting down (503), or when running + waiting (generations and model tasks) would
    /// pass `maxConcurrent + maxQueue` (429).
    private func admitLocked(_ count: Int) throws(APIError) {
        guard !stopped else { throw APIError(.serviceUnavailable, "the server is shutting down", type: "server_error", retryAfter: limits.retryAfterSeconds) }
        let waiting = pending.count + tasks.count
        guard running + waiting + count <= limits.maxConcurrent + limits.maxQueue else {
            throw APIError(.tooManyRequests, "the server is busy: \(running) generations running and \(waiting) waiting (limit \(limits.maxConcurrent) + \(limits.maxQueue) queued)",
                           type: "rate_limit_error", code: "queue_full", retryAfter: limits.retryAfterSeconds)
        }
    }

    /// Generations and model tasks admitted and not yet finished (running + waiting).
    public var inFlight: Int { condition.withLock { running + pending.count + runningTasks + tasks.count } }

    /// Model tasks skipped because their client went away while they waited, and those waiting whose client has
    /// gone (tests read these).
    var skippedTasks: Int { condition.withLock { skipped } }
    var waitingAbandonedTasks: Int { condition.withLock { tasks.filter { $0.isAbandoned() }.count } }

    /// Waiting jobs whose client went away (tests: a disconnect is seen before the job starts).
    var waitingCancelled: Int { condition.withLock { pending.filter(\.isCancelled).count } }

    /// Holds queued jobs back (running rows go on) until `resume()`: lets tests fill the queue deterministically.
    func pause() { condition.withLock { paused = true } }

    func resume() {
        condition.withLock {
            paused = false
            condition.signal()
        }
    }

    /// `Service`: runs until graceful shutdown, then drains and stops the thread.
    public func run() async throws {
        condition.withLock { startThreadLocked() }
        try? await gracefulShutdown()
        stop()
    }

    /// Stops taking jobs; running generations finish, waiting ones get 503. Waits for the thread to end.
    public func stop() {
        condition.lock()
        stopped = true
        paused = false
        let hadThread = thread != nil
        condition.broadcast()
        condition.unlock()
        guard hadThread else { return }
        condition.lock()
        while !finishedThread { condition.wait() }
        condition.unlock()
    }

    private func startThreadLocked() {
        guard thread == nil, !stopped else { return }
        let worker = Thread { [self] in loop() }
        worker.name = "lucid-model"
        worker.stackSize = 16 << 20
        thread = worker
        worker.start()
    }

    /// Does `work` (taken off `tasks`), skipping what its client abandoned, then frees their places.
    private func runTasks(_ work: [ModelTask]) {
        var skippedHere = 0
        for task in work {
            if task.isAbandoned() {
                skippedHere += 1
                task.refuse(ChatServer.clientClosedRequest)
            } else {
                task.run()
            }
        }
        condition.withLock {
            runningTasks = 0
            skipped += skippedHere
        }
    }

    // MARK: worker thread

    private func loop() {
        while true {
            condition.lock()
            while !stopped && (paused || (pending.isEmpty && tasks.isEmpty)) && batch.activeRows == 0 { condition.wait() }
            if stopped && batch.activeRows == 0 {
                let left = pending
                let leftTasks = tasks
                pending.removeAll()
                tasks.removeAll()
                metrics.queueDepth.set(Double(0))
                finishedThread = true
                condition.broadcast()
                condition.unlock()
                for job in left {
                    job.continuation.yield(.failed(APIError(.serviceUnavailable, "the server is shutting down", type: "server_error",
                                                            retryAfter: limits.retryAfterSeconds)))
                    job.continuation.finish()
                }
                for task in leftTasks { task.refuse(APIError(.serviceUnavailable, "the server is shutting down", type: "server_error", retryAfter: limits.retryAfterSeconds)) }
                return
            }
            var starting: [GenerationJob] = []
            var work: [ModelTask] = []
            if !paused && !stopped {
                while batch.activeRows + starting.count < limits.maxConcurrent, !pending.isEmpty {
                    starting.append(pending.removeFirst())
                }
                running += starting.count
                swap(&work, &tasks)
                runningTasks = work.count
            }
            metrics.queueDepth.set(Double(pending.count))
            condition.unlock()
            if !work.isEmpty { runTasks(work) }
            for job in starting { start(job) }
            metrics.activeGenerations.set(Double(batch.activeRows))
            if batch.activeRows > 0 {
                metrics.batchRows.record(Double(batch.activeRows))
                let events = batch.step()
                metrics.activeGenerations.set(Double(batch.activeRows))  // before the finished rows are answered
                handle(events)
            }
        }
    }

    private func start(_ job: GenerationJob) {
        let queueSeconds = Double(DispatchTime.now().uptimeNanoseconds &- job.admitted) / 1e9
        if job.shouldStop {
            end(job, error: job.isPastDeadline ? Self.timeout(limits) : nil)
            return
        }
        do {
            try withNoGrad { () throws -> Void in try begin(job, queueSeconds: queueSeconds) }
        } catch let error as APIError {
            end(job, error: error)
        } catch let error as GenerationError {
            end(job, error: Self.apiError(error, param: job.input.param))
        } catch {
            if let fault = Self.requestFault(error, param: job.input.param) {
                end(job, error: fault)
                return
            }
            logger.error("generation failed: \(TerminalText.escaped("\(error)"))")
            end(job, error: APIError(.internalServerError, "generation failed: \(error)", type: "server_error"))
        }
    }

    /// A generation's failure as the client gets it: a prompt over the context is the request's
    /// fault (400), logits with NaN or ±∞ the model's (500: broken weights, or an overflow in f16).
    static func apiError(_ error: GenerationError, param: String = "messages") -> APIError {
        switch error {
        case .promptTooLong: return .invalid(error.description, param: param, code: "context_length_exceeded")
        case .nonFiniteLogits: return APIError(.internalServerError, error.description, type: "server_error", code: "non_finite_logits")
        default: return .invalid(error.description, code: "invalid_generation")
        }
    }

    /// What a completion with `echo` answers before its text: the prompt, and its first token's bytes when
    /// it scores the prompt (`promptLogprobs`; the later tokens' entries come with the result).
    private func echo(of input: JobInput, ids: [Int], scored: Bool) -> EchoedPrompt? {
        guard case .completion(let prompt, echo: true) = input else { return nil }
        let text: String
        switch prompt {
        case .text(let given): text = given
        case .tokens: text = (try? tokenizer.decode(ids, skipSpecialTokens: false)) ?? ""
        }
        let first = scored ? ids.first.map { (try? speller.bytes(of: $0)) ?? [] } : nil
        return EchoedPrompt(text: text, firstTokenBytes: first, logprobs: nil)
    }

    private func begin(_ job: GenerationJob, queueSeconds: Double) throws {
        let settings = job.settings
        let param = job.input.param
        let (ids, splitsReasoning) = (job.prompt.ids, job.prompt.splitsReasoning)
        let vision = opened.vision
        if !job.images.isEmpty && vision == nil {
            throw APIError.invalid("\(opened.name) is a text-only model: image parts need a vision-language model", param: "messages", code: "images_unsupported")
        }
        // The images' pixel values come next: an image's size decides its feature count (Qwen2-VL's grid,
        // LLaVA-NeXT's tiles), so the prompt's length is counted from them, before the tower runs.
        let pixels = try opened.pixelValues(prompt: job.images, padToSquare: false)
        let promptTokens = try vision?.embeddedLength(ids: ids, images: pixels) ?? ids.count
        guard promptTokens <= limits.maxPromptTokens else {
            throw APIError.invalid("the prompt has \(promptTokens) tokens, over the server's limit of \(limits.maxPromptTokens)",
                                   param: param, code: "context_length_exceeded")
        }
        if let context = opened.model.contextLength, promptTokens + settings.maxTokens > context {
            throw APIError.invalid("the prompt's \(promptTokens) tokens plus max_tokens \(settings.maxTokens) exceed the model's context of \(context)",
                                   param: "max_tokens", code: "context_length_exceeded")
        }
        if case .damro(_, let outliers, _) = settings.method, let vision, outliers > vision.visionPatchCount {
            throw APIError.invalid("decoding.outliers must be ≤ the model's \(vision.visionPatchCount) patches", param: "decoding.outliers")
        }
        if let bad = settings.logitBias.keys.first(where: { $0 >= opened.model.vocabularySize }) {
            throw APIError.invalid("logit_bias: token \(bad) is outside the model's vocabulary (0…\(opened.model.vocabularySize - 1))", param: "logit_bias")
        }
        metrics.promptTokens.increment(by: Int64(promptTokens))
        if !pixels.isEmpty, case .chat(let chat) = job.input { try setImageInstruction(chat.imageInstruction) }
        let method = settings.method(choice: job.choice)
        let tokenizer = self.tokenizer
        var refusal: String?
        let encodeRefusal: (String) -> [Int] = { text in
            refusal = text
            return tokenizer.encode(text, addSpecialTokens: false)
        }
        var generationLimits = GenerationLimits(maxNewTokens: settings.maxTokens, eosTokenIDs: settings.ignoresEOS ? [] : stopIDs,
                                                stopStrings: settings.stop,
                                                decode: { (try? tokenizer.decode($0, skipSpecialTokens: true)) ?? "" },
                                                isCancelled: { job.shouldStop })
        generationLimits.penalties = settings.penalties
        generationLimits.logitBias = settings.logitBias
        generationLimits.minNewTokens = settings.minTokens
        generationLimits.noRepeatNGramSize = settings.noRepeatNGramSize
        generationLimits.promptTokens = ids  // the repetition penalty counts the prompt as vLLM does, the chat template's tokens too
        let gateChecked = vision?.imageGate != nil && !pixels.isEmpty
        let strategy: DecodingStrategy?
        switch method {
        case .greedy: strategy = .greedy
        case .sample(let sampling): strategy = .sampling(sampling)
        default: strategy = nil
        }
        let logprobs = settings.topLogprobs.map { LogprobsRequest(top: $0, mode: logprobsMode) }
        // A completion's prompt is scored where it asks for `echo` with `logprobs` (in a batched row's prefill, else alone).
        let scoring = job.input.echoes && logprobs != nil ? ids : nil
        let row = RowState(job: job, tokenizer: tokenizer, promptTokens: promptTokens, gateChecked: gateChecked,
                           batched: strategy != nil, queueSeconds: queueSeconds, splitsReasoning: splitsReasoning,
                           echo: echo(of: job.input, ids: ids, scored: scoring != nil))
        if let echo = row.echo { job.continuation.yield(.delta(echo.text, logprobs: [])) }  // a stream's text begins with the prompt
        if settings.maxTokens == 0 && scoring == nil {
            // An echo of the prompt alone: nothing to compute.
            complete(row, result: GenerationResult(tokens: [], finishReason: .length), refusal: nil)
        } else if let strategy {
            switch try Decoding.prepare(opened.model, ids: ids, images: pixels, method: method, encodeRefusal: encodeRefusal,
                                        limits: generationLimits) {
            case .refused(let result):
                complete(row, result: result, refusal: refusal)
            case .ready(let prefill, _, _):
                let (id, events) = try batch.join(prefill, strategy: strategy, limits: generationLimits, logprobs: logprobs, scoringPrompt: scoring)
                rows[id] = row
                handle(events)
            }
        } else {
            var result = GenerationResult(tokens: [], finishReason: .length)  // max_tokens 0: the prompt's scores alone
            if settings.maxTokens > 0 {
                result = try Decoding.generate(opened.model, ids: ids, images: pixels, method: method, limits: generationLimits, logprobs: logprobs,
                                               encodeRefusal: encodeRefusal) { [metrics] token, logprobs in
                    row.push(token, logprobs: logprobs.map(self.logprobEntry), metrics: metrics)
                }
            } else {
                result.logprobs = []
            }
            // Methods that do not batch score a prompt in a pass of its own (a text completion's: no images).
            if let scoring {
                result.promptLogprobs = try TokenLogprobs.prompt(of: opened.model, ids: scoring, top: logprobs?.top ?? 0, limits: generationLimits)
                result.statistics.forwardPasses += 1
            }
            complete(row, result: result, refusal: refusal)
        }
    }

    /// Gives InstructBLIP's Q-Former the request's question before its images are encoded (other
    /// families read no text). Images are encoded in `begin`, one request at a time on this thread, so
    /// the instruction set here is the one its prefill reads.
    private func setImageInstruction(_ text: String) throws {
        let outcome: ImageInstruction
        do { outcome = try opened.setImageInstruction(text) } catch {
            // The detail names the server's model directory: it goes to the log, not to the client.
            logger.info("image instruction refused: \(TerminalText.escaped("\(error)"))")  // it may quote the request
            throw APIError.invalid("the last user message cannot be the image encoder's instruction (InstructBLIP's Q-Former reads a "
                                   + "limited number of tokens): shorten it", param: "messages")
        }
        if case .missingTokenizer(let path) = outcome, !warnedMissingInstructionTokenizer {
            warnedMissingInstructionTokenizer = true
            logger.warning("\(path) is missing: the Q-Former reads no instruction (transformers' processor would give it the prompt)")
        }
    }

    private func handle(_ events: [ContinuousBatch.Event]) {
        for event in events {
            switch event {
            case .token(let id, let token, let logprobs):
                rows[id]?.push(token, logprobs: logprobs.map(logprobEntry), metrics: metrics)
            case .finished(let id, let result):
                guard let row = rows.removeValue(forKey: id) else { continue }
                complete(row, result: result, refusal: nil)
            case .failed(let id, let error):
                guard let row = rows.removeValue(forKey: id) else { continue }
                logger.error("generation failed: \(TerminalText.escaped(error.description))")
                end(row.job, error: Self.apiError(error, param: row.job.input.param))
            }
        }
    }

    private func complete(_ row: RowState, result: GenerationResult, refusal: String?) {
        let job = row.job
        // Every token generated counts, as vLLM's counter counts them, whether or not its client still waits.
        metrics.generatedTokens.increment(by: Int64(result.tokens.count))
        if result.finishReason == .cancelled || (job.shouldStop && result.finishReason != .refused) {
            end(job, error: job.isPastDeadline ? Self.timeout(limits) : nil)
            return
        }
        let text: String
        var reasoning: String?
        if result.finishReason == .refused {
            text = refusal ?? ""
            if !text.isEmpty { job.continuation.yield(.delta(text, logprobs: [])) }
            metrics.refusals.increment()
        } else {
            (text, reasoning) = row.finish(stopped: result.finishReason == .stopString)
        }
        let gate = GateDecision(checked: row.gateChecked, refused: result.finishReason == .refused, message: refusal)
        end(job, error: nil, outcome: JobOutcome(text: text, reasoning: reasoning, tokens: result.tokens, finishReason: result.finishReason,
                                                 promptTokens: row.promptTokens, statistics: result.statistics, gate: gate,
                                                 batched: row.batched, methodName: job.settings.method.name, queueSeconds: row.queueSeconds,
                                                 logprobs: result.logprobs.map { _ in row.logprobs }, echo: echo(row, result: result),
                                                 unsentLogprobs: result.logprobs == nil ? nil : row.unsentLogprobs))
    }

    /// The row's echoed prompt with its log-probabilities, where the result scored it.
    private func echo(_ row: RowState, result: GenerationResult) -> EchoedPrompt? {
        guard var echo = row.echo else { return nil }
        if echo.firstTokenBytes != nil { echo.logprobs = result.promptLogprobs?.map(logprobEntry) ?? [] }
        return echo
    }

    /// One token's log-probabilities with each token spelled as the bytes it adds to the text.
    private func logprobEntry(_ logprobs: TokenLogprobs) -> TokenLogprobEntry {
        TokenLogprobEntry(logprobs) { [speller] in (try? speller.bytes(of: $0)) ?? [] }
    }

    /// Ends a job's stream (with its outcome or an error event) and frees its admission slot. The
    /// metrics and the slot are updated first, so a client that has its answer sees them settled.
    private func end(_ job: GenerationJob, error: APIError?, outcome: JobOutcome? = nil) {
        metrics.requestDuration.record(ServerMetrics.duration(nanoseconds: DispatchTime.now().uptimeNanoseconds &- job.admitted))
        condition.withLock { running -= 1 }
        if let outcome { job.continuation.yield(.finished(outcome)) }
        if let error { job.continuation.yield(.failed(error)) }
        job.continuation.finish()
    }

    static func timeout(_ limits: ServerLimits) -> APIError {
        APIError(.gatewayTimeout, "the generation passed the server's request timeout of \(limits.requestTimeoutSeconds) s", type: "timeout",
                 code: "request_timeout")
    }
}
