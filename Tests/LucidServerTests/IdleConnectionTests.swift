import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import HummingbirdTesting
@testable import LucidServer
import Testing

/// A connection that sends nothing is closed after the idle timeout, so abandoned connections and stalled
/// requests do not hold the server's descriptors for ever; a request waiting for the model is never closed for it.
@Suite("idle connections", .serialized)
struct IdleConnectionTests {
    /// Opens a loopback connection, sends `bytes`, then waits up to 10 s for the server: the `recv` result (0: the
    /// server closed the connection), its `errno` when negative (EAGAIN: still open after 10 s), and what it read.
    static func sendThenWait(port: Int, _ bytes: [UInt8]) throws -> (received: Int, error: Int32, text: String) {
        let descriptor = try loopbackSocket(port: port, timeoutSeconds: 10)
        defer { close(descriptor) }
        if !bytes.isEmpty {
            guard sendAll(descriptor, bytes) else { throw POSIXError(.EPIPE) }
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let received = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        let error = received < 0 ? errno : 0
        return (received, error, String(decoding: buffer.prefix(max(0, received)), as: UTF8.self))
    }

    @Test func aSilentConnectionAndARequestWhoseBodyStopsComingAreClosed() async throws {
        let (silent, stalled, after) = try await TestServer(limits: TestServer.limits(idle: 0.5)).test(.live) { client in
            let port = try #require(client.port)
            let silent = try await onOwnThread { try Self.sendThenWait(port: port, []) }
            let head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"mess"
            let stalled = try await onOwnThread { try Self.sendThenWait(port: port, Array(head.utf8)) }
            // A fresh connection: the test client's own kept-alive one was idle too, and is closed.
            let after = try await onOwnThread { try Self.sendThenWait(port: port, Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)) }
            return (silent, stalled, after.text)
        }
        #expect(silent.received == 0, "closed, not still open after 10 s (errno \(silent.error), EAGAIN \(EAGAIN))")
        #expect(stalled.received == 0 || stalled.error == ECONNRESET, "\(stalled), EAGAIN \(EAGAIN)")
        #expect(after.hasPrefix("HTTP/1.1 200"), "\(after)")
    }

    @Test func aRequestWaitingForTheModelLongerThanTheIdleAndReadTimeoutsIsAnswered() async throws {
        let server = try TestServer(limits: TestServer.limits(idle: 0.2, read: 0.2))  // neither counts a request read whole
        let worker = server.server.worker
        worker.pause()
        let status = try await server.test(.live) { client in
            // postSlowly waits up to 10 minutes for the answer: HummingbirdTesting's client gives up after 15 s without
            // a byte, which a busy suite can take (an official CI run did), so only the server closing the connection
            // fails this test.
            async let answer = postSlowly(port: try #require(client.port), body: chatBody("hi", extra: ["max_tokens": 2]))
            try #require(await DisconnectTests.eventually(30_000) { worker.inFlight == 1 }, "the request never reached the model")
            try await Task.sleep(for: .seconds(1))  // five of each timeout with the request read and waiting
            worker.resume()
            return try await answer.status
        }
        #expect(status == 200)
    }

    @Test func theIdleTimeoutIsChecked() throws {
        for bad in [0, -1, .nan, .infinity, 86_401] as [Double] {
            #expect(throws: ServerSetupError.self, "\(bad)") { try TestServer.limits(idle: bad).validate() }
        }
        try TestServer.limits(idle: 0.5).validate()
    }
}
