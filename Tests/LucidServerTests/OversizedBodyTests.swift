import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import LucidServer
import Testing

/// A body over the size limit gets its 413 whatever the client does with the connection, and a server never
/// reads an endless one.
@Suite("oversized bodies", .serialized)
struct OversizedBodyTests {
    /// `chunks` as a body, counting the chunks read.
    final class CountedBody: AsyncSequence, @unchecked Sendable {
        typealias Element = ByteBuffer
        let chunks: [ByteBuffer]
        private(set) var read = 0
        init(_ sizes: [Int]) { chunks = sizes.map { ByteBuffer(repeating: UInt8(ascii: "a"), count: $0) } }

        struct AsyncIterator: AsyncIteratorProtocol {
            let body: CountedBody
            mutating func next() async -> ByteBuffer? {
                guard body.read < body.chunks.count else { return nil }
                defer { body.read += 1 }
                return body.chunks[body.read]
            }
        }
        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }
    }

    @Test func aBodyUpToTheLimitIsReadWholeAndOneOverItIsDrainedToItsEnd() async throws {
        let exact = CountedBody([40, 60])
        #expect(try await RequestBodyReader.read(exact, limit: 100, drainBytes: 50) == .body(ByteBuffer(repeating: UInt8(ascii: "a"), count: 100)))
        let over = CountedBody([40, 61, 30, 10])
        #expect(try await RequestBodyReader.read(over, limit: 100, drainBytes: 50) == .tooLarge(drained: true))
        #expect(over.read == 4, "the rest of the body is read, so a client sending it all before reading hears the 413")
        let firstChunkOver = CountedBody([101])
        #expect(try await RequestBodyReader.read(firstChunkOver, limit: 100, drainBytes: 50) == .tooLarge(drained: true))
    }

    @Test func aBodyPastTheDrainBoundIsGivenUpWithoutReadingTheRest() async throws {
        let endless = CountedBody([60, 60, 20, 20, 20, 20, 20, 20])
        #expect(try await RequestBodyReader.read(endless, limit: 100, drainBytes: 50) == .tooLarge(drained: false))
        #expect(endless.read == 4, "60 + 60 + 20 + 20 is 60 past the limit, over the 50 drained: nothing more is read")
    }

    /// Posts `bodyBytes` bytes to `path` with `Connection: close`, sending all of it before reading (as Python's urllib
    /// does), each socket call given `seconds`; returns the `errno` of the send that failed (nil when the whole body
    /// went: EAGAIN when a send timed out, EPIPE or ECONNRESET when the server closed the connection) and what came back.
    static func postThenRead(port: Int, path: String, bodyBytes: Int, seconds: Int = 20) throws -> (sendError: Int32?, response: String) {
        let descriptor = try loopbackSocket(port: port, timeoutSeconds: seconds)
        defer { close(descriptor) }
        let head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: \(bodyBytes)\r\n\r\n"
        let bytes = Array(head.utf8) + [UInt8](repeating: UInt8(ascii: " "), count: bodyBytes)
        var offset = 0
        var sendError: Int32?
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, min($0.count, 1 << 16), Int32(MSG_NOSIGNAL)) }
            guard n > 0 else {
                sendError = errno
                break
            }
            offset += n
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            response += chunk[0..<n]
        }
        return (sendError, String(decoding: response, as: UTF8.self))
    }

    /// Before, a `Connection: close` client's oversized body filled the socket buffers and both sides waited until the
    /// client's timeout; now the server reads the rest, answers 413 and closes.
    @Test func aConnectionCloseClientSendingAnOversizedBodyGetsItsAnswer() async throws {
        var limits = TestServer.limits
        limits.maxBodyBytes = 4096
        let (result, after) = try await TestServer(limits: limits).test(.live) { client in
            let port = try #require(client.port)
            let result = try await onOwnThread { try Self.postThenRead(port: port, path: "/v1/chat/completions", bodyBytes: 24 << 20) }
            let after = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders, body: chatBody("hi", extra: ["max_tokens": 2]))
            return (result, after.status)
        }
        #expect(result.sendError == nil, "the whole body was read (errno \(result.sendError.map(String.init) ?? "none"): EAGAIN is a send that timed out)")
        #expect(result.response.hasPrefix("HTTP/1.1 413") && result.response.contains("body_too_large"), "\(result.response.prefix(300))")
        #expect(after == .ok)
    }

    @Test func aBodyPastTheDrainBoundClosesTheConnection() async throws {
        var limits = TestServer.limits
        limits.maxBodyBytes = 4096
        let (result, after) = try await TestServer(limits: limits, drainBytes: 1 << 20).test(.live) { client in
            let port = try #require(client.port)
            let result = try await onOwnThread { try Self.postThenRead(port: port, path: "/v1/chat/completions", bodyBytes: 24 << 20) }
            let after = try await client.execute(uri: "/health", method: .get)
            return (result.sendError, after.status)
        }
        #expect(result == EPIPE || result == ECONNRESET, "the server closed the connection rather than leave the send to time out (errno \(result.map(String.init) ?? "none"), EAGAIN \(EAGAIN))")
        #expect(after == .ok)
    }
}
