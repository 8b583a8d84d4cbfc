import Foundation
import Testing
@testable import LucidCLI
@testable import LucidTensor

/// `--dtype` and `--device` on every command that opens a model, as a user types them.
@Suite("--dtype and --device", .serialized)
struct ModelRuntimeFlagTests {
    /// Every command that opens a model for inference (training commands train in f32).
    static let modelCommands: [[String]] = [
        ["generate"], ["inspect"], ["analyze", "attention"], ["attack", "scav"], ["attack", "scav-prompt"],
        ["attack", "sink"], ["attack", "pgd"], ["defend", "qmllm", "eval"], ["demo"], ["eval", "perplexity"],
        ["probe", "train"], ["bench", "generate"], ["bench", "llava"],
    ]

    @Test func everyModelCommandTakesTheFlags() throws {
        for command in Self.modelCommands {
            let help = try LucidProcess.run(command + ["--help"])
            #expect(help.status == 0, "\(command): \(help.err)")
            #expect(help.out.contains("--dtype <dtype>") && help.out.contains("--device <device>"), "\(command)")
        }
    }

    @Test func fusedAttentionFollowsTheDTypeUnlessAFlagSaysOtherwise() throws {
        func fused(_ arguments: [String]) throws -> Bool { try ModelRuntimeOptions.parse(arguments).loadOptions().fusedAttention }
        #expect(try !fused([]) && fused(["--fused-attention"]))
        #expect(try fused(["--dtype", "bf16"]) && fused(["--dtype", "f16"]))
        #expect(try !fused(["--dtype", "bf16", "--no-fused-attention"]))
        let help = try LucidProcess.run(["generate", "--help"])
        #expect(help.out.contains("--fused-attention/--no-fused-attention"), "\(help.out)")
    }

    @Test func badNamesAreUsageErrorsNamingTheFlag() throws {
        let dtype = try LucidProcess.run(["generate", "--prompt", "hi", "--dtype", "fp8"])
        #expect(dtype.status != 0)
        #expect(dtype.err.contains("--dtype: unknown dtype 'fp8' (use f32, bf16 or f16)"), "\(dtype.err)")
        let device = try LucidProcess.run(["generate", "--prompt", "hi", "--device", "cuda:x"])
        #expect(device.status != 0)
        #expect(device.err.contains("--device: unknown device 'cuda:x'"), "\(device.err)")
    }

    @Test func aDeviceThisBuildCannotUseIsRefusedWithTheReason() throws {
        // cuda:127: refused without CUDA, and on any machine with fewer than 128 GPUs.
        let result = try LucidProcess.run(["generate", "--prompt", "hi", "--device", "cuda:127"])
        #expect(result.status != 0)
        #expect(result.err.contains("--device: device cuda:127 cannot be used: "), "\(result.err)")
        // The reason this process's libtorch gives (without CUDA, a backend that failed to load, no GPU).
        let reason = try #require(Torch.unavailability(of: .cuda(127)))
        #expect(result.err.contains(reason), "\(result.err)")
    }

    @Test func checkDeviceComparesEveryCheckAndPrintsJSON() throws {
        let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("LucidModelsTests/Fixtures/llava/llava-a/model").path
        let result = try LucidProcess.run(["check-device", "--model", model, "--device", "cpu", "--max-new-tokens", "3", "--json"])
        #expect(result.status == 0, "\(result.err)")
        let rows = try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [[String: Any]] ?? []
        #expect(rows.compactMap { $0["check"] as? String } == ["logits", "pixel gradient", "greedy", "sample", "beam", "opera", "vcd", "damro"])
        #expect(rows.allSatisfy { $0["agree"] as? Bool == true })
        let bad = try LucidProcess.run(["check-device", "--model", model, "--device", "cpu", "--prompt-length", "0"])
        #expect(bad.status != 0 && bad.err.contains("--prompt-length must be in 1…512"), "\(bad.err)")
    }

    /// A fresh folder with a one-prompt dataset and `sweep.yaml` running shapes-tiny with `modelOptions`.
    func sweep(_ modelOptions: String, generation: String = "") throws -> (folder: URL, manifest: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("runtime-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("{\"prompt\": \"hi\"}\n".utf8).write(to: folder.appendingPathComponent("data.jsonl"))
        let manifest = folder.appendingPathComponent("sweep.yaml")
        try Data("name: sweep\nmodels:\n  - path: shapes-tiny\n    \(modelOptions)\ndataset: {path: data.jsonl, kind: prompts}\nmethods: [greedy]\n\(generation)".utf8)
            .write(to: manifest)
        return (folder, manifest)
    }

    @Test func aManifestWithABadDTypeFailsWithFileLineAndKeyAndLeavesNoRunDirectory() throws {
        let (folder, manifest) = try sweep("dtype: bf17")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try LucidProcess.run(["run", manifest.path])
        #expect(result.status != 0)
        #expect(result.err.contains("\(manifest.path):4: models[0].dtype: unknown dtype 'bf17' (use f32, bf16 or f16)"), "\(result.err)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("runs").path), "a refused manifest makes no run directory")
    }

    /// A bf16 sweep of `shapes-tiny` run once: its folder, manifest, run.json and what run.json records.
    func startedBF16Run() throws -> (folder: URL, manifest: URL, runJSON: URL, recorded: [String: Any]) {
        let (folder, manifest) = try sweep("dtype: bf16", generation: "generation: {max_new_tokens: 4}\n")
        let first = try LucidProcess.run(["run", manifest.path])
        #expect(first.status == 0, "\(first.err)")
        let runJSON = folder.appendingPathComponent("runs/sweep/run.json")
        return (folder, manifest, runJSON, try LucidProcess.json(String(contentsOf: runJSON, encoding: .utf8)))
    }

    /// `recorded`'s engine settings of `shapes-tiny`.
    func tinyEngine(_ recorded: [String: Any]) -> [String: Any]? {
        ((recorded["engine"] as? [String: Any])?["models"] as? [String: Any])?["shapes-tiny"] as? [String: Any]
    }

    /// Writes `recorded` to `runJSON` without `key` in `shapes-tiny`'s engine settings, as a Lucid that did not record
    /// it would have; returns the value removed.
    func writeWithout(_ key: String, _ recorded: [String: Any], to runJSON: URL) throws -> Any? {
        var older = recorded
        var engine = try #require(older["engine"] as? [String: Any])
        var models = try #require(engine["models"] as? [String: Any])
        var tiny = try #require(models["shapes-tiny"] as? [String: Any])
        let removed = tiny.removeValue(forKey: key)
        models["shapes-tiny"] = tiny
        engine["models"] = models
        older["engine"] = engine
        try JSONSerialization.data(withJSONObject: older).write(to: runJSON)
        return removed
    }

    @Test func aRunResumedWithOtherEngineSettingsIsRefusedAndForceNewStartsBesideIt() throws {
        let (folder, manifest, runJSON, recorded) = try startedBF16Run()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(tinyEngine(recorded)?["fused_attention"] as? Bool == true, "\(recorded)")
        // As if a Lucid whose bf16 default was the explicit softmax had started it.
        let older = try String(contentsOf: runJSON, encoding: .utf8).replacingOccurrences(of: "\"fused_attention\": true", with: "\"fused_attention\": false")
        #expect(older.contains("\"fused_attention\": false"))
        try Data(older.utf8).write(to: runJSON)
        let resumed = try LucidProcess.run(["run", manifest.path])
        #expect(resumed.status != 0)
        #expect(resumed.err.contains("started with other engine settings (models.shapes-tiny.fused_attention: false then, true now)"), "\(resumed.err)")
        // As Lucid recorded a fused run before the towers fused too (session 29): no fused_vision_attention.
        #expect(try writeWithout("fused_vision_attention", recorded, to: runJSON) as? Bool == true)
        let resumedAcross = try LucidProcess.run(["run", manifest.path])
        #expect(resumedAcross.status != 0)
        #expect(resumedAcross.err.contains("models.shapes-tiny.fused_vision_attention: absent then, true now"), "\(resumedAcross.err)")
        let fresh = try LucidProcess.run(["run", manifest.path, "--force-new"])
        #expect(fresh.status == 0 && fresh.out.contains("runs/sweep-2"), "\(fresh.out)\(fresh.err)")
    }

    /// A bf16 run records how this CPU computes it; a resume that would compute it another way is refused, and
    /// a run started before Lucid recorded that (session 44) resumes with a warning.
    @Test func aBF16RunRecordsHowTheCPUComputesItAndAnOlderRecordResumesWithAWarning() throws {
        let (folder, manifest, runJSON, recorded) = try startedBF16Run()
        defer { try? FileManager.default.removeItem(at: folder) }
        let cpu = try #require(tinyEngine(recorded)?["cpu"] as? [String: String], "\(recorded)")
        #expect(Set(cpu.keys) == ["aten", "kernel", "products"] && ["widened", "libtorch"].contains(cpu["products"] ?? ""), "\(cpu)")
        let other = cpu["products"] == "widened" ? "off" : "on"
        let switched = try LucidProcess.run(["run", manifest.path], environment: ["LUCID_WIDENED_PRODUCTS": other])
        #expect(switched.status != 0)
        #expect(switched.err.contains("models.shapes-tiny.cpu.products: \"\(cpu["products"] ?? "")\" then"), "\(switched.err)")

        #expect(try writeWithout("cpu", recorded, to: runJSON) != nil)
        let resumed = try LucidProcess.run(["run", manifest.path])
        #expect(resumed.status == 0, "\(resumed.err)")
        #expect(resumed.out.contains("already done") && resumed.out.contains("runs/sweep"), "\(resumed.out)")
        #expect(resumed.err.contains("warning: this run was started before Lucid recorded models.shapes-tiny.cpu ("), "\(resumed.err)")
    }

    @Test func generateRunsInBF16() throws {
        guard FileManager.default.fileExists(atPath: ModelPaths.smolLM2) else {
            Issue.record("SmolLM2 GGUF missing at \(ModelPaths.smolLM2): run scripts/setup.sh")
            return
        }
        let result = try LucidProcess.run(["generate", "--prompt", "What is the capital of France?", "--json", "--max-new-tokens", "6", "--dtype", "bf16"])
        #expect(result.status == 0, "\(result.err)")
        let object = try LucidProcess.json(result.out)
        #expect((object["token_ids"] as? [Int])?.isEmpty == false)
    }
}

/// `--model org/name`: a Hugging Face repository id opens from the local hub cache, no network.
@Suite("models from the Hugging Face cache")
struct HubCacheModelTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("LucidModelsTests/Fixtures/llama/llama-gqa/model")

    @Test func aRepositoryIdOpensItsSnapshotAsTheDirectoryWould() throws {
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("lucid-hub-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: root) }
        let commit = String(repeating: "a1", count: 20)
        let repository = root.appendingPathComponent("models--tiny-org--llama-gqa")
        let snapshot = repository.appendingPathComponent("snapshots/\(commit)")
        try fm.createDirectory(at: snapshot, withIntermediateDirectories: true)
        try fm.createDirectory(at: repository.appendingPathComponent("refs"), withIntermediateDirectories: true)
        try Data(commit.utf8).write(to: repository.appendingPathComponent("refs/main"))
        for file in try fm.contentsOfDirectory(atPath: Self.fixture.path) {
            try fm.createSymbolicLink(at: snapshot.appendingPathComponent(file), withDestinationURL: Self.fixture.appendingPathComponent(file))
        }
        let arguments = ["generate", "--input-ids", "1,2,3", "--max-new-tokens", "4", "--json", "--model"]
        let direct = try LucidProcess.run(arguments + [Self.fixture.path])
        let fromCache = try LucidProcess.run(arguments + ["tiny-org/llama-gqa"], environment: ["HF_HUB_CACHE": root.path])
        #expect(direct.status == 0 && fromCache.status == 0, "\(fromCache.err)")
        func tokens(_ out: String) -> [Int]? {
            (try? JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])?["token_ids"] as? [Int]
        }
        let expected = try #require(tokens(direct.out), "\(direct.out)")
        #expect(expected.count == 4 && tokens(fromCache.out) == expected, "\(fromCache.out)")
        let missing = try LucidProcess.run(arguments + ["tiny-org/absent"], environment: ["HF_HUB_CACHE": root.path])
        #expect(missing.status != 0)
        #expect(missing.err.contains("tiny-org/absent is not in the Hugging Face cache at \(root.path) (no models--tiny-org--absent folder)"),
                "\(missing.err)")
        #expect(missing.err.contains("huggingface-cli download tiny-org/absent"))
    }
}
