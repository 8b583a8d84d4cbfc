import Foundation
import Testing
@testable import LucidEval

/// Committed test data (Tests/LucidEvalTests/Fixtures, copied as test resources) and the
/// run-time NLTK models (the repository's Data/nltk) shared by the LucidEval tests.
enum EvalFixtures {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    static func url(_ components: String...) throws -> URL {
        guard let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw Missing(description: "test resources are missing the Fixtures folder")
        }
        return components.reduce(root) { $0.appendingPathComponent($1) }
    }

    /// The repository's `Data/nltk`, or `$LUCID_NLTK_DATA` when set.
    static var nltkDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["LUCID_NLTK_DATA"] {
            return URL(fileURLWithPath: override)
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Data/nltk")
    }

    private static let loaded: Result<NLTKEnglish, EvalError> = Result { () throws(EvalError) -> NLTKEnglish in
        try NLTKEnglish(nltkDirectory: nltkDirectory)
    }

    /// The NLTK pipeline, loaded once per test process (WordNet from /usr/share/wordnet).
    static func english() throws -> NLTKEnglish {
        try loaded.get()
    }

    /// Parsed lines of a JSON Lines fixture.
    static func jsonLines(_ components: String...) throws -> [OrderedJSON] {
        let root = try url()
        let url = components.reduce(root) { $0.appendingPathComponent($1) }
        return try JSONLines.read(url).records.map(\.value)
    }

    /// A new file with `contents` in a fresh temporary directory.
    static func temporaryFile(_ contents: String, name: String = "input.jsonl") throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-eval-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try Data(contents.utf8).write(to: url)
        return url
    }

    /// The strings of a JSON array value.
    static func strings(_ value: OrderedJSON?) -> [String] {
        value?.arrayValue?.compactMap(\.stringValue) ?? []
    }
}
