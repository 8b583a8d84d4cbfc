import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns SIGINT and SIGTERM into a request to stop after the current item.
///
/// While installed, the first signal is recorded (`received`) and the run stops once the item in
/// progress is written; the process should then exit with `128 + signal` (130 for Ctrl-C, 143 for
/// the SIGTERM that Slurm and Kubernetes send before killing). A second SIGINT exits at once with
/// 130: every finished item is already on disk, so only the current one is lost.
public final class InterruptMonitor: @unchecked Sendable {
    private let mutex = NSLock()
    private var signalReceived: Int32?
    private var sources: [DispatchSourceSignal] = []
    private let signals: [Int32]

    /// Installs handlers for `signals` (default SIGINT and SIGTERM) until `uninstall` or deinit.
    public init(signals: [Int32] = [SIGINT, SIGTERM]) {
        self.signals = signals
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.handle(number) }
            source.resume()
            sources.append(source)
        }
    }

    deinit { uninstall() }

    /// The first signal received, if any.
    public var received: Int32? {
        mutex.lock()
        defer { mutex.unlock() }
        return signalReceived
    }

    /// Records `number` as if it had been delivered (for tests and for callers that stop a run themselves).
    public func handle(_ number: Int32) {
        mutex.lock()
        let first = signalReceived == nil
        if first { signalReceived = number }
        mutex.unlock()
        if first {
            let name = number == SIGINT ? "interrupt" : "signal \(number)"
            FileHandle.standardError.write(Data("\n\(name): stopping after the current item (Ctrl-C again to stop now)\n".utf8))
        } else if number == SIGINT {
            FileHandle.standardError.write(Data("\ninterrupted again: exiting now\n".utf8))
            exit(130)
        }
    }

    /// Restores the default handlers.
    public func uninstall() {
        mutex.lock()
        let installed = sources
        sources = []
        mutex.unlock()
        guard !installed.isEmpty else { return }
        installed.forEach { $0.cancel() }
        signals.forEach { signal($0, SIG_DFL) }
    }
}
