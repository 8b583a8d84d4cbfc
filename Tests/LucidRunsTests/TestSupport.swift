import Foundation
@testable import LucidRuns

/// A fresh temporary directory, removed when the value is released.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-runs-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> URL {
        let target = file(name)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: target)
        return target
    }
}

/// Writes a `prompts` dataset of `count` samples (`p0`, `p1`, …) and a manifest over it.
struct RunFixture {
    let directory: TemporaryDirectory
    let manifestURL: URL
    let datasetURL: URL

    init(samples count: Int, models: [String] = ["tiny-a", "tiny-b"], seeds: [Int] = [0, 1], extraMethods: String = "") throws {
        directory = try TemporaryDirectory()
        datasetURL = try directory.write("data/prompts.jsonl", RunFixture.dataset(count))
        manifestURL = try directory.write("manifest.yaml", """
            name: fixture
            models: [\(models.joined(separator: ", "))]
            dataset:
              path: data/prompts.jsonl
              kind: prompts
            methods:
              - greedy
              - name: opera
                beams: 3
                penalty: 0.5
            \(extraMethods)
            seeds: [\(seeds.map(String.init).joined(separator: ", "))]
            output: out/fixture
            generation:
              max_new_tokens: 8
            """)
    }

    static func dataset(_ count: Int, salt: String = "") -> String {
        (0..<count).map { #"{"id": "p\#($0)", "prompt": "question \#($0)\#(salt)"}"# }.joined(separator: "\n") + "\n"
    }

    func plan() throws -> RunPlan {
        try RunPlan(manifest: RunManifest.load(from: manifestURL))
    }
}

/// A deterministic fake workload result (tests running in-process).
func fakeResult(_ item: WorkItem) -> JSONValue {
    ["echo": .string(item.key), "seed": .int(item.seed), "score": .double(Double(item.sample.index) / 4)]
}

/// Successful results of a results file as key → result, failing on duplicate successes.
func successfulResults(_ url: URL) throws -> [String: JSONValue] {
    let contents = try ResultFile(path: url.path, bytes: [UInt8](Data(contentsOf: url)))
    precondition(contents.duplicates.isEmpty, "duplicates in \(url.path): \(contents.duplicates)")
    return contents.completed.mapValues { $0.record.result ?? .null }
}
