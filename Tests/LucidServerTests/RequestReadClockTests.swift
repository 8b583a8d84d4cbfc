import Synchronization
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Hummingbird
@testable import LucidServer
import Testing

/// `RequestReadClock` in virtual time, on the HTTP/1 pipeline `lucid serve` uses (NIO's decoder, Hummingbird's part
/// types): it counts only the server's waits for a request's bytes, and each request starts a fresh count.
@Suite("request read clock")
struct RequestReadClockTests {
    /// How many times a clock closed its connection.
    final class Timeouts: Sendable {
        let count = Mutex(0)
    }

    /// An embedded connection with the clock after HTTP decoding (2 s), as `ChatServer.httpServer` puts it.
    static func connection(_ timeouts: Timeouts = Timeouts()) throws -> (EmbeddedChannel, EmbeddedEventLoop) {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: false)
        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
        try channel.pipeline.syncOperations.addHandler(RequestReadClock.PartsSide(limit: .seconds(2)) { timeouts.count.withLock { $0 += 1 } })
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()  // active, as an accepted connection
        return (channel, loop)
    }

    /// The server asks for bytes, the client takes `milliseconds`, then sends `text` (if the connection is open).
    static func wait(_ milliseconds: Int64, then text: String, on channel: EmbeddedChannel, _ loop: EmbeddedEventLoop) throws {
        channel.read()
        loop.advanceTime(by: .milliseconds(milliseconds))
        if channel.isActive { try channel.writeInbound(ByteBuffer(string: text)) }
    }

    @Test func aRequestWhoseBytesTakeLongerThanTheLimitInAllIsClosedThoughNoWaitIsLongAndCounted() throws {
        let timeouts = Timeouts()
        let (channel, loop) = try Self.connection(timeouts)
        try Self.wait(30_000, then: "POST /v1/completions HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\n", on: channel, loop)  // idle: not counted
        for _ in 0..<3 { try Self.wait(600, then: "x", on: channel, loop) }
        #expect(channel.isActive, "1.8 s of waits closed it")
        channel.read()
        loop.advanceTime(by: .milliseconds(199))
        #expect(channel.isActive, "closed 1 ms before 2 s of waits")
        loop.advanceTime(by: .milliseconds(2))
        #expect(!channel.isActive, "still open after 2 s of waits")
        #expect(timeouts.count.withLock { $0 } == 1)
    }

    /// The server answers the request before (NIO holds a pipelined request's reads until then).
    static func answer(_ channel: EmbeddedChannel) throws {
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: "0"])))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
    }

    @Test func timeTheServerDoesNotReadIsNotCountedAndEachRequestStartsAfresh() throws {
        let (channel, loop) = try Self.connection()
        try Self.wait(0, then: "POST /v1/completions HTTP/1.1\r\nHost: a\r\n", on: channel, loop)
        loop.advanceTime(by: .seconds(60))  // no read asked for: the server was busy, not the client slow
        try Self.wait(1000, then: "Content-Length: 2\r\n\r\nx", on: channel, loop)
        try Self.wait(900, then: "y", on: channel, loop)  // 1.9 s of waits: the request is whole
        try Self.wait(0, then: "GET /health HTTP/1.1\r\n", on: channel, loop)  // pipelined behind the unanswered POST
        channel.read()  // NIO holds it until the POST is answered
        loop.advanceTime(by: .seconds(10))
        #expect(channel.isActive, "the clock counted a wait in which the server did not read")
        try Self.answer(channel)  // the held read goes on, and is counted
        loop.advanceTime(by: .milliseconds(1500))
        try channel.writeInbound(ByteBuffer(string: "Host: a\r\n\r\n"))
        try Self.answer(channel)
        for _ in 0..<3 {
            try Self.wait(1500, then: "GET /health HTTP/1.1\r\nHost: a\r\n\r\n", on: channel, loop)
            try Self.answer(channel)
        }
        #expect(channel.isActive, "a later request inherited the waits of one before")
        try Self.wait(0, then: "GET /health HTTP/1.1\r\n", on: channel, loop)
        try Self.wait(2001, then: "Host: a\r\n\r\n", on: channel, loop)
        #expect(!channel.isActive, "a request's head waited 2 s and the connection stayed open")
    }
}
