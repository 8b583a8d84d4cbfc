import Foundation
import Testing
@testable import LucidModels
@testable import LucidPipeline
@testable import LucidTensor

/// Opening models through the registry: routes by name, path and `model_type`, and families added by users.
@Suite("model registry")
struct ModelRegistryTests {
    /// A directory with only a `config.json` of `model_type`.
    func directory(modelType: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("registry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try Data(#"{"model_type": "\#(modelType)"}"#.utf8).write(to: url.appendingPathComponent("config.json"))
        return url.path
    }

    @Test func aRegisteredFamilyOpensItsModelType() throws {
        let path = try directory(modelType: "toy")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = LlamaConfig(vocabSize: 40, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 1, numAttentionHeads: 4, eosTokenIDs: [3])
        var registry = ModelRegistry.standard
        registry.register(ModelFamily(modelTypes: ["toy"]) { opened, _ in
            #expect(opened == path)
            let model = try LlamaForCausalLM(text)
            return LoadedWeights(model: model, eosTokenIDs: [3], hiddenSize: 16)
        })
        let opened = try registry.open(path)
        #expect(opened.modelType == "toy")
        #expect(opened.vision == nil)
        #expect(opened.model.vocabularySize == 40)
        #expect(Set(opened.stopTokenIDs(tokenizer: nil)) == [3])
        // The standard registry does not know the type: its text loader names what it supports.
        #expect(throws: ModelLoadError.self) { _ = try ModelRegistry.standard.open(path) }
    }

    /// The bundled SmolLM2 GGUF stops at its EOS (`<|im_end|>`, 2) and at `<|endoftext|>` (0), which llama.cpp
    /// also ends at, in that order every time: the first is the model's own end of sequence.
    @Test func stopIDsAreTheModelsInOrderThenTheTokenizers() throws {
        let opened = try ModelRegistry.standard.open("smollm2")
        let tokenizer = try ModelRegistry.standard.tokenizer(for: "smollm2")
        #expect(opened.stopTokenIDs(tokenizer: tokenizer) == [2, 0])
    }

    @Test func missingModelsAreClearErrors() throws {
        #expect(throws: ModelOpenError("/no/such/model: no such file or directory")) { _ = try ModelRegistry.standard.open("/no/such/model") }
    }

    @Test func theBundledOrganismOpensAsAVisionLanguageModel() throws {
        let opened = try ModelRegistry.standard.open("shapes-tiny")
        let vision = try #require(opened.vision)
        #expect(opened.modelType == "llava")
        #expect(opened.defense == nil && vision.imageGate == nil)
        #expect(opened.hiddenSize == vision.hiddenSize)
        #expect(opened.chatTemplate(for: try ModelRegistry.standard.tokenizer(for: "shapes-tiny")) != nil)
    }
}
