import Foundation
import LucidBuildInfo
import Testing
@testable import LucidRuns

/// `run.json` records the Lucid build that started a run, and a resume by another build says so.
@Suite("Run build record")
struct RunBuildRecordTests {
    /// Rewrites the `lucid` record of the run in `directory` (nil: removes it, as in runs from before it existed).
    func rewriteBuild(of directory: RunDirectory, to build: JSONValue?) throws {
        let url = directory.url.appendingPathComponent(RunDirectory.metadataFileName)
        guard case .object(var fields) = try JSONValue.parse(utf8: Data(contentsOf: url)) else {
            Issue.record("run.json is not an object")
            return
        }
        fields["lucid"] = build
        try Data(try JSONValue.object(fields).prettyText().utf8).write(to: url)
    }

    @Test func runJSONRecordsTheBuildThatStartedTheRun() throws {
        let fixture = try RunFixture(samples: 2)
        let session = try RunSession(plan: fixture.plan())
        let stored = try JSONValue.parse(utf8: Data(contentsOf: session.directory.url.appendingPathComponent(RunDirectory.metadataFileName)))
        #expect(stored["lucid"]?["version"] == .string(LucidBuild.version))
        #expect(stored["lucid"]?["commit"] == (LucidBuild.commit.map(JSONValue.string) ?? .null))
        #expect(try RunDirectory.open(session.directory.url).metadata.lucid == RunMetadata.currentLucid)
        session.store.close()
        let resumed = try RunSession(plan: fixture.plan())
        #expect(resumed.warnings.isEmpty, "\(resumed.warnings)")
    }

    @Test func aResumeByAnotherBuildWarnsNamingBothAndStillRuns() async throws {
        let fixture = try RunFixture(samples: 2)
        let first = try RunSession(plan: fixture.plan())
        first.store.close()
        try rewriteBuild(of: first.directory, to: .object(["version": .string("0.0.9"), "commit": .string("0123456789ab")]))
        let resumed = try RunSession(plan: fixture.plan())
        let now = LucidBuild.commit ?? "unknown"
        #expect(resumed.warnings == ["this run was started by lucid 0.0.9 (commit 0123456789ab) and resumes with lucid \(LucidBuild.version) (commit \(now)): its results will mix the two builds (--force-new starts a fresh directory)"])
        let summary = try await resumed.run { fakeResult($0) }
        #expect(summary.succeeded == summary.total)
    }

    /// No record (runs from before it), or a null or malformed one, reads as none.
    @Test(arguments: [nil, JSONValue.null, .string("0.1.0")])
    func aRunThatRecordedNoBuildResumesWithoutAWarning(_ record: JSONValue?) throws {
        let fixture = try RunFixture(samples: 2)
        let first = try RunSession(plan: fixture.plan())
        first.store.close()
        try rewriteBuild(of: first.directory, to: record)
        let resumed = try RunSession(plan: fixture.plan())
        #expect(resumed.directory.metadata.lucid == nil)
        #expect(resumed.warnings.isEmpty, "\(resumed.warnings)")
    }

    /// The build plugin's commit is the checkout's HEAD, where this package is a git checkout with git
    /// installed; elsewhere (a copy without `.git`) it is nil.
    @Test func theBuildsCommitIsTheCheckoutsHead() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: root.appendingPathComponent(".git").path) else {
            #expect(LucidBuild.commit == nil, "no .git at \(root.path), yet a commit \(LucidBuild.commit ?? "")")
            return
        }
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        git.arguments = ["git", "-C", root.path, "rev-parse", "--short=12", "HEAD"]
        let pipe = Pipe()
        git.standardOutput = pipe
        git.standardError = FileHandle.nullDevice
        try git.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        git.waitUntilExit()
        guard git.terminationStatus == 0 else {
            print("skipped: git did not answer in \(root.path), so the build's commit cannot be checked")
            return
        }
        let head = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(LucidBuild.commit == head, "rebuild after moving HEAD: the test binary is from another commit")
    }
}
