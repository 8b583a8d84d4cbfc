import Foundation
import LucidRuns
import NIOConcurrencyHelpers

/// Where requests wait to be tokenized (`/tokenize` and `/detokenize`, and every completion's prompt before it is
/// queued for the model), and large bodies to be parsed: serial queues of their own, off the threads the HTTP handlers
/// share and off the model's thread, admitted like generations and dropped unstarted when their client goes away.
///
/// - Off the HTTP threads and the model's: a body near the size limit takes seconds to tokenize (a 15 MB chat message
///   about 3 s on SmolLM2's tokenizer), which would hold one of Swift's cooperative threads, one per core, for all of
///   it, or stop every running generation for as long on the model's thread.
/// - Serial, two lines: texts up to `bulkBytes` are tokenized one at a time on `queue`, larger ones on `bulkQueue`, so
///   that a large body (15 MB take about 3 s) never holds up the short prompts behind it; tokenizing takes two cores
///   at most, however many requests come, and one of them only while a large body is tokenized. Bodies over
///   `bulkBytes` are parsed as JSON on a third queue (`parse(onClose:_:)`), off the HTTP threads too.
/// - Admitted: at most `capacity` requests wait or run here (the server's `maxConcurrent + maxQueue`, as for
///   generations), each holding its body; one more gets 429 with Retry-After, so a flood of large bodies cannot
///   pile up in memory behind the queue.
/// - Cancelled: a request whose client hangs up before its turn is skipped.
///
/// `lucid_tokenizer_requests` counts the requests admitted and not yet through.
final class TokenizerLine: Sendable {
    /// Texts larger than this many bytes of UTF-8 are tokenized on `bulkQueue`: 256 KiB take about 0.05 s on
    /// SmolLM2's tokenizer, the longest a short prompt waits for one before it.
    static let defaultBulkBytes = 256 * 1024

    /// Where texts up to `bulkBytes` are tokenized, one at a time.
    let queue: DispatchQueue
    /// Where larger texts are tokenized, one at a time.
    let bulkQueue: DispatchQueue
    /// Where request bodies over `bulkBytes` are parsed as JSON, one at a time (`parse(onClose:_:)`).
    let parseQueue: DispatchQueue
    let bulkBytes: Int
    /// Requests that may wait or run at once, on the three queues together.
    let capacity: Int
    let retryAfterSeconds: Int
    private let metrics: ServerMetrics
    private let admitted = NIOLockedValueBox(0)

    init(queue: DispatchQueue, bulkQueue: DispatchQueue, parseQueue: DispatchQueue, bulkBytes: Int = TokenizerLine.defaultBulkBytes,
         limits: ServerLimits, metrics: ServerMetrics) {
        self.queue = queue
        self.bulkQueue = bulkQueue
        self.parseQueue = parseQueue
        self.bulkBytes = bulkBytes
        capacity = limits.maxConcurrent + limits.maxQueue
        retryAfterSeconds = limits.retryAfterSeconds
        self.metrics = metrics
    }

    /// Requests admitted and not yet answered or skipped.
    var waiting: Int { admitted.withLockedValue { $0 } }

    /// Requests whose client went away while they waited, and those of them skipped since (tests read these).
    var abandoned: (heard: Int, skipped: Int) { abandonment.withLockedValue { $0 } }
    private let abandonment = NIOLockedValueBox((heard: 0, skipped: 0))

    /// Where one admitted request stands.
    private enum Turn { case waiting, abandoned, started }

    /// `work`'s value, computed on `queue` (on `bulkQueue` when `textBytes`, the UTF-8 size of the text it tokenizes,
    /// is over `bulkBytes`) while the caller waits holding no thread; 429 when `capacity` requests are already
    /// admitted. `onClose` registers what to call when the client goes away: from then on, `work` is skipped if it
    /// has not started (the caller gets `CancellationError`); so is it when the calling task is cancelled.
    func run<Value: Sendable>(textBytes: Int, onClose: (@escaping @Sendable () -> Void) -> Void,
                              _ work: @escaping @Sendable () throws(APIError) -> Value) async throws -> Value {
        try await run(on: textBytes > bulkBytes ? bulkQueue : queue, onClose: onClose, work)
    }

    /// `work`, the parsing of a request body over `bulkBytes`, on `parseQueue`: admitted, and skipped when the client
    /// goes away, as `run(textBytes:onClose:_:)`'s work; apart from the tokenizing, so that a body with a large image
    /// (3 MB parse in about 0.06 s) does not wait for a large text to be tokenized.
    func parse<Value: Sendable>(onClose: (@escaping @Sendable () -> Void) -> Void,
                                _ work: @escaping @Sendable () throws(APIError) -> Value) async throws -> Value {
        try await run(on: parseQueue, onClose: onClose, work)
    }

    private func run<Value: Sendable>(on target: DispatchQueue, onClose: (@escaping @Sendable () -> Void) -> Void,
                                      _ work: @escaping @Sendable () throws(APIError) -> Value) async throws -> Value {
        try admit()
        let turn = NIOLockedValueBox(Turn.waiting)
        let abandon: @Sendable () -> Void = { [abandonment] in
            let heard = turn.withLockedValue { (turn: inout Turn) -> Bool in
                guard turn == .waiting else { return false }
                turn = .abandoned
                return true
            }
            if heard { abandonment.withLockedValue { $0.heard += 1 } }
        }
        onClose(abandon)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                target.async { [self] in
                    let skip = turn.withLockedValue { (turn: inout Turn) -> Bool in
                        guard turn == .waiting else { return true }
                        turn = .started
                        return false
                    }
                    let result: Result<Value, any Error>
                    if skip {
                        abandonment.withLockedValue { $0.skipped += 1 }
                        result = .failure(CancellationError())
                    } else {
                        result = Result { () throws(APIError) in try work() }.mapError { $0 as any Error }
                    }
                    // The place is free before the caller hears: a client that has its answer never finds it taken.
                    release()
                    continuation.resume(with: result)
                }
            }
        } onCancel: {
            abandon()
        }
    }

    private func admit() throws(APIError) {
        // The gauge is written under the lock: written after it, a thread preempted between the two could land an
        // older count last (a clean-clone CI read 1 with 2 admitted).
        let isAdmitted = admitted.withLockedValue { [metrics, capacity] (count: inout Int) -> Bool in
            guard count < capacity else { return false }
            count += 1
            metrics.tokenizerRequests.set(Double(count))
            return true
        }
        guard isAdmitted else {
            throw APIError(.tooManyRequests, "the server is busy: \(capacity) requests are waiting to be parsed or tokenized, or being so, the most it admits (max concurrent + max queue)",
                           type: "rate_limit_error", code: "queue_full", retryAfter: retryAfterSeconds)
        }
    }

    private func release() {
        admitted.withLockedValue { [metrics] (count: inout Int) in
            count -= 1
            metrics.tokenizerRequests.set(Double(count))
        }
    }
}
