// A fake workload for LucidRuns' crash/resume tests: runs a manifest like `lucid run` would,
// with a deterministic fake result per item and an optional sleep, so tests can kill it anywhere.
//
// lucid-runs-fixture MANIFEST RUN_DIR [--shard i/n] [--sleep-ms N] [--force-new]
import Foundation
import LucidRuns
import LucidSupport

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("lucid-runs-fixture: \(message)\n".utf8))
    exit(1)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var shard: ShardSpec?
var sleepMilliseconds = 0
var forceNew = false
var positional: [String] = []
while !arguments.isEmpty {
    let argument = arguments.removeFirst()
    switch argument {
    case "--shard":
        guard let value = arguments.first else { fail("--shard needs i/n") }
        arguments.removeFirst()
        do { shard = try ShardSpec(parsing: value) } catch { fail(error.description) }
    case "--sleep-ms":
        guard let value = arguments.first.flatMap({ Int($0) }) else { fail("--sleep-ms needs an integer") }
        arguments.removeFirst()
        sleepMilliseconds = value
    case "--force-new":
        forceNew = true
    default:
        positional.append(argument)
    }
}
guard positional.count == 2 else { fail("usage: lucid-runs-fixture MANIFEST RUN_DIR [--shard i/n] [--sleep-ms N] [--force-new]") }

/// The fake result: a pure function of the item.
func fakeResult(_ item: WorkItem) -> JSONValue {
    let digest = SHA256.hex(item.key + "|" + item.inputHash)
    let score = Double(Int(digest.prefix(6), radix: 16) ?? 0) / Double(0xFFFFFF)
    return [
        "text": .string("\(item.model.label) says \(item.sample.fields["prompt"]?.stringValue ?? "?") with \(item.method.name) seed \(item.seed)"),
        "score": .double(score),
        "tokens": .array(digest.prefix(4).unicodeScalars.map { .int(Int($0.value)) }),
    ]
}

let session: RunSession
do {
    session = try RunSession.open(manifest: URL(fileURLWithPath: positional[0]), output: URL(fileURLWithPath: positional[1]),
                                  shard: shard, forceNew: forceNew)
} catch {
    fail("\(error)")
}
session.warnings.forEach { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) }
let interruption = InterruptMonitor()
let progress = ProgressReporter(style: .lines(everyItems: 50, everySeconds: 5), label: session.plan.manifest.name)
do {
    let summary = try await session.run(progress: progress, interruption: interruption) { item in
        if sleepMilliseconds > 0 { try await Task.sleep(for: .milliseconds(sleepMilliseconds)) }
        if item.sample.fields["fail"] == .bool(true) { throw FixtureFailure(key: item.key) }
        return fakeResult(item)
    }
    print("done \(summary.succeeded) failed \(summary.failed) remaining \(summary.remaining) directory \(session.directory.url.path)")
    exit(summary.exitCode)
} catch {
    fail("\(error)")
}

struct FixtureFailure: Error, CustomStringConvertible {
    let key: String
    var description: String { "fake failure for \(key)" }
}
