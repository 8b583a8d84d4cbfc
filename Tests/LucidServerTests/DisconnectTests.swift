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
    /// Sends a complete HTTP POST of `body` to `path` on a fresh loopback connection and returns it, unread (the
    /// caller closes it).
    static func send(port: Int, path: String = "/v1/chat/completions", body: ByteBuffer) throws -> Int32 {
        let descriptor = try loopbackSocket(port: port)
        var sent = false
        defer { if !sent { close(descriptor) } }
        let payload = String(buffer: body)
        let request = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(payload.utf8.count)\r\n\r\n" + payload
        let bytes = Array(request.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw POSIXError(.EPIPE) }
            offset += n
        }
        sent = true
        return descriptor
    }

    /// Polls `condition` every 10 ms, at most `limit` times; returns whether it came true.
    static func eventually(_ limit: Int = 3000, _ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<limit {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    /// The connection closes once its generation is queued for the (paused) model: the worker drops it unstarted.
    @Test(arguments: [false, true])
    func aClientThatHangsUpCancelsItsQueuedGeneration(stream: Bool) async throws {
        let server = try TestServer()
        let worker = server.server.worker
        worker.pause()
        let (seen, drained, afterwards) = try await server.test(.live) { client in
            let port = try #require(client.port)
            let connection = try Self.send(port: port, body: chatBody("a story", extra: ["max_tokens": 32, "stream": .bool(stream)]))
            #expect(try await Self.eventually { worker.inFlight == 1 })
            close(connection)
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

    /// The connection closes while its prompt waits to be tokenized (the tokenizer line held): the line skips it, so it
    /// never reaches the model, and `/metrics` counts it as 499, not as a server error.
    @Test func aClientThatHangsUpBeforeItsPromptIsTokenizedNeverReachesTheModel() async throws {
        let (server, queue, line, worker) = try TestServer.heldTokenizer()
        let (heard, skipped, metrics) = try await server.test(.live) { client in
            let port = try #require(client.port)
            let connection = try Self.send(port: port, body: chatBody("a story", extra: ["max_tokens": 32]))
            #expect(try await Self.eventually { line.waiting == 1 })
            close(connection)
            let heard = try await Self.eventually { line.abandoned.heard == 1 }
            queue.resume()
            let skipped = try await Self.eventually { line.abandoned.skipped == 1 && line.waiting == 0 }
            #expect(worker.inFlight == 0)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            return (heard, skipped, String(buffer: metrics.body))
        }
        #expect(heard, "the line never learned that the client closed its connection")
        #expect(skipped)
        #expect(metrics.contains("lucid_requests_total{status=\"499\"} 1") && !metrics.contains("status=\"500\""), "\(metrics)")
        #expect(metrics.contains("lucid_generated_tokens_total 0"), "\(metrics)")
    }

    /// A generation cancelled after its first tokens still counts them in `lucid_generated_tokens_total`, as vLLM's
    /// counter counts every token generated (before session 51 a cancelled generation counted none). The cancellation
    /// comes from the consumer at the first streamed token; should a loaded machine let the generation run to its end
    /// first, the attempt is repeated (at most 5).
    @Test func aCancelledGenerationsTokensAreCounted() async throws {
        var limits = TestServer.limits
        limits.maxTokens = 400  // shapes-tiny reads 512 positions: far more steps than the cancellation takes to land
        let server = try TestServer(limits: limits)
        let worker = server.server.worker
        defer { worker.stop() }
        func counted() -> Int {
            var buffer: [UInt8] = []
            worker.metrics.registry.emit(into: &buffer)
            let line = String(decoding: buffer, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("lucid_generated_tokens_total ") }
            return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        }
        let request = try ChatRequest(json: .object(["messages": .array([.object(["role": "user", "content": "a story"])]),
                                                     "max_tokens": 400, "ignore_eos": true]), limits: limits)
        var cancelledMidway = false
        for _ in 0..<5 where !cancelledMidway {
            let before = counted()
            let job = GenerationJob(chat: request, prompt: try worker.encodePrompt(.chat(request)), images: [], choice: 0, timeoutSeconds: 600)
            try worker.submit([job])
            var deltas = 0, finished = false
            for await event in job.events {
                switch event {
                case .delta: deltas += 1; job.cancel()
                case .finished: finished = true
                default: break
                }
            }
            guard deltas >= 1, !finished else { continue }
            cancelledMidway = true
            #expect(counted() - before >= deltas, "\(deltas) tokens streamed, \(counted() - before) counted")
        }
        #expect(cancelledMidway, "each generation ran to its end before its cancellation reached it")
    }
}
