import Foundation
import Testing
@testable import LucidModels
@testable import LucidNN
@testable import LucidTensor

/// Bad checkpoints give typed errors naming the file and the problem, and never crash.
@Suite("Model loading errors")
struct ModelLoadingErrorTests {
    /// A writable copy of a fixture model directory.
    func copyOfFixture(_ name: String = "llama-mha") throws -> String {
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-model-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: Fixtures.path("llama", name, "model"), toPath: target)
        return target
    }

    func editConfig(_ directory: String, _ edit: (inout [String: Any]) -> Void) throws {
        let path = directory + "/config.json"
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    }

    @Test func configThatDisagreesWithTheWeightsNamesTheTensor() throws {
        let dir = try copyOfFixture()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try editConfig(dir) { $0["intermediate_size"] = 65 }
        do {
            _ = try LlamaForCausalLM.load(path: dir)
            Issue.record("loading should fail")
        } catch let error as ModuleLoadError {
            guard case .shapeMismatch(_, let name, let expected, let found) = error else { Issue.record("\(error)"); return }
            #expect(name.hasSuffix("mlp.gate_proj.weight") && expected == [65, 32] && found == [64, 32])
        }
    }

    @Test func missingTensorsAreListed() throws {
        let dir = try copyOfFixture()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = try SafetensorsFile(path: dir + "/model.safetensors")
        let kept = file.entries.filter { !$0.name.contains("layers.1.mlp") }.map { entry in
            SafetensorsWriter.Item(name: entry.name, dtype: entry.dtype, shape: entry.shape, bytes: Array(file.data(for: entry)))
        }
        try SafetensorsWriter.write(kept, metadata: ["format": "pt"], to: dir + "/model.safetensors")
        #expect(throws: ModuleLoadError.self) { try LlamaForCausalLM.load(path: dir) }
        do { _ = try LlamaForCausalLM.load(path: dir) } catch {
            #expect("\(error)".contains("model.layers.1.mlp.down_proj.weight"))
            #expect("\(error)".contains("missing"))
        }
    }

    @Test func unknownArchitecturesAndBrokenConfigsAreNamed() throws {
        let dir = try copyOfFixture()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try editConfig(dir) { $0["model_type"] = "gpt2" }
        #expect(throws: ModelLoadError.self) { try LlamaForCausalLM.load(path: dir) }
        do { _ = try LlamaForCausalLM.load(path: dir) } catch { #expect("\(error)".contains("'gpt2' is not supported")) }
        try editConfig(dir) { $0["model_type"] = "llama"; $0["num_key_value_heads"] = 3 }
        do { _ = try LlamaForCausalLM.load(path: dir) } catch { #expect("\(error)".contains("not a multiple of num_key_value_heads")) }
        try editConfig(dir) { $0["num_key_value_heads"] = 4; $0["rope_scaling"] = ["type": "llama3", "factor": 8.0] }
        do { _ = try LlamaForCausalLM.load(path: dir) } catch { #expect("\(error)".contains("rope_scaling")) }
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: dir + "/config.json"))
        #expect(throws: ModelLoadError.self) { try LlamaForCausalLM.load(path: dir) }
        #expect(throws: ModelLoadError.self) { try LlamaForCausalLM.load(path: dir + "/missing") }
        #expect(throws: ModelLoadError.self) { try LlavaForConditionalGeneration.load(directory: Fixtures.path("llama", "llama-mha", "model")) }
    }

    @Test func ggufOfAnotherArchitectureIsRefused() throws {
        // A minimal GGUF v3 with general.architecture = falcon and no tensors.
        let path = try MiniGGUF(metadata: [("general.architecture", .string("falcon"))]).write()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try LlamaForCausalLM.load(path: path)
            Issue.record("loading should fail")
        } catch {
            #expect("\(error)".contains("'falcon' is not supported"))
        }
    }
}
