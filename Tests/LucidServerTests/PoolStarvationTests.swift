import Foundation
import Hummingbird
import HummingbirdTesting
@testable import LucidServer
import Testing

/// A live test server answers while every thread of Swift's cooperative pool is blocked by
/// synchronous work elsewhere in the process (what long tests do to each other in `make test`).
@Suite("live server tests and a blocked cooperative pool", .serialized)
struct PoolStarvationTests {
    /// How many blockers hold a thread now, and whether they may stop.
    final class Blockers: @unchecked Sendable {
        private let lock = NSLock()
        private var holding = 0
        private var released = false

        var running: Int { lock.withLock { holding } }
        func release() { lock.withLock { released = true } }
        var isReleased: Bool { lock.withLock { released } }

        /// Holds a cooperative thread, without suspending, until released or `limit` passes.
        func block(limit: TimeInterval) {
            lock.withLock { holding += 1 }
            defer { lock.withLock { holding -= 1 } }
            let deadline = Date().addingTimeInterval(limit)
            while !isReleased && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        }
    }

    @Test func aLiveServerAnswersWhileEveryCooperativeThreadIsBlocked() async throws {
        let width = ProcessInfo.processInfo.activeProcessorCount
        let blockers = Blockers()
        let tasks = (0..<width).map { _ in Task.detached { blockers.block(limit: 600) } }
        defer { blockers.release() }
        let (allBlocked, status) = try await TestServer().test(.live) { client -> (Bool, HTTPResponse.Status) in
            // Waits (on the test executor's threads) until every pool thread is held; a blocker may
            // start only when a long test elsewhere in the suite gives its thread back.
            var polls = 0
            while blockers.running < width && polls < 60000 {
                try await Task.sleep(for: .milliseconds(10))
                polls += 1
            }
            let allBlocked = blockers.running == width
            let response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders,
                                                    body: chatBody("hi", extra: ["max_tokens": 2]))
            // Still held: the answer came while the pool could run nothing.
            let stillBlocked = blockers.running == width
            blockers.release()
            return (allBlocked && stillBlocked, response.status)
        }
        for task in tasks { await task.value }
        #expect(allBlocked, "the answer came only after the blockers gave up: the server shares the blocked pool")
        #expect(status == .ok)
    }
}
