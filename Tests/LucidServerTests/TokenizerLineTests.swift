import Foundation
import LucidRuns
@testable import LucidServer
import NIOConcurrencyHelpers
import Testing

/// `TokenizerLine` drops a request whose client went away, or whose task was cancelled, before its turn: its work
/// never runs, the caller gets `CancellationError`, and it stops counting against the admission limit. A large text
/// waits on a line of its own, never in front of a short one.
@Suite("tokenizer line")
struct TokenizerLineTests {
    /// A line of capacity 2 over a held queue (and a bulk queue for texts over 100 bytes), and what each run's work
    /// and close action did.
    struct Held {
        let queue = DispatchQueue(label: "lucid.test.tokenizer-line")
        let bulkQueue = DispatchQueue(label: "lucid.test.tokenizer-line.bulk")
        let line: TokenizerLine
        let ran = NIOLockedValueBox(0)
        let closers = NIOLockedValueBox<[@Sendable () -> Void]>([])

        init() {
            var limits = ServerLimits()
            (limits.maxConcurrent, limits.maxQueue) = (1, 1)
            line = TokenizerLine(queue: queue, bulkQueue: bulkQueue, parseQueue: DispatchQueue(label: "lucid.test.parse"), bulkBytes: 100,
                                 limits: limits, metrics: ServerMetrics())
            queue.suspend()
        }

        func run(textBytes: Int = 10) async throws -> JSONValue {
            try await line.run(textBytes: textBytes, onClose: { action in closers.withLockedValue { $0.append(action) } }) { () throws(APIError) in
                ran.withLockedValue { $0 += 1 }
                return .int(1)
            }
        }

        /// Waits until `count` requests are admitted.
        func waitFor(_ count: Int) async throws {
            for _ in 0..<6_000 where line.waiting < count { try await Task.sleep(for: .milliseconds(5)) }
            try #require(line.waiting == count)
        }
    }

    @Test func aRequestWhoseClientHungUpIsSkippedUnstarted() async throws {
        let held = Held()
        let hungUp = Task { try await held.run() }
        let kept = Task { try await held.run() }
        try await held.waitFor(2)
        let closers = held.closers.withLockedValue { $0 }
        try #require(closers.count == 2)
        closers[0]()  // the first request's client goes away while both wait
        held.queue.resume()
        let outcomes = [await hungUp.result, await kept.result]
        let cancelled = outcomes.filter { if case .failure(let error) = $0 { error is CancellationError } else { false } }
        let answered = outcomes.compactMap { try? $0.get() }
        #expect(cancelled.count == 1 && answered == [.int(1)])
        #expect(held.ran.withLockedValue { $0 } == 1)
        #expect(held.line.waiting == 0 && held.line.abandoned == (1, 1))
    }

    @Test func aCancelledTaskIsSkippedAndFreesItsPlace() async throws {
        let held = Held()
        let first = Task { try await held.run() }
        let second = Task { try await held.run() }
        try await held.waitFor(2)
        first.cancel()
        second.cancel()
        held.queue.resume()
        for task in [first, second] { await #expect(throws: CancellationError.self) { try await task.value } }
        #expect(held.ran.withLockedValue { $0 } == 0 && held.line.waiting == 0)
        #expect(try await held.run() == .int(1))
    }

    /// A text over `bulkBytes` is tokenized on the bulk line: while it waits there, a short one is answered, and
    /// both lines count against the one admission limit.
    @Test func aLargeTextWaitsOnItsOwnLineNotInFrontOfShortOnes() async throws {
        let held = Held()
        held.queue.resume()
        held.bulkQueue.suspend()
        let large = Task { try await held.run(textBytes: 101) }
        try await held.waitFor(1)
        #expect(try await held.run(textBytes: 100) == .int(1))
        #expect(held.ran.withLockedValue { $0 } == 1 && held.line.waiting == 1)
        // The lines share one admission limit (2): the large one and a short one waiting leave no place for a third.
        held.queue.suspend()
        let short = Task { try await held.run() }
        try await held.waitFor(2)
        await #expect(throws: APIError.self) { try await held.run() }
        held.queue.resume()
        #expect(try await short.value == .int(1))
        held.bulkQueue.resume()
        #expect(try await large.value == .int(1))
        #expect(held.ran.withLockedValue { $0 } == 3 && held.line.waiting == 0)
    }
}
