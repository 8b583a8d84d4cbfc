import Foundation
import Testing
@testable import LucidRuns

/// A settable clock and an output recorder for progress tests.
final class FakeTerminal: @unchecked Sendable {
    private let lock = NSLock()
    private var time = 0.0
    private var written: [String] = []

    var now: Double { lock.withLock { time } }
    var output: [String] { lock.withLock { written } }
    func advance(_ seconds: Double) { lock.withLock { time += seconds } }
    func write(_ text: String) { lock.withLock { written.append(text) } }
}

@Suite("Executor and progress")
struct ExecutorTests {
    @Test func failuresAreErrorLinesAndRunAgainOnTheNextResume() async throws {
        let fixture = try RunFixture(samples: 2, models: ["m"], seeds: [0])
        let plan = try fixture.plan()
        let url = fixture.directory.file("results.jsonl")
        let first = try ResultStore(url: url)
        let summary = try await RunExecutor(store: first).run(plan.items) { item in
            struct Flaky: Error {}
            if item.index == 1 { throw Flaky() }
            return fakeResult(item)
        }
        #expect(summary == RunSummary(total: 4, alreadyDone: 0, succeeded: 3, failed: 1))
        #expect(summary.exitCode == 1 && summary.remaining == 1)
        #expect(first.failed == [plan.items[1].key: "Flaky()"])
        first.close()

        let second = try ResultStore(url: url)
        var attempted: [Int] = []
        let resumed = try await RunExecutor(store: second).run(plan.items) { item in
            attempted.append(item.index)
            return fakeResult(item)
        }
        #expect(attempted == [1])
        #expect(resumed == RunSummary(total: 4, alreadyDone: 3, succeeded: 1, failed: 0))
        #expect(resumed.exitCode == 0)
    }

    @Test func anInterruptStopsAfterTheCurrentItemWithExitCode130() async throws {
        let fixture = try RunFixture(samples: 3, models: ["m"], seeds: [0])
        let plan = try fixture.plan()
        let store = try ResultStore(url: fixture.directory.file("results.jsonl"))
        let interruption = InterruptMonitor(signals: [])
        let summary = try await RunExecutor(store: store, interruption: interruption).run(plan.items) { item in
            if item.index == 2 { interruption.handle(SIGINT) }
            return fakeResult(item)
        }
        #expect(summary.succeeded == 3, "the item in progress when the signal came is finished and written")
        #expect(summary.interruptedBy == SIGINT && summary.exitCode == 130)
        #expect(store.pending(plan.items).map(\.index) == [3, 4, 5])
        let terminated = RunSummary(total: 1, alreadyDone: 0, succeeded: 0, failed: 0, interruptedBy: SIGTERM)
        #expect(terminated.exitCode == 143)
    }

    @Test func progressLinesShowCountsRateAndETAEveryNItems() {
        let terminal = FakeTerminal()
        let progress = ProgressReporter(style: .lines(everyItems: 2, everySeconds: 1000), label: "pope 1/4",
                                        output: { terminal.write($0) }, clock: { terminal.now })
        progress.start(total: 10, alreadyDone: 4)
        for _ in 0..<3 {
            terminal.advance(0.5)
            progress.itemFinished(succeeded: true)
        }
        terminal.advance(0.5)
        progress.itemFinished(succeeded: false)
        progress.finish()
        #expect(terminal.output == [
            "pope 1/4 progress: 4/10 (40%), – it/s, ETA ?\n",
            "pope 1/4 progress: 6/10 (60%), 2.0 it/s, ETA 2s\n",
            "pope 1/4 progress: 8/10 (80%), 2.0 it/s, ETA 1s, 1 failed\n",
            "pope 1/4 progress: 8/10 (80%), 2.0 it/s, ETA 1s, 1 failed\n",
        ])
    }

    @Test func progressLinesAlsoComeEveryNSeconds() {
        let terminal = FakeTerminal()
        let progress = ProgressReporter(style: .lines(everyItems: 100, everySeconds: 30), output: { terminal.write($0) }, clock: { terminal.now })
        progress.start(total: 1000, alreadyDone: 0)
        terminal.advance(10)
        progress.itemFinished(succeeded: true)
        terminal.advance(25)
        progress.itemFinished(succeeded: true)
        #expect(terminal.output.last == "progress: 2/1000 (0%), 17.5 s/it, ETA 4h51m\n")
        #expect(terminal.output.count == 2)
    }

    @Test func theBarIsRedrawnInPlaceAndEndsWithANewline() {
        let terminal = FakeTerminal()
        let progress = ProgressReporter(style: .bar, output: { terminal.write($0) }, clock: { terminal.now })
        progress.start(total: 4, alreadyDone: 0)
        terminal.advance(0.01)
        progress.itemFinished(succeeded: true)  // too soon after the last draw: skipped
        terminal.advance(1)
        progress.itemFinished(succeeded: true)
        terminal.advance(1)
        progress.itemFinished(succeeded: true)
        progress.itemFinished(succeeded: true)  // the last item is always drawn
        progress.finish()
        #expect(terminal.output.count == 5)
        #expect(terminal.output.allSatisfy { $0.hasPrefix("\r\u{1B}[2K") })
        #expect(terminal.output[1] == "\r\u{1B}[2K[████████████░░░░░░░░░░░░] 2/4 50% 2.0 it/s ETA 1s")
        #expect(terminal.output.last == "\r\u{1B}[2K[████████████████████████] 4/4 100% 2.0 it/s done in 2s\n")
    }

    @Test func durationsAndRatesReadNaturally() {
        #expect(ProgressReporter.duration(42.4) == "42s")
        #expect(ProgressReporter.duration(123) == "2m03s")
        #expect(ProgressReporter.duration(3720) == "1h02m")
        #expect(ProgressReporter.rate(3.14) == "3.1 it/s")
        #expect(ProgressReporter.rate(0.25) == "4.0 s/it")
    }
}
