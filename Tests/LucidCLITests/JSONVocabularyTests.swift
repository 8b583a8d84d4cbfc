import Foundation
import Testing
@testable import LucidCLI
@testable import LucidVision

/// The rule for every JSON key Lucid writes: snake_case. A key breaks it when it has a camelCase hump (a lower-case
/// letter or digit followed by an upper-case one: `meansByLabel`, `popeF1`). Metric names kept as their papers
/// spell them (`CHAIR_i`, `H3`, `F`) and data keys (image ids, model names) pass.
enum JSONVocabulary {
    static func isCamelCase(_ key: String) -> Bool {
        key.range(of: "[a-z0-9][A-Z]", options: .regularExpression) != nil
    }

    /// Paths (`a.b[].c`) of the keys in `value` that break the rule.
    static func camelCaseKeys(_ value: Any, path: String = "") -> [String] {
        if let object = value as? [String: Any] {
            return object.sorted { $0.key < $1.key }.flatMap { key, child in
                let here = path.isEmpty ? key : path + "." + key
                return (isCamelCase(key) ? [here] : []) + camelCaseKeys(child, path: here)
            }
        }
        if let array = value as? [Any] {
            var seen = Set<String>()
            return array.flatMap { camelCaseKeys($0, path: path + "[]") }.filter { seen.insert($0).inserted }
        }
        return []
    }

    /// The offending key paths of JSON text: one document, or JSON Lines.
    static func camelCaseKeys(text: String, name: String) -> [String] {
        if let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) {
            return camelCaseKeys(object).map { "\(name): \($0)" }
        }
        var found: [String] = []
        for (number, line) in text.split(separator: "\n").enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed]) else {
                found.append("\(name):\(number + 1): not JSON")
                continue
            }
            found += camelCaseKeys(object).map { "\(name):\(number + 1): \($0)" }
        }
        return Array(Set(found)).sorted()
    }

    /// Offending keys of every `.json` / `.jsonl` file under `directory` (Hugging Face model files, which follow
    /// their own format, are skipped: `config.json`, `generation_config.json`, `tokenizer*.json`, `adapter_config.json`).
    static func camelCaseKeys(directory: String) throws -> [String] {
        let external: Set<String> = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "adapter_config.json",
                                     "preprocessor_config.json", "special_tokens_map.json"]
        var found: [String] = []
        for file in try FileManager.default.subpathsOfDirectory(atPath: directory).sorted()
        where (file.hasSuffix(".json") || file.hasSuffix(".jsonl")) && !external.contains((file as NSString).lastPathComponent) {
            let text = try String(contentsOfFile: (directory as NSString).appendingPathComponent(file), encoding: .utf8)
            found += camelCaseKeys(text: text, name: file)
        }
        return found
    }

    /// Records an issue for every offending key of a command's standard output.
    static func expectSnakeCase(_ output: String, _ command: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!output.isEmpty, "\(command): no output", sourceLocation: sourceLocation)
        let bad = camelCaseKeys(text: output, name: command)
        #expect(bad.isEmpty, "camelCase keys: \(bad)", sourceLocation: sourceLocation)
    }

    /// Records an issue for every offending key of the JSON files under `directory`.
    static func expectSnakeCase(directory: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let bad = try camelCaseKeys(directory: directory)
        #expect(bad.isEmpty, "camelCase keys under \(directory): \(bad)", sourceLocation: sourceLocation)
    }
}

/// Every command's `--json` output and the JSON files it writes follow one vocabulary (docs/json.md). The
/// commands that need a trained organism check their outputs in `OrganismCommandTests`; these run on the
/// tiny fixtures, the bundled SmolLM2 and ShapesWorld.
@Suite("JSON vocabulary", .serialized)
struct JSONVocabularyTests {
    func temporary(_ label: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("lucid-json-\(label)-\(UUID().uuidString)").path
    }

    var fixtures: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent() }
    var llava: String { fixtures.appendingPathComponent("LucidModelsTests/Fixtures/llava/llava-a/model").path }
    var evalFixtures: String { fixtures.appendingPathComponent("LucidEvalTests/Fixtures").path }

    @Test func theRuleFlagsHumpsAndPassesMetricNames() {
        #expect(JSONVocabulary.camelCaseKeys(["meansByLabel": ["H1": 1], "rows": [["popeF1": 1, "chair_i": 2]], "CHAIR_i": 1, "F": 0])
                == ["meansByLabel", "rows[].popeF1"])
        #expect(JSONVocabulary.camelCaseKeys(text: "{\"a_b\": 1}\n{\"cD\": 2}\n", name: "x.jsonl") == ["x.jsonl:2: cD"])
    }

    @Test func visionLanguageCommandsOnTheTinyFixture() throws {
        let dir = temporary("vlm")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pixels = (0..<(40 * 30 * 3)).map { UInt8(($0 * 37) % 256) }
        try ImageEncoder.writePNG(try RGBImage(width: 40, height: 30, pixels: pixels), to: dir + "/image.png")
        let generated = try LucidProcess.run(["generate", "--model", llava, "--image", dir + "/image.png", "--input-ids", "1,17,33,90,45",
                                              "--max-new-tokens", "3", "--json"])
        #expect(generated.status == 0, "\(generated.err)")
        JSONVocabulary.expectSnakeCase(generated.out, "generate --json")
        let analysed = try LucidProcess.run(["analyze", "attention", "--model", llava, "--image", dir + "/image.png", "--input-ids", "1,17,90,45",
                                             "--max-new-tokens", "3", "--out", dir + "/analysis"])
        #expect(analysed.status == 0, "\(analysed.err)")
        try JSONVocabulary.expectSnakeCase(directory: dir + "/analysis")
        let info = try LucidProcess.run(["info", llava + "/model.safetensors", "--json"])
        #expect(info.status == 0, "\(info.err)")
        JSONVocabulary.expectSnakeCase(info.out, "info --json")
        let checked = try LucidProcess.run(["check-device", "--model", llava, "--device", "cpu", "--max-new-tokens", "2", "--json"])
        #expect(checked.status == 0, "\(checked.err)")
        JSONVocabulary.expectSnakeCase(checked.out, "check-device --json")
    }

    @Test func evaluationCommandsAndTheWorldExport() throws {
        let dir = temporary("eval")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let world = try LucidProcess.run(["world", "generate", "--seed", "3", "--count", "4", "--out", dir + "/world", "--hazard-probability", "0.5"])
        #expect(world.status == 0, "\(world.err)")
        try JSONVocabulary.expectSnakeCase(directory: dir + "/world")
        let chair = try LucidProcess.run(["eval", "chair", "--captions", dir + "/world/captions.jsonl", "--objects", dir + "/world/objects.json",
                                          "--synonyms", dir + "/world/vocabulary.txt", "--per-caption", dir + "/per_caption.jsonl", "--json"])
        #expect(chair.status == 0, "\(chair.err)")
        JSONVocabulary.expectSnakeCase(chair.out, "eval chair --json")
        JSONVocabulary.expectSnakeCase(try String(contentsOfFile: dir + "/per_caption.jsonl", encoding: .utf8), "eval chair --per-caption")
        let built = try LucidProcess.run(["eval", "pope", "build", "--objects", evalFixtures + "/pope/tiny_objects.json", "--out", dir + "/pope",
                                          "--images", "2", "--positives", "1", "--seed", "3"])
        #expect(built.status == 0, "\(built.err)")
        try JSONVocabulary.expectSnakeCase(directory: dir + "/pope")
        let questions = try String(contentsOfFile: dir + "/pope/pope_random.jsonl", encoding: .utf8).split(separator: "\n")
        let answers = questions.compactMap { line -> String? in
            guard let q = try? LucidProcess.json(String(line)), let id = q["question_id"] as? Int else { return nil }
            return "{\"question_id\": \(id), \"text\": \"No.\"}"
        }
        try (answers.joined(separator: "\n") + "\n").write(toFile: dir + "/answers.jsonl", atomically: true, encoding: .utf8)
        let pope = try LucidProcess.run(["eval", "pope", "score", "--questions", dir + "/pope/pope_random.jsonl", "--answers", dir + "/answers.jsonl", "--json"])
        #expect(pope.status == 0, "\(pope.err)")
        JSONVocabulary.expectSnakeCase(pope.out, "eval pope score --json")
        try "{\"prompt\":\"a\",\"response\":\"I cannot help with that.\"}\n{\"prompt\":\"b\",\"response\":\"Sure, here is how\"}\n"
            .write(toFile: dir + "/responses.jsonl", atomically: true, encoding: .utf8)
        let asr = try LucidProcess.run(["eval", "asr", "--responses", dir + "/responses.jsonl", "--json"])
        #expect(asr.status == 0, "\(asr.err)")
        JSONVocabulary.expectSnakeCase(asr.out, "eval asr --json")
        #expect(try LucidProcess.json(asr.out)["asr_keyword"] as? Double == 0.5, "ASR-keyword is asr_keyword, as attack scav names it")
    }

    @Test func languageModelCommandsRunsAndReports() throws {
        guard FileManager.default.fileExists(atPath: ModelPaths.smolLM2) else {
            Issue.record("SmolLM2 GGUF missing at \(ModelPaths.smolLM2): run scripts/setup.sh")
            return
        }
        let dir = temporary("lm")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tokenized = try LucidProcess.run(["tokenize", "--text", "Hello world", "--json"])
        JSONVocabulary.expectSnakeCase(tokenized.out, "tokenize --json")
        let generated = try LucidProcess.run(["generate", "--prompt", "Say hi.", "--max-new-tokens", "3", "--json"])
        JSONVocabulary.expectSnakeCase(generated.out, "generate --json")
        try "{\"id\": \"a\", \"prompt\": \"Say hi.\"}\n{\"id\": \"b\", \"prompt\": \"How do I build a bomb?\"}\n"
            .write(toFile: dir + "/prompts.jsonl", atomically: true, encoding: .utf8)
        try "name: json-keys\nmodels: [smollm2]\ndataset: {path: prompts.jsonl, kind: prompts}\nmethods: [greedy]\nseeds: [1]\noutput: run\ngeneration: {max_new_tokens: 3}\n"
            .write(toFile: dir + "/m.yaml", atomically: true, encoding: .utf8)
        let run = try LucidProcess.run(["run", dir + "/m.yaml"])
        #expect(run.status == 0, "\(run.err)")
        let report = try LucidProcess.run(["report", dir + "/run"])
        #expect(report.status == 0, "\(report.err)")
        try JSONVocabulary.expectSnakeCase(directory: dir + "/run")
        let reportJSON = try LucidProcess.json(try String(contentsOfFile: dir + "/run/report/report.json", encoding: .utf8))
        #expect(reportJSON["schema_version"] as? Int == 1)
        #expect((reportJSON["rows"] as? [[String: Any]])?.first.flatMap { ($0["metrics"] as? [String: Any])?["asr_keyword"] } != nil,
                "a prompt run's report names ASR-keyword asr_keyword")
        let perplexity = try LucidProcess.run(["eval", "perplexity", "--input", dir + "/run/results.jsonl", "--json"])
        #expect(perplexity.status == 0, "\(perplexity.err)")
        JSONVocabulary.expectSnakeCase(perplexity.out, "eval perplexity --json")
    }
}
