import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress of a run: an updating bar on a terminal, plain periodic lines in a log file.
///
/// Counts are of the items this process runs (its shard); items already done when it started
/// count as done but not towards the rate, so the ETA after a resume reflects the real speed.
/// The bar is redrawn at most ten times a second; in `.lines` style a line is printed when an
/// item finishes and `everyItems` items or `everySeconds` seconds have passed since the last line,
/// and once at the end.
public final class ProgressReporter: @unchecked Sendable {
    /// How progress is shown.
    public enum Style: Sendable, Equatable {
        /// One line redrawn in place (`\r`), for a terminal.
        case bar
        /// A line now and then, for logs (Slurm output files, `kubectl logs`).
        case lines(everyItems: Int, everySeconds: Double)
    }

    public let style: Style
    let label: String
    let output: @Sendable (String) -> Void
    let clock: @Sendable () -> Double
    private let mutex = NSLock()
    private var total = 0
    private var alreadyDone = 0
    private var finished = 0
    private var failed = 0
    private var startTime = 0.0
    private var lastOutputTime = 0.0
    private var lastOutputCount = 0

    /// - Parameters:
    ///   - label: printed before the counts (e.g. the run name and shard).
    ///   - output: where text goes (default: standard error); the bar style sends `\r`-prefixed text.
    ///   - clock: seconds on a monotonic clock (injectable for tests).
    public init(style: Style, label: String = "", output: @escaping @Sendable (String) -> Void = ProgressReporter.writeToStandardError,
                clock: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }) {
        self.style = style
        self.label = label
        self.output = output
        self.clock = clock
    }

    /// A bar when standard error is a terminal, otherwise a line every 100 items or 30 seconds.
    public static func automatic(label: String = "") -> ProgressReporter {
        ProgressReporter(style: isatty(STDERR_FILENO) == 1 ? .bar : .lines(everyItems: 100, everySeconds: 30), label: label)
    }

    /// Writes to standard error.
    public static let writeToStandardError: @Sendable (String) -> Void = { text in
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Starts counting: `total` items in this process's share, `alreadyDone` of them done before.
    public func start(total: Int, alreadyDone: Int) {
        mutex.lock()
        defer { mutex.unlock() }
        self.total = total
        self.alreadyDone = alreadyDone
        finished = 0
        failed = 0
        startTime = clock()
        lastOutputTime = startTime
        lastOutputCount = 0
        switch style {
        case .bar: output("\r\u{1B}[2K" + render(now: startTime))
        case .lines: output(render(now: startTime) + "\n")
        }
    }

    /// Counts one finished item (a failure still counts as finished for this pass).
    public func itemFinished(succeeded: Bool) {
        mutex.lock()
        defer { mutex.unlock() }
        finished += 1
        if !succeeded { failed += 1 }
        let now = clock()
        switch style {
        case .bar:
            guard now - lastOutputTime >= 0.1 || alreadyDone + finished == total else { return }
            output("\r\u{1B}[2K" + render(now: now))
        case .lines(let everyItems, let everySeconds):
            guard finished - lastOutputCount >= everyItems || now - lastOutputTime >= everySeconds else { return }
            output(render(now: now) + "\n")
        }
        lastOutputTime = now
        lastOutputCount = finished
    }

    /// Prints the final state (and ends the bar's line).
    public func finish(interrupted: Bool = false) {
        mutex.lock()
        defer { mutex.unlock() }
        let line = render(now: clock()) + (interrupted ? " (interrupted)" : "")
        switch style {
        case .bar: output("\r\u{1B}[2K" + line + "\n")
        case .lines: output(line + "\n")
        }
    }

    /// The status text at time `now`, e.g. `pope [████░░░░] 120/500 24% 3.1 it/s ETA 2m03s, 2 failed`.
    func render(now: Double) -> String {
        let done = alreadyDone + finished
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let percent = Int((fraction * 100).rounded(.down))
        let elapsed = now - startTime
        let rate = elapsed > 0 && finished > 0 ? Double(finished) / elapsed : nil
        let remaining = total - done
        let eta: String
        if remaining == 0 { eta = "done in \(Self.duration(elapsed))" } else if let rate { eta = "ETA \(Self.duration(Double(remaining) / rate))" } else { eta = "ETA ?" }
        let rateText = rate.map { Self.rate($0) } ?? "– it/s"
        let failures = failed > 0 ? ", \(failed) failed" : ""
        let prefix = label.isEmpty ? "" : label + " "
        switch style {
        case .bar:
            let width = 24
            let filled = min(width, Int((fraction * Double(width)).rounded(.down)))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            return "\(prefix)[\(bar)] \(done)/\(total) \(percent)% \(rateText) \(eta)\(failures)"
        case .lines:
            return "\(prefix)progress: \(done)/\(total) (\(percent)%), \(rateText), \(eta)\(failures)"
        }
    }

    /// `3.1 it/s`, or `12.0 s/it` when slower than one item a second.
    static func rate(_ itemsPerSecond: Double) -> String {
        if itemsPerSecond >= 1 { return String(format: "%.1f it/s", itemsPerSecond) }
        return String(format: "%.1f s/it", 1 / itemsPerSecond)
    }

    /// `42s`, `2m03s`, `1h02m`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return String(format: "%dm%02ds", total / 60, total % 60) }
        return String(format: "%dh%02dm", total / 3600, total % 3600 / 60)
    }
}
