import LucidSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What one pass of `RunExecutor.run` did.
public struct RunSummary: Sendable, Equatable {
    /// Items in this process's share (its shard, or the whole run).
    public var total: Int
    /// Items that already had a result when the pass started.
    public var alreadyDone: Int
    /// Items that succeeded in this pass.
    public var succeeded: Int
    /// Items that failed in this pass (error lines written; they run again on the next resume).
    public var failed: Int
    /// The signal that stopped the pass before all pending items were tried (task cancellation counts as SIGINT).
    public var interruptedBy: Int32?

    /// Items still without a result.
    public var remaining: Int { total - alreadyDone - succeeded }

    /// The exit status for a command: `128 + signal` when interrupted, 1 when items failed, else 0.
    public var exitCode: Int32 {
        if let interruptedBy { return 128 + interruptedBy }
        return failed > 0 ? 1 : 0
    }
}

/// Runs the pending work items of a store in order, writing each result as soon as it is known.
///
/// The workload is a closure from a `WorkItem` to a JSON result; whatever it throws is written as
/// an error line for that item, and the pass goes on with the next one. Failed items are not
/// retried within a pass: they are pending again on the next resume. The pass stops early, after
/// the item in progress has been written, when the `InterruptMonitor` has seen a signal or the
/// task is cancelled.
public struct RunExecutor: Sendable {
    public let store: ResultStore
    public let progress: ProgressReporter?
    public let interruption: InterruptMonitor?

    public init(store: ResultStore, progress: ProgressReporter? = nil, interruption: InterruptMonitor? = nil) {
        self.store = store
        self.progress = progress
        self.interruption = interruption
    }

    /// Runs the items of `items` that have no successful result yet, in order.
    ///
    /// `work` runs in the caller's isolation, so it may use non-`Sendable` state such as a
    /// loaded model. Throws only when a result cannot be written (the run cannot continue safely).
    public func run(_ items: [WorkItem], isolation: isolated (any Actor)? = #isolation,
                    _ work: (WorkItem) async throws -> JSONValue) async throws(RunError) -> RunSummary {
        let pending = store.pending(items)
        var summary = RunSummary(total: items.count, alreadyDone: items.count - pending.count, succeeded: 0, failed: 0)
        progress?.start(total: summary.total, alreadyDone: summary.alreadyDone)
        for item in pending {
            if let signal = interruption?.received {
                summary.interruptedBy = signal
                break
            }
            if Task.isCancelled {
                summary.interruptedBy = SIGINT
                break
            }
            let start = ContinuousClock.now
            let outcome: ResultRecord.Outcome
            do {
                outcome = .success(try await work(item))
            } catch {
                outcome = .failure(String(describing: error))
            }
            try store.append(ResultRecord(item: item, outcome: outcome, elapsedSeconds: start.duration(to: .now).seconds))
            if case .success = outcome { summary.succeeded += 1 } else { summary.failed += 1 }
            progress?.itemFinished(succeeded: outcome.isSuccess)
        }
        progress?.finish(interrupted: summary.interruptedBy != nil)
        return summary
    }
}

extension ResultRecord.Outcome {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
