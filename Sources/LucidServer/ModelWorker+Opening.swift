import Foundation
import Logging
import LucidPipeline
import LucidText

extension ModelWorker {
    /// Opens the model on the thread that will decode it, and returns its worker once it serves there.
    ///
    /// libtorch's OpenMP (the wheel's libgomp) gives each thread that starts a parallel region its own
    /// pool of workers. Opening a model runs such regions (dtype conversion, adapter merges), so a
    /// model opened on one thread and decoded on another leaves two pools; with more pooled threads
    /// than cores libgomp stops spin-waiting between regions and wakes its workers through the kernel,
    /// once per parallel region, hundreds of times per decoded token. `lucid generate` opens and
    /// decodes on one thread; `lucid serve` does the same through this (docs/serve.md).
    ///
    /// `open` runs on the new thread; an error it throws is rethrown here and no thread is left running.
    public static func opening(limits: ServerLimits, metrics: ServerMetrics, logger: Logger = Logger(label: "lucid.serve.worker"),
                               _ open: @escaping @Sendable () throws -> (OpenedModel, Tokenizer)) throws -> ModelWorker {
        let handoff = Handoff()
        let thread = Thread {
            let worker: ModelWorker
            do {
                let (opened, tokenizer) = try open()
                worker = ModelWorker(opened: opened, tokenizer: tokenizer, limits: limits, metrics: metrics, logger: logger)
            } catch {
                handoff.put(.failure(error))
                return
            }
            worker.claimCurrentThread()
            handoff.put(.success(worker))
            worker.serveOnClaimedThread()
        }
        thread.name = "lucid-model"
        thread.stackSize = 16 << 20
        thread.start()
        return try handoff.take().get()
    }

    /// One value passed from the opening thread to the caller.
    private final class Handoff: @unchecked Sendable {
        private let condition = NSCondition()
        private var result: Result<ModelWorker, any Error>?

        func put(_ value: Result<ModelWorker, any Error>) {
            condition.withLock {
                result = value
                condition.signal()
            }
        }

        func take() -> Result<ModelWorker, any Error> {
            condition.lock()
            defer { condition.unlock() }
            while result == nil { condition.wait() }
            return result ?? .failure(CancellationError())
        }
    }
}
