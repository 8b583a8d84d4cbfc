import Foundation
import Testing
@testable import LucidRuns

/// A manifest's `judges`: typed entries, every mistake an error naming the file, line and key, no API
/// key in the file, and judges outside the hash (adding one resumes a finished run).
@Suite("Manifest judges")
struct ManifestJudgeTests {
    let base = URL(fileURLWithPath: "/experiments")

    func manifest(kind: String = "captions", judges: String) -> String {
        """
        name: judged
        models: [shapes-tiny]
        dataset:
          path: data/captions.jsonl
          kind: \(kind)
        methods:
          - greedy
          - name: beam
            beams: 2
        judges:
        \(judges)
        """
    }

    func parse(_ text: String) throws -> RunManifest {
        try RunManifest.parse(text, file: "m.yaml", baseDirectory: base)
    }

    @Test func judgeEntriesBecomeTypedSpecsWithDefaults() throws {
        let parsed = try parse(manifest(judges: """
              - metric: opera-gpt4v
                endpoint: http://127.0.0.1:8080/v1
                model: gpt-4o
                api_key_env: OPENAI_API_KEY
                methods: [greedy, beam]
                concurrency: 8
                max_tokens: 300
                timeout: 30
            """))
        let judge = try #require(parsed.judges.first)
        #expect(judge == JudgeSpec(metric: .operaGPT4V, endpoint: try #require(URL(string: "http://127.0.0.1:8080/v1")), model: "gpt-4o",
                                   apiKeyEnvironment: "OPENAI_API_KEY", concurrency: 8, maxTokens: 300, timeout: 30, methods: ["greedy", "beam"]))
        #expect(judge.recordName == "opera-gpt4v.greedy.beam")

        let prompts = try parse(manifest(kind: "prompts", judges: """
              - {metric: strongreject, endpoint: "https://api.example/v1", model: judge}
            """))
        #expect(prompts.judges.map(\.concurrency) == [JudgeSpec.defaultConcurrency])
        #expect(prompts.judges.first?.apiKeyEnvironment == nil && prompts.judges.first?.maxTokens == nil && prompts.judges.first?.timeout == 120)
        #expect(prompts.judges.first?.recordName == "strongreject")
    }

    @Test func judgesAreNotHashedSoAddingOneResumesTheRun() throws {
        let judged = try parse(manifest(kind: "prompts", judges: "  - {metric: strongreject, endpoint: \"http://h/v1\", model: j}"))
        var plain = judged
        plain.judges = []
        #expect(judged.hash == plain.hash)
        #expect(judged.canonicalJSON["judges"] == nil)
    }

    @Test(arguments: [
        ("  - {metric: strongreject, endpoint: \"http://h/v1\", model: j}", 11, "judges[0].metric",
         "strongreject judges a `prompts` run; this dataset's kind is `captions`"),
        ("  - {metric: opera-gpt4w, endpoint: \"http://h/v1\", model: j}", 11, "judges[0].metric",
         "unknown judge metric `opera-gpt4w` (did you mean `opera-gpt4v`?); known: strongreject, opera-gpt4v"),
        ("  - {metric: opera-gpt4v, endpoint: \"http://h/v1\", model: j}", 11, "judges[0]",
         "missing key `methods` (the two methods to compare, e.g. [beam, opera])"),
        ("  - {metric: opera-gpt4v, endpoint: \"http://h/v1\", model: j, methods: [greedy]}", 11, "judges[0].methods",
         "opera-gpt4v compares exactly two methods (assistant 1, assistant 2), found 1"),
        ("  - {metric: opera-gpt4v, endpoint: \"http://h/v1\", model: j, methods: [greedy, opera]}", 11, "judges[0].methods[1]",
         "no method `opera` in `methods` (known: greedy, beam)"),
        ("  - {metric: opera-gpt4v, endpoint: \"ftp://h/v1\", model: j, methods: [greedy, beam]}", 11, "judges[0].endpoint",
         "`ftp://h/v1` is not an http(s) URL with a host"),
        ("  - {metric: opera-gpt4v, endpoint: \"https://u:sk-1@h/v1\", model: j, methods: [greedy, beam]}", 11, "judges[0].endpoint",
         "the URL carries credentials: give the API key through an environment variable named by `api_key_env`"),
        ("  - {metric: opera-gpt4v, endpoint: \"http://h/v1\", model: j, methods: [greedy, beam], api_key: sk-123}", 11, "judges[0].api_key",
         "an API key never goes in a manifest: put it in an environment variable and give its name as `api_key_env`"),
        ("  - {metric: opera-gpt4v, endpoint: \"http://h/v1\", model: j, methods: [greedy, beam], api_key_env: sk-123}", 11, "judges[0].api_key_env",
         "`sk-123` is not an environment variable's name (letters, digits and `_`, not starting with a digit): give the variable's name, not the key"),
        ("  - {metric: opera-gpt4v, endpoint: \"http://h/v1\", model: j, methods: [greedy, beam], concurrency: 0}", 11, "judges[0].concurrency",
         "must be ≥ 1, found 0"),
        ("  - {metric: opera-gpt4v, endpoint: \"http://h/v1\", model: j, methods: [greedy, beam], concurrency: 65}", 11, "judges[0].concurrency",
         "must be in 1…64, found 65"),
        ("  - {metric: opera-gpt4v, endpoint: \"http://h/v1\", model: j, methods: [greedy, beam], concurrency: four}", 11, "judges[0].concurrency",
         "expected an integer, found a string"),
        ("  - {metric: opera-gpt4v, endpoint: \"http://h/v1\", model: j, methods: [greedy, beam], timeout: 0.5}", 11, "judges[0].timeout",
         "must be in 1…86400 seconds, found 0.5"),
        ("  - {metric: opera-gpt4v, endpoint: \"http://h/v1\", model: j, methods: [greedy, beam], max_token: 9}", 11, "judges[0].max_token",
         "unknown key (did you mean `max_tokens`?); known keys: `metric`, `endpoint`, `model`, `api_key_env`, `concurrency`, `max_tokens`, `timeout`, `methods`"),
        ("  - {metric: opera-gpt4v, endpoint: \"http://h/v1\", model: j, methods: [greedy, beam]}\n  - {metric: opera-gpt4v, endpoint: \"http://k/v1\", model: k, methods: [greedy, beam]}",
         12, "judges[1]", "the same metric over the same methods as judges[0] (both would write judges/opera-gpt4v.greedy.beam.jsonl)"),
    ])
    func everyMistakeNamesTheFileLineAndKey(entry: String, line: Int, key: String, reason: String) {
        #expect(throws: ManifestError(file: "m.yaml", line: line, keyPath: key, reason: reason)) { try parse(manifest(judges: entry)) }
    }

    @Test func aMethodWithTwoConfigurationsMustBeNamedByItsID() throws {
        let text = manifest(judges: "  - {metric: opera-gpt4v, endpoint: \"http://h/v1\", model: j, methods: [beam, greedy]}")
            .replacingOccurrences(of: "  - greedy\n", with: "  - greedy\n  - name: beam\n    beams: 3\n")
        #expect {
            try parse(text)
        } throws: { error in
            "\(error)".hasPrefix("m.yaml:13: judges[0].methods[0]: method `beam` has 2 configurations (")
        }
        let beam2 = MethodSpec(name: "beam", options: ["beams": 2]).id
        let byID = try parse(text.replacingOccurrences(of: "methods: [beam, greedy]", with: "methods: [\(beam2), greedy]"))
        #expect(byID.judges.first?.methods == [beam2, "greedy"])
    }
}
