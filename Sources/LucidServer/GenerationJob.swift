import Foundation
import LucidGeneration
import LucidVision

/// What the image gate decided for a request (`lucid.gate` in responses).
public struct GateDecision: Sendable, Equatable {
    /// Whether a gate screened the request's images (a gated model and at least one image).
    public var checked: Bool
    public var refused: Bool
    /// The gate's answer when it refused.
    public var message: String?
}

/// The end of one generation: text, tokens, why it stopped and what it cost.
public struct JobOutcome: Sendable {
    /// The answer: with a reasoning template split (`ReasoningMode.split`), what follows the reasoning.
    public var text: String
    /// The reasoning, when the request's template writes it and the server splits it; else nil.
    public var reasoning: String?
    public var tokens: [Int]
    public var finishReason: FinishReason
    public var promptTokens: Int
    public var statistics: GenerationStatistics
    public var gate: GateDecision
    /// Whether the generation decoded in the shared batch (greedy and sampling) or alone.
    public var batched: Bool
    public var methodName: String
    /// Seconds waiting for the model before the generation started.
    public var queueSeconds: Double
    /// One per generated token, where the request asked for `logprobs`; nil otherwise (and for a gate's refusal).
    public var logprobs: [TokenLogprobEntry]?
    /// A text completion's prompt, where it asked for `echo`; nil otherwise.
    public var echo: EchoedPrompt?
    /// Where `logprobs` were asked: those of the tokens no streamed piece carried (the text after a stop
    /// string, the end-of-sequence token); they go in a stream's last chunk.
    public var unsentLogprobs: [TokenLogprobEntry]?
}

/// The prompt a text completion with `echo` answers with: its text and, with `logprobs`, its tokens.
public struct EchoedPrompt: Sendable {
    /// The prompt as given, or its ids decoded (special tokens kept: they are what the model read).
    public var text: String
    /// The first token's bytes (it has no log-probability) and each later token's entry; nil without `logprobs`.
    public var firstTokenBytes: [UInt8]?
    public var logprobs: [TokenLogprobEntry]?
}

/// One token of a choice's `logprobs.content`: its bytes and log-probability, and the most likely
/// tokens at that step, most likely first (`TokenLogprobs`, with each token as the bytes it adds).
public struct TokenLogprobEntry: Sendable, Equatable {
    public struct Candidate: Sendable, Equatable {
        public var bytes: [UInt8]
        public var logprob: Double
    }

    public var chosen: Candidate
    public var top: [Candidate]

    /// `logprobs` with each token spelled by `bytes` (`StreamingDecoder.bytes(of:)`; an id it cannot spell has none).
    public init(_ logprobs: TokenLogprobs, bytes: (Int) -> [UInt8]) {
        chosen = Candidate(bytes: bytes(logprobs.chosen.token), logprob: logprobs.chosen.logprob)
        top = logprobs.top.map { Candidate(bytes: bytes($0.token), logprob: $0.logprob) }
    }
}

/// What the model worker reports for one job, in order: text deltas (reasoning deltas first, when the
/// output is split), each with the log-probabilities of the tokens generated since the last one (where
/// asked: greedy and sampled requests), then one end.
public enum JobEvent: Sendable {
    case delta(String, logprobs: [TokenLogprobEntry])
    case reasoning(String, logprobs: [TokenLogprobEntry])
    case finished(JobOutcome)
    case failed(APIError)
}

/// What a job generates from: a chat request's messages (rendered with the chat template), or one
/// prompt of a text completion (as it is).
public enum JobInput: Sendable {
    case chat(ChatRequest)
    case completion(CompletionPrompt, echo: Bool)
}

extension JobInput {
    /// The request field errors about the prompt name.
    var param: String {
        if case .chat = self { "messages" } else { "prompt" }
    }

    /// Whether the answer begins with the prompt (a completion's `echo`).
    var echoes: Bool {
        if case .completion(_, echo: true) = self { true } else { false }
    }
}

/// One generation (one choice of one prompt of a request) handed to the `ModelWorker`.
///
/// Everything in it is immutable or behind a lock: the HTTP side reads `events` and may `cancel()`;
/// the worker writes events and asks `shouldStop`.
public final class GenerationJob: Sendable {
    public let input: JobInput
    /// `input`'s token ids (`ModelWorker.encodePrompt`), encoded before the job is queued.
    public let prompt: EncodedPrompt
    public let settings: GenerationSettings
    public let images: [RGBImage]
    /// The choice of its prompt (`n` > 1 makes several jobs; sampling seeds advance by it).
    public let choice: Int
    /// The choice's `index` in the response: the choice, or for several prompts prompt × n + choice.
    public let index: Int
    public let events: AsyncStream<JobEvent>
    let continuation: AsyncStream<JobEvent>.Continuation
    private let state: LockedState
    /// Admission time and deadline (uptime nanoseconds).
    let admitted: UInt64
    let deadline: UInt64

    final class LockedState: @unchecked Sendable {
        private let lock = NSLock()
        private var cancelled = false
        var isCancelled: Bool { lock.withLock { cancelled } }
        func cancel() { lock.withLock { cancelled = true } }
    }

    /// Choice `choice` of a chat request's messages, encoded as `prompt`, and their decoded images.
    public convenience init(chat: ChatRequest, prompt: EncodedPrompt, images: [RGBImage], choice: Int, timeoutSeconds: Double) {
        self.init(input: .chat(chat), prompt: prompt, settings: chat.settings, images: images, choice: choice, timeoutSeconds: timeoutSeconds)
    }

    public init(input: JobInput, prompt: EncodedPrompt, settings: GenerationSettings, images: [RGBImage], choice: Int, index: Int? = nil,
                timeoutSeconds: Double) {
        self.input = input
        self.prompt = prompt
        self.settings = settings
        self.index = index ?? choice
        self.images = images
        self.choice = choice
        (events, continuation) = AsyncStream<JobEvent>.makeStream()
        state = LockedState()
        admitted = DispatchTime.now().uptimeNanoseconds
        deadline = admitted &+ UInt64(max(0, min(timeoutSeconds, 1e9)) * 1e9)
    }

    /// Asks the worker to stop this generation (the client went away).
    public func cancel() { state.cancel() }

    /// `cancel()` without holding the job (its images): for callbacks that may outlive the request.
    var canceller: @Sendable () -> Void { { [state] in state.cancel() } }

    /// Whether the client cancelled.
    var isCancelled: Bool { state.isCancelled }

    /// Whether the deadline has passed.
    var isPastDeadline: Bool { DispatchTime.now().uptimeNanoseconds > deadline }

    /// Whether the worker should stop: cancelled or past the deadline.
    var shouldStop: Bool { isCancelled || isPastDeadline }
}
