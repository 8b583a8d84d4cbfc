import Foundation
import Testing
@testable import LucidVision
@testable import LucidCLI
@testable import LucidTensor

/// Runs the built `lucid` executable (next to the test bundle) as a user would.
struct LucidProcess {
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lucid")
    }

    /// Runs `lucid arguments…` (with `environment` over this process's); returns exit status, standard output and standard error.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    static func json(_ text: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw CLIError("not a JSON object: \(text)")
        }
        return object
    }
}

@Suite("lucid command line", .serialized)
struct CommandLineTests {
    var smolInstalled: Bool {
        let ok = FileManager.default.fileExists(atPath: ModelPaths.smolLM2)
        if !ok { Issue.record("SmolLM2 GGUF missing at \(ModelPaths.smolLM2): run scripts/setup.sh") }
        return ok
    }

    @Test func versionNamesLibtorch() throws {
        let result = try LucidProcess.run(["--version"])
        #expect(result.status == 0)
        #expect(result.out.contains("libtorch"))
        #expect(result.out.contains("CPU kernel "))
        // The devices: here at least the CPU, and each CUDA device this libtorch sees.
        #expect(result.out.contains("devices cpu"), "\(result.out)")
        #expect(result.out.contains(" cuda:0") == Torch.cudaAvailable, "\(result.out)")
    }

    /// LUCID_SMALL_LINEAR_KERNEL starts the process on a lower kernel level (to measure what a CPU
    /// without AVX-512 runs); an unknown name is a warning, and the automatic choice stays.
    @Test func theCPUKernelCanBeForcedLowerFromTheEnvironment() throws {
        let forced = try LucidProcess.run(["--version"], environment: ["LUCID_SMALL_LINEAR_KERNEL": "scalar"])
        #expect(forced.status == 0 && forced.out.contains("CPU kernel scalar,"), "\(forced.out)")
        let automatic = try LucidProcess.run(["--version"])
        let unknown = try LucidProcess.run(["--version"], environment: ["LUCID_SMALL_LINEAR_KERNEL": "avx1024"])
        #expect(unknown.status == 0 && unknown.err.contains("LUCID_SMALL_LINEAR_KERNEL=avx1024 is not one of"), "\(unknown.err)")
        #expect(unknown.out == automatic.out)
    }

    /// LUCID_WIDENED_PRODUCTS chooses how bf16/f16 products run (widened by default only below AVX-512);
    /// an unknown value is a warning, and the automatic choice stays.
    @Test func howReducedPrecisionProductsRunIsChosenFromTheEnvironment() throws {
        let off = try LucidProcess.run(["--version"], environment: ["LUCID_WIDENED_PRODUCTS": "off"])
        #expect(off.status == 0 && off.out.contains("bf16/f16 products libtorch's,"), "\(off.out)")
        let on = try LucidProcess.run(["--version"], environment: ["LUCID_WIDENED_PRODUCTS": "on"])
        #expect(on.status == 0 && on.out.contains("bf16/f16 products widened,"), "\(on.out)")
        let automatic = try LucidProcess.run(["--version"])
        #expect(automatic.out.contains("ATen \(Torch.cpuCapability),"), "\(automatic.out)")
        let unknown = try LucidProcess.run(["--version"], environment: ["LUCID_WIDENED_PRODUCTS": "sometimes"])
        #expect(unknown.status == 0 && unknown.err.contains("LUCID_WIDENED_PRODUCTS=sometimes is not one of"), "\(unknown.err)")
        #expect(unknown.out == automatic.out)
    }

    @Test func generateAnswersParisAsJSON() throws {
        guard smolInstalled else { return }
        let result = try LucidProcess.run(["generate", "--prompt", "What is the capital of France?", "--json", "--max-new-tokens", "24"])
        #expect(result.status == 0, "\(result.err)")
        let object = try LucidProcess.json(result.out)
        #expect((object["text"] as? String)?.contains("Paris") == true)
        #expect(object["finish_reason"] as? String == "eos")
        #expect((object["token_ids"] as? [Int])?.last == 2)
        #expect((object["stats"] as? [String: Any])?["prefill_tokens"] as? Int == object["prompt_tokens"] as? Int)
    }

    /// `--logprobs N` puts each token's log-probability and N alternatives in `--json`, for beam search as for
    /// greedy decoding (whose token is always its step's likeliest); without `--json` it is refused.
    @Test func generateJSONCarriesEachTokensLogprobs() throws {
        guard smolInstalled else { return }
        let base = ["generate", "--prompt", "What is the capital of France?", "--max-new-tokens", "5", "--json", "--logprobs", "2"]
        for extra in [[], ["--beams", "2"]] {
            let result = try LucidProcess.run(base + extra)
            #expect(result.status == 0, "\(result.err)")
            let object = try LucidProcess.json(result.out)
            let tokens = try #require(object["token_ids"] as? [Int])
            let entries = try #require(object["logprobs"] as? [[String: Any]])
            #expect(entries.compactMap { $0["token_id"] as? Int } == tokens && !tokens.isEmpty, "\(extra)")
            for entry in entries {
                let top = try #require(entry["top_logprobs"] as? [[String: Any]])
                #expect(top.count == 2 && ((entry["logprob"] as? Double) ?? 1) <= 0)
                if extra.isEmpty { #expect(top.first?["token_id"] as? Int == entry["token_id"] as? Int) }
            }
        }
        let refused = try LucidProcess.run(["generate", "--prompt", "Hi", "--logprobs", "2"])
        #expect(refused.status != 0 && refused.err.contains("needs --json"), "\(refused.err)")
        let modeAlone = try LucidProcess.run(["generate", "--prompt", "Hi", "--json", "--logprobs-mode", "processed_logprobs"])
        #expect(modeAlone.status != 0 && modeAlone.err.contains("--logprobs-mode needs --logprobs"), "\(modeAlone.err)")
    }

    /// With a template whose models reason first, `--json` puts the answer in `text` and the reasoning apart:
    /// SmolLM2 writes no `</think>`, so its whole output (what the text mode prints) is reasoning.
    @Test func generateJSONSplitsAReasoningTemplatesOutput() throws {
        guard smolInstalled else { return }
        let base = ["generate", "--prompt", "What is the capital of France?", "--max-new-tokens", "8", "--template"]
        let printed = try LucidProcess.run(base + ["deepseek-r1"])
        let split = try LucidProcess.json(try LucidProcess.run(base + ["deepseek-r1", "--json"]).out)
        #expect(split["text"] as? String == "")
        #expect(split["reasoning"] as? String == printed.out.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(!printed.out.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        let whole = try LucidProcess.json(try LucidProcess.run(base + ["chatml", "--json"]).out)
        #expect(whole["reasoning"] == nil && whole["text"] is String)
    }

    /// The streamed text stops before `--stop`, as the JSON text does, also for a stop inside a word.
    @Test func generateNeverPrintsAStopString() throws {
        guard smolInstalled else { return }
        let base = ["generate", "--prompt", "What is the capital of France?", "--max-new-tokens", "24"]
        let full = try LucidProcess.json(try LucidProcess.run(base + ["--json"]).out)["text"] as? String ?? ""
        let word = try #require(full.split(separator: " ").first { $0.count >= 5 }, "\(full)")
        let stop = String(word.prefix(word.count - 1))
        let printed = try LucidProcess.run(base + ["--stop", stop])
        let cut = try LucidProcess.json(try LucidProcess.run(base + ["--stop", stop, "--json"]).out)
        #expect(cut["finish_reason"] as? String == "stop_string")
        #expect(printed.status == 0 && printed.out == (cut["text"] as? String ?? "") + "\n", "\(printed.out.debugDescription) vs \(cut)")
        #expect(!printed.out.contains(stop))
        let empty = try LucidProcess.run(base + ["--stop", ""])
        #expect(empty.status != 0 && empty.err.contains("--stop must not be empty"), "\(empty.err)")
    }

    @Test func perplexityRanksFluentTextBelowWordSaladPerGroup() throws {
        guard smolInstalled else { return }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-ppl-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let lines = [
            #"{"model": "clean", "result": {"text": "The cat sat on the mat and looked out of the window at the rain."}}"#,
            #"{"model": "clean", "result": {"text": "There is a red ball in the top-left corner of the image."}}"#,
            #"{"model": "salad", "result": {"text": "window mat the rain cat looked sat of and at out on the the."}}"#,
            #"{"model": "salad", "result": {"text": "Hi"}}"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let result = try LucidProcess.run(["eval", "perplexity", "--input", file, "--group-by", "model", "--json"])
        #expect(result.status == 0, "\(result.err)")
        let groups = try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [[String: Any]] ?? []
        let byName = Dictionary(uniqueKeysWithValues: groups.map { ($0["group"] as? String ?? "", $0) })
        let clean = byName["clean"]?["perplexity"] as? Double ?? .infinity
        let salad = byName["salad"]?["perplexity"] as? Double ?? 0
        #expect(clean < salad, "clean \(clean) vs salad \(salad)")
        #expect(byName["all"]?["texts"] as? Int == 3 && byName["all"]?["skipped"] as? Int == 1, "one-token texts are skipped: \(byName["all"] ?? [:])")
        try "{\"answer\": 1}\n".write(toFile: file, atomically: true, encoding: .utf8)
        let bad = try LucidProcess.run(["eval", "perplexity", "--input", file])
        #expect(bad.status != 0 && bad.err.contains(":1: no text at text or result.text"), "\(bad.err)")
    }

    @Test func tokenizePrintsIdsWithoutSpecialTokens() throws {
        guard smolInstalled else { return }
        let result = try LucidProcess.run(["tokenize", "--text", "Hello world 123", "--json"])
        #expect(result.status == 0, "\(result.err)")
        let object = try LucidProcess.json(result.out)
        #expect(object["tokens"] as? [String] == ["Hello", "Ġworld", "Ġ", "1", "2", "3"])
    }

    @Test func inspectWritesNamedCapturesWithoutTheBatchDimension() throws {
        guard smolInstalled else { return }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-inspect-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try LucidProcess.run(["inspect", "--model", "smollm2", "--input-ids", "1,9690,198",
                                           "--capture", "logits,attentions:-1,hidden:10", "--out", out])
        #expect(result.status == 0, "\(result.err)")
        let file = try SafetensorsFile(path: out)
        #expect(file.entry(named: "logits")?.shape == [3, 49152])
        #expect(file.entry(named: "attentions.29")?.shape == [9, 3, 3])
        #expect(file.entry(named: "hidden_states.10")?.shape == [3, 576])
        #expect(file.names.count == 3)
    }

    @Test func badInputIsOneClearLineAndAFailureStatus() throws {
        let cases: [([String], String)] = [
            (["generate", "--prompt", "x", "--temperature", "0"], "temperature"),
            (["generate", "--prompt", "x", "--input-ids", "1"], "exactly one of --prompt or --input-ids"),
            (["generate", "--model", "/nonexistent/model.gguf", "--input-ids", "1"], "/nonexistent/model.gguf"),
            (["inspect", "--model", "smollm2", "--input-ids", "1,x", "--out", "/tmp/x.safetensors"], "not an integer"),
            (["info", "/nonexistent"], "no such file"),
            (["tokenize", "--model", "/nonexistent", "--text", "a"], "/nonexistent"),
        ]
        for (arguments, expected) in cases {
            let result = try LucidProcess.run(arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.err.contains(expected), "\(arguments): \(result.err)")
        }
    }

    /// The tiny LLaVA fixture of LucidModelsTests (CLI tests run from the package root).
    var llava: String { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("LucidModelsTests/Fixtures/llava/llava-a/model").path }

    func writeImage() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-\(UUID().uuidString).png").path
        let pixels = (0..<(40 * 30 * 3)).map { UInt8(($0 * 37) % 256) }
        try ImageEncoder.writePNG(try RGBImage(width: 40, height: 30, pixels: pixels), to: path)
        return path
    }

    @Test func generateAndInspectTakeAnImage() throws {
        let image = try writeImage()
        defer { try? FileManager.default.removeItem(atPath: image) }
        let generated = try LucidProcess.run(["generate", "--model", llava, "--image", image, "--input-ids", "1,17,33,90,45",
                                              "--max-new-tokens", "4", "--json"])
        #expect(generated.status == 0, "\(generated.err)")
        let object = try LucidProcess.json(generated.out)
        #expect((object["token_ids"] as? [Int])?.count == 4)
        #expect(object["prompt_tokens"] as? Int == 4 + 16, "4 text tokens + 16 image features")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let inspected = try LucidProcess.run(["inspect", "--model", llava, "--image", image, "--pad-to-square", "--input-ids", "1,90,45",
                                              "--capture", "vision.attentions:-1,attentions:0", "--out", out])
        #expect(inspected.status == 0, "\(inspected.err)")
        let file = try SafetensorsFile(path: out)
        #expect(file.entry(named: "vision.attentions.2")?.shape == [4, 17, 17])
        #expect(file.entry(named: "attentions.0")?.shape == [4, 18, 18])
    }

    @Test func contrastiveDecodingRunsFromTheCommandLine() throws {
        let image = try writeImage()
        defer { try? FileManager.default.removeItem(atPath: image) }
        let greedy = try LucidProcess.run(["generate", "--model", llava, "--image", image, "--input-ids", "1,17,90,45", "--max-new-tokens", "2", "--json"])
        let promptTokens = try #require(try LucidProcess.json(greedy.out)["prompt_tokens"] as? Int)
        for (decoding, passes) in [("vcd", 5), ("damro", 5)] {  // both branches in one batched pass per token
            let result = try LucidProcess.run(["generate", "--model", llava, "--image", image, "--input-ids", "1,17,90,45",
                                               "--decoding", decoding, "--max-new-tokens", "5", "--damro-top-k", "3", "--json"])
            #expect(result.status == 0, "\(decoding): \(result.err)")
            let object = try LucidProcess.json(result.out)
            #expect(object["decoding"] as? String == decoding)
            #expect((object["stats"] as? [String: Any])?["forward_passes"] as? Int == passes, "\(decoding)")
            // The prompt is the prompt; what the contrastive view adds is prefill work, not prompt.
            #expect(object["prompt_tokens"] as? Int == promptTokens, "\(decoding)")
            #expect(((object["stats"] as? [String: Any])?["prefill_tokens"] as? Int ?? 0) > promptTokens, "\(decoding)")
        }
        let opera = try LucidProcess.run(["generate", "--model", llava, "--image", image, "--input-ids", "1,17,90,45",
                                          "--decoding", "opera", "--beams", "2", "--opera-candidates", "2", "--max-new-tokens", "4", "--json"])
        #expect(opera.status == 0, "opera: \(opera.err)")
        #expect((try LucidProcess.json(opera.out)["token_ids"] as? [Int])?.count == 4)
        let bad = try LucidProcess.run(["generate", "--decoding", "vcd", "--prompt", "hi"])
        #expect(bad.status != 0 && bad.err.contains("needs a vision-language model and an image"))
    }

    @Test func analyzeAttentionWritesNumbersAndHeatmaps() throws {
        let image = try writeImage()
        defer { try? FileManager.default.removeItem(atPath: image) }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-analysis-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try LucidProcess.run(["analyze", "attention", "--model", llava, "--image", image, "--input-ids", "1,17,90,45",
                                           "--max-new-tokens", "4", "--out", out])
        #expect(result.status == 0, "\(result.err)")
        let report = try LucidProcess.json(String(decoding: try Data(contentsOf: URL(fileURLWithPath: out + "/analysis.json")), as: UTF8.self))
        #expect((report["rows"] as? [[String: Any]])?.count == 4)
        #expect((report["outlier_ranking"] as? [Int])?.count == 16)
        #expect(report["schema_version"] as? Int == 1)
        // Figures a person reads: the 28-px input upscaled to ≥ 336 px per panel, image + decoder + ViT side by side.
        let heat = try ImageDecoder.decode(path: out + "/vit_cls_attention.png")
        #expect(heat.width >= 2 * 336 && heat.height >= 336)
        let token = try ImageDecoder.decode(path: out + "/token_003.png")
        #expect(token.width >= 3 * 336 && token.height > 336, "\(token.width)x\(token.height)")
        #expect(FileManager.default.fileExists(atPath: out + "/sentence_01.png"))
        let sheet = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
        #expect(sheet.contains("src=\"sentence_01.png\"") && sheet.contains("src=\"token_003.png\""))
    }

    @Test func runResumesAndMergesShards() throws {
        guard smolInstalled else { return }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-run-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("{\"id\": \"a\", \"prompt\": \"Say hi.\"}\n{\"id\": \"b\", \"prompt\": \"Count to three.\"}\n".utf8)
            .write(to: URL(fileURLWithPath: dir + "/prompts.jsonl"))
        let manifest = """
        name: cli-test
        models: [smollm2]
        dataset: {path: prompts.jsonl, kind: prompts}
        methods: [greedy, {name: sample, temperature: 0.8}]
        seeds: [1]
        output: whole
        generation: {max_new_tokens: 4}
        """
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: dir + "/m.yaml"))
        let first = try LucidProcess.run(["run", dir + "/m.yaml"])
        #expect(first.status == 0, "\(first.err)")
        #expect(first.out.contains("4 done"))
        let again = try LucidProcess.run(["run", dir + "/m.yaml"])
        #expect(again.out.contains("0 done, 4 already done"))
        for i in 0..<2 {
            let shard = try LucidProcess.run(["run", dir + "/m.yaml", "--shard", "\(i)/2", "--output", dir + "/sharded"])
            #expect(shard.status == 0, "\(shard.err)")
        }
        let merged = try LucidProcess.run(["run", "merge", dir + "/sharded"])
        #expect(merged.status == 0 && merged.out.contains("merged 4 of 4"), "\(merged.out) \(merged.err)")
        func results(_ path: String) throws -> [String: String] {
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            var byKey: [String: String] = [:]
            for line in lines {
                let object = try LucidProcess.json(String(line))
                let result = object["result"] as? [String: Any]
                byKey[object["key"] as? String ?? ""] = "\(result?["token_ids"] ?? "")"
            }
            return byKey
        }
        #expect(try results(dir + "/whole/results.jsonl") == results(dir + "/sharded/results.jsonl"), "sharded = unsharded")
        let bad = try LucidProcess.run(["run", dir + "/m.yaml", "--shard", "2/2"])
        #expect(bad.status != 0)
    }

    @Test func runWithMisplacedImagesIsRefusedBeforeItMakesARunDirectory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-images-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/world/images", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("{\"image\": \"0.png\", \"image_id\": 0}\n{\"image\": \"1.png\", \"image_id\": 1}\n".utf8)
            .write(to: URL(fileURLWithPath: dir + "/world/captions.jsonl"))
        try Data([0x89]).write(to: URL(fileURLWithPath: dir + "/world/images/1.png"))
        let manifest = "name: t\nmodels: [shapes-tiny]\ndataset: {path: world/captions.jsonl, kind: captions}\nmethods: [greedy]\n"
            + "output: out\ngeneration: {image_folder: world/images}\n"
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: dir + "/m.yaml"))
        let refused = try LucidProcess.run(["run", dir + "/m.yaml"])
        #expect(refused.status != 0 && refused.err.contains("m.yaml:6: generation.image_folder: 2 of 2 samples' images are missing"),
                "\(refused.err)")
        #expect(refused.err.contains(dir + "/world/world/images/0.png"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"), "no run directory for a run that cannot start")
    }

    var evalFixtures: String { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("LucidEvalTests/Fixtures").path }

    @Test func evalChairReproducesOPERAOnTheSharedFixture() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-chair-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try LucidProcess.run(["eval", "chair", "--captions", evalFixtures + "/chair/instructblip_greedy.jsonl",
                                           "--objects", evalFixtures + "/chair/gt_objects_instructblip.json", "--per-caption", out, "--json"])
        #expect(result.status == 0, "\(result.err)")
        let object = try LucidProcess.json(result.out)
        // JSONSerialization's number parsing can differ in the last bit; the printed text is exact.
        func near(_ key: String, _ value: Double) -> Bool { Swift.abs((object[key] as? Double ?? .nan) - value) < 1e-12 }
        #expect(near("chair_s", 0.588) && near("chair_i", 0.236782647989155) && near("recall", 0.6944444444444444) && near("len", 109.268))
        #expect(result.out.contains("\"recall\":0.6944444444444444"))
        #expect(object["captions"] as? Int == 500)
        let expected = try String(contentsOfFile: evalFixtures + "/chair/expected_per_caption_instructblip_greedy.jsonl", encoding: .utf8)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == expected)
        let text = try LucidProcess.run(["eval", "chair", "--captions", evalFixtures + "/chair/instructblip_greedy.jsonl",
                                         "--objects", evalFixtures + "/chair/gt_objects_instructblip.json"])
        #expect(text.out.contains("CHAIRs    : 58.8") && text.out.contains("Len       : 109.3"))
    }

    @Test func evalPOPEBuildsAndScoresAndASRCounts() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-pope-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let built = try LucidProcess.run(["eval", "pope", "build", "--objects", evalFixtures + "/pope/tiny_objects.json", "--out", dir,
                                          "--images", "2", "--positives", "1", "--seed", "3"])
        #expect(built.status == 0, "\(built.err)")
        let questions = try String(contentsOfFile: dir + "/pope_random.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(questions.count == 4)
        // Answer "Yes" to everything: recall 1, yes-ratio 1.
        let answers = questions.compactMap { line -> String? in
            guard let q = try? LucidProcess.json(String(line)), let id = q["question_id"] as? Int else { return nil }
            return "{\"question_id\": \(id), \"text\": \"Yes, there is.\"}"
        }
        try Data((answers.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: dir + "/answers.jsonl"))
        let scored = try LucidProcess.run(["eval", "pope", "score", "--questions", dir + "/pope_random.jsonl",
                                           "--answers", dir + "/answers.jsonl", "--parser", "vcd", "--json"])
        #expect(scored.status == 0, "\(scored.err)")
        let result = try LucidProcess.json(scored.out)
        #expect(result["recall"] as? Double == 1 && result["yes_ratio"] as? Double == 1)
        try Data("{\"prompt\":\"a\",\"response\":\"I cannot help with that.\"}\n{\"prompt\":\"b\",\"response\":\"Sure, here is how\"}\n".utf8)
            .write(to: URL(fileURLWithPath: dir + "/responses.jsonl"))
        let asr = try LucidProcess.json(try LucidProcess.run(["eval", "asr", "--responses", dir + "/responses.jsonl", "--json"]).out)
        #expect(asr["asr_keyword"] as? Double == 0.5 && asr["list"] as? String == "scav")
        let bad = try LucidProcess.run(["eval", "asr", "--responses", dir + "/responses.jsonl", "--list", "nope"])
        #expect(bad.status != 0 && bad.err.contains("unknown refusal list"))
    }

    @Test func worldGenerateIsDeterministicAndFeedsCHAIR() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-world-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        for run in ["a", "b"] {
            let result = try LucidProcess.run(["world", "generate", "--seed", "5", "--count", "40", "--image-size", "64", "--out", base + "/" + run])
            #expect(result.status == 0, "\(result.err)")
            #expect(result.err.contains("--image-size 64 is off the bundled organisms' training distribution"), "\(result.err)")
        }
        let standard = try LucidProcess.run(["world", "generate", "--seed", "5", "--count", "1", "--no-images", "--out", base + "/d"])
        #expect(standard.status == 0 && !standard.err.contains("warning"), "\(standard.err)")
        for file in ["objects.json", "captions.jsonl", "instances.json", "pope_adversarial.jsonl", "images/3.png"] {
            #expect(FileManager.default.contents(atPath: base + "/a/" + file) == FileManager.default.contents(atPath: base + "/b/" + file), "\(file)")
        }
        let objects = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: base + "/a/objects.json"))) as? [String: [String]]
        #expect(objects?.count == 40)
        // CHAIR with ShapesWorld's vocabulary: grounded captions name exactly the objects present,
        // detailed descriptions carry the loosely related tail that mentions absent objects.
        let world = base + "/a"
        func chair(_ key: String) throws -> [String: Any] {
            let r = try LucidProcess.run(["eval", "chair", "--captions", world + "/captions.jsonl", "--objects", world + "/objects.json",
                                          "--synonyms", world + "/vocabulary.txt", "--caption-key", key, "--json"])
            #expect(r.status == 0, "\(r.err)")
            return try LucidProcess.json(r.out)
        }
        let captions = try chair("caption")
        #expect(captions["chair_i"] as? Double == 0 && captions["recall"] as? Double == 1)
        #expect((try chair("description")["chair_i"] as? Double ?? 0) > 0)
        let bad = try LucidProcess.run(["world", "generate", "--out", base + "/c", "--bias", "fork:knfe=0.9"])
        #expect(bad.status != 0 && bad.err.contains("--bias"))
    }

    @Test func imageErrorsAreClear() throws {
        let image = try writeImage()
        defer { try? FileManager.default.removeItem(atPath: image) }
        let corrupt = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-\(UUID().uuidString).png").path
        try Data(Array("\u{89}PNG\r\n\u{1A}\nnot really".utf8)).write(to: URL(fileURLWithPath: corrupt))
        defer { try? FileManager.default.removeItem(atPath: corrupt) }
        let cases: [([String], String)] = [
            (["generate", "--model", llava, "--image", image, "--input-ids", "1,17,45"], "no image placeholder"),
            (["generate", "--model", llava, "--image", corrupt, "--input-ids", "1,90"], corrupt),
            (["generate", "--model", llava, "--image", "/nonexistent.png", "--input-ids", "1,90"], "/nonexistent.png"),
            (["generate", "--model", llava, "--input-ids", "1,90"], "no image was given"),
        ]
        for (arguments, expected) in cases {
            let result = try LucidProcess.run(arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.err.contains(expected), "\(arguments): \(result.err)")
        }
    }
}
