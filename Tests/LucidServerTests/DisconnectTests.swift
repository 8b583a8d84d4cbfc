import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import HummingbirdTesting
@testable import LucidServer
import Testing

/// A client that goes away cancels its generation: nothing decodes for nobody and the slot is freed.
@Suite("client disconnects", .serialized)
struct DisconnectTests {
    /// Sends a complete HTTP request on a fresh loopback connection, then closes it without reading.
    static func sendAndHangUp(port: Int, body: ByteBuffer) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        let payload = String(buffer: body)
        let request = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(payload.utf8.count)\r\n\r\n" + payload
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw POSIXError(.EPIPE) }
            sent += n
        }
    }

    /// Polls `condition` every 10 ms, at most `limit` times; returns whether it came true.
    static func eventually(_ limit: Int = 3000, _ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<limit {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test(arguments: [false, true])
    func aClientThatHangsUpCancelsItsQueuedGeneration(stream: Bool) async throws {
        let server = try TestServer()
        let worker = server.server.worker
        worker.pause()
        let (seen, drained, afterwards) = try await server.test(.live) { client in
            let port = try #require(client.port)
            try Self.sendAndHangUp(port: port, body: chatBody("a story", extra: ["max_tokens": 32, "stream": .bool(stream)]))
            #expect(try await Self.eventually { worker.inFlight == 1 })
            let seen = try await Self.eventually { worker.waitingCancelled == 1 }
            worker.resume()
            let drained = try await Self.eventually { worker.inFlight == 0 }
            let afterwards = try await postSlowly(port: port, body: chatBody("hi", extra: ["max_tokens": 2]))
            return (seen, drained, afterwards)
        }
        #expect(seen, "the worker never learned that the client closed its connection")
        #expect(drained)
        #expect(afterwards.status == 200)
    }
}
