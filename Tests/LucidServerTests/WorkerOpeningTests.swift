import Foundation
import HummingbirdTesting
import LucidPipeline
@testable import LucidServer
import Testing

/// `ModelWorker.opening`: the model is opened on the thread that then decodes it.
@Suite("opening the model on the worker thread", .serialized)
struct WorkerOpeningTests {
    /// The thread `open` ran on, seen from outside.
    final class Seen: @unchecked Sendable {
        let lock = NSLock()
        var openThread: Thread?
    }

    struct OpenFailed: Error {}

    @Test func theWorkerDecodesOnTheThreadThatOpenedTheModel() async throws {
        let seen = Seen()
        let worker = try ModelWorker.opening(limits: TestServer.limits, metrics: ServerMetrics()) {
            seen.lock.withLock { seen.openThread = Thread.current }
            let opened = try ModelRegistry.standard.open("shapes-tiny")
            return (opened, try ModelRegistry.standard.tokenizer(for: "shapes-tiny"))
        }
        let server = try ChatServer(options: ServerOptions(modelID: "shapes-tiny", limits: TestServer.limits), worker: worker)
        let response = try await TestServer.run(server) { client in
            try await client.execute(uri: "/v1/chat/completions", method: .post, headers: jsonHeaders,
                                     body: chatBody("What shapes are in the picture?", extra: ["max_tokens": .int(4)]))
        }
        #expect(response.status == .ok)
        let openThread = try #require(seen.lock.withLock { seen.openThread })
        // The worker serves on the thread that opened the model and started no other.
        #expect(worker.workerThread === openThread)
    }

    @Test func anErrorWhileOpeningIsRethrown() throws {
        #expect(throws: OpenFailed.self) {
            _ = try ModelWorker.opening(limits: TestServer.limits, metrics: ServerMetrics()) { throw OpenFailed() }
        }
    }
}
