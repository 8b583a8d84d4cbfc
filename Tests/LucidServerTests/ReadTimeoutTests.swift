import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import HummingbirdTesting
@testable import LucidServer
import Testing

/// A client that takes longer than the read timeout to send one request is closed even when it never falls silent
/// for the idle timeout (slowloris). What the clock counts, in virtual time: RequestReadClockTests; a request read
/// whole and waiting for the model past the read timeout: IdleConnectionTests; every other live server test runs
/// with the clock in place.
@Suite("request read timeout", .serialized)
struct ReadTimeoutTests {
    /// Connects, sends `start`, then a byte every 0.25 s (a 16th of the idle timeout) for up to 30 s: the bytes sent
    /// and the seconds since `start` when a send failed (the server closed the connection), or nil when all went
    /// through. Blocking: run it `onOwnThread`.
    static func trickle(port: Int, start: String) throws -> (sent: Int, seconds: Double)? {
        let descriptor = try loopbackSocket(port: port, timeoutSeconds: 10)
        defer { close(descriptor) }
        let begun = Date()
        guard sendAll(descriptor, Array(start.utf8)) else { return (0, 0) }
        for index in 1...120 {
            Thread.sleep(forTimeInterval: 0.25)
            if !sendAll(descriptor, [UInt8(ascii: "a")]) { return (index, Date().timeIntervalSince(begun)) }
        }
        return nil
    }

    /// A trickled body needs the read timeout: each byte is a body part, activity to Hummingbird's idle timeout (without
    /// `RequestReadClock` the connection was still open after 30 s). A trickled head is closed by the idle timeout
    /// too, which counts decoded parts, and a head yields none until it is whole. The server cannot close either before
    /// 2 s of waiting for its bytes have passed, so at least 2 s of trickling went by.
    @Test(arguments: ["head", "body"])
    func aClientTricklingJustInsideTheIdleTimeoutIsClosedAtTheReadTimeout(part: String) async throws {
        let start = part == "head" ? "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
            : "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"a\":\""
        let (trickled, metrics) = try await TestServer(limits: TestServer.limits(idle: 4, read: 2)).test(.live) { client in
            let port = try #require(client.port)
            let trickled = try await onOwnThread { try Self.trickle(port: port, start: start) }
            return (trickled, String(buffer: try await client.execute(uri: "/metrics", method: .get).body))
        }
        let closed = try #require(trickled, "the connection was still open after 30 s of trickling")
        #expect(closed.sent > 0, "the connection failed before trickling began")
        #expect(closed.seconds >= 2, "closed after \(closed.seconds) s, before the read timeout could pass")
        if part == "body" {  // the head may be closed by either timeout
            #expect(metrics.contains("lucid_read_timeouts_total 1"), "\(metrics)")
        }
    }

    @Test func theReadTimeoutIsChecked() throws {
        for bad in [0, -1, .nan, .infinity, 86_401] as [Double] {
            #expect(throws: ServerSetupError.self, "\(bad)") { try TestServer.limits(idle: 60, read: bad).validate() }
        }
        try TestServer.limits(idle: 60, read: 0.5).validate()
    }
}
