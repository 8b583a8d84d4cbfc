import Foundation
import LucidRuns
@testable import LucidServer
import NIOConcurrencyHelpers
import Testing

/// `TokenizerLine` drops a request whose client went away, or whose task was cancelled, before its turn: its work
/// never runs, the caller gets `CancellationError`, and it stops counting against the admission limit.
@Suite("tokenizer line")
struct TokenizerLineTests {
    /// A line of capacity 2 over a held queue, and what each run's work and close action did.
    struct Held {
        let queue = DispatchQueue(label: "lucid.test.tokenizer-line")
        let line: TokenizerLine
        let ran = NIOLockedValueBox(0)
        let closers = NIOLockedValueBox<[@Sendable () -> Void]>([])

        init() {
            var limits = ServerLimits()
            (limits.maxConcurrent, limits.maxQueue) = (1, 1)
            line = TokenizerLine(queue: queue, limits: limits, metrics: ServerMetrics())
            queue.suspend()
        }

        func run() async throws -> JSONValue {
            try await line.run(onClose: { action in closers.withLockedValue { $0.append(action) } }) { () throws(APIError) in
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
}
