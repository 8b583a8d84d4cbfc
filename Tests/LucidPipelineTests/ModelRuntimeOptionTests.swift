import Foundation
import LucidNN
import LucidOrganisms
import Testing
@testable import LucidModels
@testable import LucidPipeline
@testable import LucidRuns
@testable import LucidTensor

/// `dtype` and `device` through the registry and the manifest keys of `lucid run`.
@Suite("model dtype and device options", .serialized)
struct ModelRuntimeOptionTests {
    @Test func theRegistryOpensInTheDTypeAskedFor() throws {
        let opened = try ModelRegistry.standard.open("shapes-tiny", options: ModelOpenOptions(load: ModelLoadOptions(dtype: .bf16)))
        let vision = try #require(opened.vision as? LlavaForConditionalGeneration)
        #expect(vision.namedParameters().allSatisfy { $0.parameter.value.dtype == .bf16 })
        #expect(try ModelRegistry.standard.open("shapes-tiny").model.embed(Tensor([1], shape: [1, 1])).dtype == .f32)
    }

    @Test func fusedAttentionIsOnByDefaultInReducedPrecisionOnlyAndCanBeSetEitherWay() throws {
        #expect(ModelLoadOptions().fusedAttention == false)
        #expect(ModelLoadOptions(dtype: .bf16).fusedAttention && ModelLoadOptions(dtype: .f16).fusedAttention)
        var options = try ModelLoadOptions(dtypeName: "bf16", deviceName: nil)
        #expect(options.fusedAttention && options.fusedAttentionSetting == nil)
        options.fusedAttention = false
        #expect(!options.fusedAttention)
        options.dtype = .f32
        options.fusedAttention = true
        #expect(options.fusedAttention)
        // What the registry applies to the decoder and the vision tower.
        func settings(_ load: ModelLoadOptions) throws -> Set<Bool>? {
            (try ModelRegistry.standard.open("shapes-tiny", options: ModelOpenOptions(load: load)).model as? any Module)?.fusedAttentionSettings
        }
        #expect(try settings(ModelLoadOptions()) == [false])
        #expect(try settings(ModelLoadOptions(dtype: .bf16)) == [true])
        var explicit = ModelLoadOptions(dtype: .bf16)
        explicit.fusedAttention = false
        #expect(try settings(explicit) == [false])
    }

    @Test func everyLoaderThatTakesLoadOptionsGivesTheDecoderAndTheTowerTheirAttentionKernel() throws {
        // Straight through the loaders, not the registry (which applies the setting again): `lucid
        // defend qmllm eval` and `bench generate` open their models this way.
        var explicit = ModelLoadOptions(dtype: .bf16)
        explicit.fusedAttention = false
        var fusedF32 = ModelLoadOptions()
        fusedF32.fusedAttention = true
        for (options, fused) in [(ModelLoadOptions(), false), (ModelLoadOptions(dtype: .bf16), true), (explicit, false), (fusedF32, true)] {
            let tiny = try OrganismLoader.load(directory: ModelLocations.resolve("shapes-tiny"), options: options)  // a llava-hf directory
            #expect(tiny.fusedAttentionSettings == [fused], "\(options)")
            // Every attention that can fuse: the decoder and each layer of the CLIP tower.
            #expect(tiny.namedModules().filter { $0.module is any FusedAttentionModule }.count == 1 + tiny.visionTower.layers.items.count)
            #expect(tiny.namedParameters().allSatisfy { $0.parameter.value.dtype == options.dtype })
        }
        // The routes over SmolLM2's GGUF, with the two settings that differ from their dtype's default
        // (a loader that ignored the setting, or the options altogether, would fail one of them).
        for (options, fused) in [(explicit, false), (fusedF32, true)] {
            let smol = try OrganismLoader.load(directory: ModelLocations.resolve("shapes-smol"), options: options)
            let (defended, _) = try QMLLMDirectory.load(directory: ModelLocations.resolve("shapes-smol-q"), options: options)
            let adapted = try OrganismLoader.loadAdapted(directory: ModelLocations.resolve("smol-aligned"), options: options)
            #expect([smol.fusedAttentionSettings, defended.fusedAttentionSettings, adapted.fusedAttentionSettings] == [[fused], [fused], [fused]],
                    "\(options)")
        }
    }

    @Test func aRunRecordsEachModelsDTypeDeviceAttentionKernelAndReducedPrecisionCPUWithDefaultsResolved() throws {
        let (sweep, folder) = try manifest("    name: half\n    dtype: bf16\n  - path: shapes-tiny\n    name: pinned\n    dtype: bf16\n    fused_attention: false\n  - path: shapes-tiny\n    name: full")
        defer { try? FileManager.default.removeItem(at: folder) }
        try ManifestWorker.validate(sweep)
        func model(_ dtype: String, _ fused: Bool, products: String = "widened") -> JSONValue {
            var fields: [String: JSONValue] = ["dtype": .string(dtype), "device": .string("cpu"), "fused_attention": .bool(fused)]
            if fused { fields["fused_vision_attention"] = .bool(true) }
            if dtype != "f32" {
                fields["cpu"] = .object(["aten": .string(Torch.cpuCapability), "kernel": .string(SmallLinearKernel.active.name),
                                         "products": .string(products)])
            }
            return .object(fields)
        }
        for widened in [true, false] {
            let products = widened ? "widened" : "libtorch"
            #expect(try ReducedPrecisionProducts.computed(widened: widened) { try ManifestWorker.engine(of: sweep) } == .object(["models": .object([
                "half": model("bf16", true, products: products), "pinned": model("bf16", false, products: products),
                "full": model("f32", false)])]))
        }
        #expect(try SmallLinearKernel.using(.scalar) { _ in try ManifestWorker.engine(of: sweep) }["models"]?["half"]?["cpu"]?["kernel"] == .string("scalar"))
        #expect(ManifestWorker.laterEngineKeys == ["cpu"])
    }

    @Test func theRegistryRefusesADeviceBeforeResolvingTheModel() {
        // A name that does not exist: the device error, not "no such file", shows nothing was read.
        #expect(throws: ModelLoadOptionsError.self) {
            _ = try ModelRegistry.standard.open("/no/such/model", options: ModelOpenOptions(load: ModelLoadOptions(device: .mps)))
        }
    }

    func manifest(_ modelLines: String) throws -> (RunManifest, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("runtime-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("{\"prompt\": \"hi\"}\n".utf8).write(to: folder.appendingPathComponent("data.jsonl"))
        let url = folder.appendingPathComponent("sweep.yaml")
        try Data("""
        name: sweep
        models:
          - path: shapes-tiny
        \(modelLines)
        dataset:
          path: data.jsonl
          kind: prompts
        methods: [greedy]

        """.utf8).write(to: url)
        return (try RunManifest.load(from: url), folder)
    }

    @Test func aBadDTypeOrDeviceInAManifestNamesTheFileLineAndKey() throws {
        let (badDType, folder) = try manifest("    name: tiny\n    dtype: fp8")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: ManifestError(file: folder.appendingPathComponent("sweep.yaml").path, line: 5, keyPath: "models[0].dtype",
                                      reason: "unknown dtype 'fp8' (use f32, bf16 or f16)")) {
            try ManifestWorker.validate(badDType)
        }
        let (notAString, other) = try manifest("    dtype: 16")
        defer { try? FileManager.default.removeItem(at: other) }
        #expect(throws: ManifestError.self) { try ManifestWorker.validate(notAString) }
        let (badDevice, third) = try manifest("    device: tpu")
        defer { try? FileManager.default.removeItem(at: third) }
        do {
            try ManifestWorker.validate(badDevice)
            Issue.record("device tpu accepted")
        } catch let error as ManifestError {
            #expect(error.line == 4 && error.keyPath == "models[0].device", "\(error)")
            #expect(error.description.hasPrefix("\(third.appendingPathComponent("sweep.yaml").path):4: models[0].device: unknown device 'tpu'"))
        }
    }

    @Test func aManifestDTypeIsHonoured() throws {
        let (sweep, folder) = try manifest("    dtype: bf16")
        defer { try? FileManager.default.removeItem(at: folder) }
        try ManifestWorker.validate(sweep)
        #expect(try ManifestWorker.loadOptions(of: sweep.models[0]) == ModelLoadOptions(dtype: .bf16))
        let plan = try RunPlan(manifest: sweep)
        let worker = ManifestWorker(plan: plan, runDirectory: folder.appendingPathComponent("run"))
        let (opened, _) = try worker.model(sweep.models[0])
        let vision = try #require(opened.vision as? LlavaForConditionalGeneration)
        #expect(vision.namedParameters().allSatisfy { $0.parameter.value.dtype == .bf16 })
        let result = try #require(try worker.run(plan.items[0]).objectValue)
        #expect(result["token_ids"]?.arrayValue?.isEmpty == false)
    }

    @Test func aMisspeltModelOptionIsRefusedNamingItsLine() throws {
        let (sweep, folder) = try manifest("    dtpye: bf16")
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            try ManifestWorker.validate(sweep)
            Issue.record("a misspelt dtype key was accepted (the run would have been f32)")
        } catch let error as ManifestError {
            #expect(error.line == 4 && error.keyPath == "models[0].dtpye", "\(error)")
            #expect(error.description.hasSuffix("unknown model option (did you mean `dtype`?)"), "\(error)")
        }
    }

    @Test func aModelOptionFarFromAnyKnownOneListsThem() throws {
        let (sweep, folder) = try manifest("    precision: half")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: ManifestError(file: folder.appendingPathComponent("sweep.yaml").path, line: 4, keyPath: "models[0].precision",
                                      reason: "unknown model option (known: name, path, attack, defense, device, dtype, fused_attention, template)")) {
            try ManifestWorker.validate(sweep)
        }
    }

    @Test func aManifestFusedAttentionKeyReachesTheDecoder() throws {
        let (sweep, folder) = try manifest("    fused_attention: true")
        defer { try? FileManager.default.removeItem(at: folder) }
        try ManifestWorker.validate(sweep)
        var expected = ModelLoadOptions()
        expected.fusedAttention = true
        #expect(try ManifestWorker.loadOptions(of: sweep.models[0]) == expected)
        let plan = try RunPlan(manifest: sweep)
        let worker = ManifestWorker(plan: plan, runDirectory: folder.appendingPathComponent("run"))
        let (opened, _) = try worker.model(sweep.models[0])
        #expect(opened.model.llamaDecoder?.fusedAttention == true)
        let result = try #require(try worker.run(plan.items[0]).objectValue)
        #expect(result["token_ids"]?.arrayValue?.isEmpty == false)

        let (plain, other) = try manifest("")
        defer { try? FileManager.default.removeItem(at: other) }
        let (unfused, _) = try ManifestWorker(plan: try RunPlan(manifest: plain), runDirectory: other).model(plain.models[0])
        #expect(unfused.model.llamaDecoder?.fusedAttention == false)
    }

    /// Without the key the dtype decides (on in bf16); `false` keeps the explicit softmax in bf16.
    @Test func aBF16ManifestFusesUnlessTheKeySaysFalse() throws {
        let (byDefault, folder) = try manifest("    dtype: bf16")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try ManifestWorker.loadOptions(of: byDefault.models[0]).fusedAttention)
        let (explicit, other) = try manifest("    dtype: bf16\n    fused_attention: false")
        defer { try? FileManager.default.removeItem(at: other) }
        let options = try ManifestWorker.loadOptions(of: explicit.models[0])
        #expect(options.dtype == .bf16 && !options.fusedAttention)
    }

    @Test func aFusedAttentionThatIsNotABooleanIsRefused() throws {
        let (sweep, folder) = try manifest("    fused_attention: 1")
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            try ManifestWorker.validate(sweep)
            Issue.record("fused_attention: 1 accepted")
        } catch let error as ManifestError {
            #expect(error.line == 4 && error.keyPath == "models[0].fused_attention", "\(error)")
            #expect(error.description.hasSuffix("fused_attention must be true or false, not 1"), "\(error)")
        }
    }
}
