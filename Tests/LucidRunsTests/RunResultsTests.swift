import Foundation
import Testing
import LucidRuns

/// `RunResults`, the one reader of a finished run's `results.jsonl` and samples (judges and reports use it):
/// every failure is a `RunError` that names the file and, for a bad line, the line and what was wrong.
@Suite("Run results reader")
struct RunResultsTests {
    /// A finished run of `RunFixture` (2 prompts × 2 models × 2 methods × 2 seeds) with fake results.
    static func finishedRun() async throws -> (RunFixture, URL) {
        let fixture = try RunFixture(samples: 2)
        let session = try RunSession.open(manifest: fixture.manifestURL)
        _ = try await session.run { fakeResult($0) }
        return (fixture, session.directory.url)
    }

    @Test func aGoodRunReadsEveryRecordInFileOrderAndItsSamples() async throws {
        let (fixture, run) = try await Self.finishedRun()
        defer { withExtendedLifetime(fixture) {} }
        let results = try RunResults.read(run: run)
        let lines = try String(contentsOf: run.appendingPathComponent(RunDirectory.resultsFileName), encoding: .utf8)
            .split(separator: "\n").map { try ResultRecord.parse(line: Array($0.utf8)) }
        #expect(results.records == lines && results.records.count == 16)
        #expect(results.kind == "prompts" && results.path.hasSuffix("results.jsonl"))
        let samples = results.samples()
        #expect(samples.problem == nil)
        #expect(samples.fields["p1"]?["prompt"] == .string("question 1"))
        // A changed dataset still gives its samples, with the problem named for the caller to refuse or warn.
        try Data(RunFixture.dataset(2, salt: "!").utf8).write(to: fixture.datasetURL)
        let changed = results.samples()
        #expect(changed.fields["p1"]?["prompt"] == .string("question 1!"))
        #expect(changed.problem.map { "\($0)".hasPrefix(fixture.datasetURL.path + ": the dataset changed since the run started") } == true)
    }

    @Test func aMalformedLineIsARunErrorNamingFileLineAndReason() async throws {
        let (fixture, run) = try await Self.finishedRun()
        defer { withExtendedLifetime(fixture) {} }
        let url = run.appendingPathComponent(RunDirectory.resultsFileName)
        var lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[2] = #"{"key": "x"}"#
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
        #expect {
            try RunResults.read(run: run)
        } throws: { error in
            guard case .malformedLine(let path, let line, let reason) = error as? RunError else { return false }
            return path == url.path && line == 3 && !reason.isEmpty && "\(error)".hasPrefix("\(url.path):3: not a valid result line: ")
        }
        // A last line without its newline is a line of a finished file: read when valid, an error when cut short.
        try Data(lines.enumerated().map { $0.offset == 2 ? lines[0] : $0.element }.joined(separator: "\n").utf8).write(to: url)
        #expect(try RunResults.read(run: run).records.count == 16)
        try Data((lines.prefix(2).joined(separator: "\n") + "\n" + lines[3].prefix(30)).utf8).write(to: url)
        #expect {
            try RunResults.read(run: run)
        } throws: { error in
            guard case .malformedLine(let path, let line, _) = error as? RunError else { return false }
            return path == url.path && line == 3
        }
    }

    @Test func aRunWithoutResultsSaysToMergeAndAMissingDatasetIsASampleProblem() async throws {
        let (fixture, run) = try await Self.finishedRun()
        defer { withExtendedLifetime(fixture) {} }
        try FileManager.default.removeItem(at: run.appendingPathComponent(RunDirectory.resultsFileName))
        #expect(throws: RunError.noResults(directory: run.path, path: run.appendingPathComponent(RunDirectory.resultsFileName).path)) {
            try RunResults.read(run: run)
        }
        #expect(throws: RunError.self) { try RunResults.read(run: fixture.directory.url.appendingPathComponent("nowhere")) }
        let (other, otherRun) = try await Self.finishedRun()
        defer { withExtendedLifetime(other) {} }
        try FileManager.default.removeItem(at: other.datasetURL)
        let samples = try RunResults.read(run: otherRun).samples()
        #expect(samples.fields.isEmpty)
        #expect(samples.problem.map { "\($0)".hasPrefix(other.datasetURL.path + ": not readable") } == true)
    }
}
