import Foundation
import Testing
@testable import LucidModels
@testable import LucidNN
@testable import LucidTensor

/// Opening a model builds no random layers and copies no weight it can use in place.
@Suite("Lean loading")
struct LeanLoadingTests {
    /// Resident memory of this process in bytes (/proc/self/statm), or nil where there is none.
    static func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// A LLaMA-7B-shaped model (6.7 B parameters, 27 GB in f32) built with placeholders takes
    /// almost no memory: compare the growth of resident memory with the parameter bytes.
    @Test func placeholderModelOfSevenBillionParametersTakesNoMemory() throws {
        let config = LlamaConfig(vocabSize: 32000, hiddenSize: 4096, intermediateSize: 11008, numHiddenLayers: 32,
                                 numAttentionHeads: 32)
        let before = Self.residentBytes()
        let model = try ParameterInitialization.withPlaceholders { () throws(ModelConfigError) in try LlamaForCausalLM(config) }
        let parameters = model.namedParameters()
        #expect(parameters.allSatisfy { $0.parameter.isPlaceholder })
        let count = parameters.reduce(0) { $0 + $1.parameter.value.count }
        #expect(count == 6_738_415_616)
        if let before, let after = Self.residentBytes() {
            // Other tests run in parallel; 1 GiB is noise room, 27 GB would be initialisation.
            #expect(after - before < 1 << 30, "resident memory grew by \(after - before) bytes for \(count * 4) parameter bytes")
        }
    }

    @Test func loadersReplaceEveryPlaceholder() throws {
        let model = try LlamaForCausalLM.load(path: Fixtures.path("llama", "llama-gqa", "model"), options: ModelLoadOptions(dtype: .bf16))
        #expect(model.namedParameters().allSatisfy { !$0.parameter.isPlaceholder && $0.parameter.value.dtype == .bf16 })
        let llava = try LlavaForConditionalGeneration.load(directory: Fixtures.path("llava", "llava-a", "model"))
        #expect(llava.namedParameters().allSatisfy { !$0.parameter.isPlaceholder })
    }

    /// A placeholder the source lacks is a missing tensor even where the loader allows missing ones.
    @Test func placeholdersAreNeverLeftInPlace() throws {
        let layer = ParameterInitialization.withPlaceholders { Linear(inFeatures: 3, outFeatures: 2) }
        let source = TensorDictionary(["weight": Tensor.ones([2, 3])], description: "partial")
        #expect(throws: ModuleLoadError.missing(source: "partial", names: ["bias"])) {
            try layer.load(from: source, options: LoadOptions(allowMissing: { _ in true }))
        }
        #expect(layer.weight.isPlaceholder && layer.bias?.isPlaceholder == true, "a failed load changes nothing")
        let real = Linear(inFeatures: 3, outFeatures: 2)
        try real.load(from: source, options: LoadOptions(allowMissing: { _ in true }))
        #expect(!real.weight.isPlaceholder && real.bias?.isPlaceholder == false)
    }
}
