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
/// output is split), then one end.
public enum JobEvent: Sendable {
    case delta(String)
    case reasoning(String)
    case finished(JobOutcome)
    case failed(APIError)
}

/// One generation (one choice of one request) handed to the `ModelWorker`.
///
/// Everything in it is immutable or behind a lock: the HTTP side reads `events` and may `cancel()`;
/// the worker writes events and asks `shouldStop`.
public final class GenerationJob: Sendable {
    public let request: ChatRequest
    public let images: [RGBImage]
    /// The choice index (`n` > 1 makes several jobs).
    public let choice: Int
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

    public init(request: ChatRequest, images: [RGBImage], choice: Int, timeoutSeconds: Double) {
        self.request = request
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
