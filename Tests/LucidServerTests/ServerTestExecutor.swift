import Foundation

/// A task executor on two threads of its own, for live-server tests.
///
/// swift-testing runs the whole suite's tests on Swift's cooperative pool, which has one thread per
/// core. On a 2-core machine two long synchronous tests (conformance, training) hold both threads for
/// minutes, and a live server's request handlers — async code on that same pool — cannot resume, so
/// its clients time out although the server is idle. `TestServer.test` runs the server and the
/// test's client inside `withTaskExecutorPreference(ServerTestExecutor.shared)`: the server's
/// connection tasks are structured children of that scope and inherit the preference, so the
/// server under test answers whatever the rest of the suite is doing. (`lucid serve` itself runs
/// alone in its process, and its model runs on `ModelWorker`'s own thread.)
final class ServerTestExecutor: TaskExecutor, @unchecked Sendable {
    static let shared = ServerTestExecutor(threads: 2)

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var next = 0

    init(threads: Int) {
        for index in 0..<max(1, threads) {
            let thread = Thread { [self] in run() }
            thread.name = "lucid-server-tests-\(index)"
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while next == jobs.count { condition.wait() }
            let job = jobs[next]
            next += 1
            if next > 1024 {  // drop what has run, now and then, instead of shifting on every job
                jobs.removeFirst(next)
                next = 0
            }
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
