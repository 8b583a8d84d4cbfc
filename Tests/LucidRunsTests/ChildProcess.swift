import Foundation
import Testing

/// The `lucid-runs-fixture` executable and helpers to run it as a child process.
///
/// Test targets cannot depend on executables, so the fixture is looked up next to the test
/// bundle: `swift build --build-tests` (and `swift test`) build every product of the package into
/// the same folder (`.build/debug/`). `LUCID_RUNS_FIXTURE` overrides the path.
enum Fixture {
    static let name = "lucid-runs-fixture"

    static func executable() throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        if let override = environment["LUCID_RUNS_FIXTURE"] { return URL(fileURLWithPath: override) }
        var folders: [URL] = []
        if let first = CommandLine.arguments.first {
            let runner = URL(fileURLWithPath: first).resolvingSymlinksInPath()
            folders.append(runner.deletingLastPathComponent())
            if runner.path.contains(".xctest/Contents/MacOS/") {  // macOS: debug/X.xctest/Contents/MacOS/X
                folders.append(runner.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent())
            }
        }
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            folders.append(bundle.bundleURL.deletingLastPathComponent())
        }
        for folder in folders {
            let candidate = folder.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        let looked = folders.map(\.path).joined(separator: ", ")
        throw FixtureMissing(description: """
            \(name) not found next to the test bundle (looked in: \(looked)). \
            Build every product first with `swift build --build-tests` (or run `swift test`), or set LUCID_RUNS_FIXTURE.
            """)
    }

    struct FixtureMissing: Error, CustomStringConvertible {
        let description: String
    }
}

/// A running fixture process with its output captured in files.
final class ChildProcess {
    let process = Process()
    let stdoutURL: URL
    let stderrURL: URL

    init(arguments: [String], logs: URL) throws {
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let id = UUID().uuidString.prefix(8)
        stdoutURL = logs.appendingPathComponent("stdout-\(id).txt")
        stderrURL = logs.appendingPathComponent("stderr-\(id).txt")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = try Fixture.executable()
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
    }

    func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for exit; returns (status, killed by a signal).
    @discardableResult
    func wait() -> (status: Int32, signaled: Bool) {
        process.waitUntilExit()
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal)
    }

    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }
    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }

    /// Runs to completion and returns the exit status, recording stderr on failure.
    static func runToEnd(_ arguments: [String], logs: URL) throws -> Int32 {
        let child = try ChildProcess(arguments: arguments, logs: logs)
        let (status, _) = child.wait()
        if status != 0 { Issue.record("fixture \(arguments) exited \(status): \(child.stderr)") }
        return status
    }
}

/// Waits (polling, bounded) until `condition` holds; false if it never did within `limit` seconds.
func eventually(limit: Double = 60, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(limit)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
