import Testing
@testable import LucidNN
@testable import LucidTensor

/// A two-level module tree for naming and loading tests.
final class TinyBlock: Module {
    let proj = Linear(inFeatures: 3, outFeatures: 2, generator: Generator(seed: 1))
    let norm = RMSNorm(dimension: 2)
    var children: [(name: String, module: any Module)] { [("proj", proj), ("norm", norm)] }
}

final class TinyModel: Module {
    let embed = Embedding(count: 5, dimension: 3, generator: Generator(seed: 2))
    let layers = ModuleList([TinyBlock(), TinyBlock()])
    var children: [(name: String, module: any Module)] { [("embed_tokens", embed), ("layers", layers)] }
}

@Suite("Modules and loading")
struct ModuleTests {
    @Test func parametersHaveHuggingFaceKeyPaths() {
        let names = TinyModel().namedParameters().map(\.name)
        #expect(names == ["embed_tokens.weight", "layers.0.proj.weight", "layers.0.proj.bias", "layers.0.norm.weight",
                          "layers.1.proj.weight", "layers.1.proj.bias", "layers.1.norm.weight"])
        #expect(TinyModel().parameterCount == 15 + 2 * (6 + 2 + 2))
    }

    func checkpoint(for model: TinyModel, prefix: String = "", value: Double = 0.5) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: model.namedParameters().map { (prefix + $0.name, Tensor.full($0.parameter.shape, value)) })
    }

    @Test func loadReplacesEveryParameterAfterRenames() throws {
        let model = TinyModel()
        let source = TensorDictionary(checkpoint(for: model, prefix: "model."))
        try model.load(from: source, options: LoadOptions(renames: [.prefix("model.", "")]))
        #expect(model.namedParameters().allSatisfy { $0.parameter.value.toArray(Float.self).allSatisfy { $0 == 0.5 } })
    }

    @Test func missingUnexpectedAndMisshapenTensorsAreNamedErrors() {
        let model = TinyModel()
        var tensors = checkpoint(for: model)
        tensors["layers.1.norm.weight"] = nil
        #expect(throws: ModuleLoadError.missing(source: "in-memory tensors", names: ["layers.1.norm.weight"])) {
            try model.load(from: TensorDictionary(tensors))
        }
        tensors = checkpoint(for: model)
        tensors["layers.0.rotary_emb.inv_freq"] = Tensor.zeros([2])
        #expect(throws: ModuleLoadError.unexpected(source: "in-memory tensors", names: ["layers.0.rotary_emb.inv_freq"])) {
            try model.load(from: TensorDictionary(tensors))
        }
        #expect(throws: Never.self) {
            try model.load(from: TensorDictionary(tensors), options: LoadOptions(ignoreUnexpected: { $0.hasSuffix("inv_freq") }))
        }
        tensors = checkpoint(for: model, value: 2)
        tensors["layers.0.proj.weight"] = Tensor.zeros([3, 2])
        #expect(throws: ModuleLoadError.shapeMismatch(source: "in-memory tensors", name: "layers.0.proj.weight", expected: [2, 3], found: [3, 2])) {
            try model.load(from: TensorDictionary(tensors))
        }
        // A failed load leaves the module untouched.
        #expect(model.layers[1].proj.bias?.value.toArray(Float.self) != [2, 2])
    }

    @Test func loadConvertsDTypesAndReportsAllowedMissing() throws {
        let model = TinyModel()
        var tensors = checkpoint(for: model).mapValues { $0.to(.f16) }
        tensors["embed_tokens.weight"] = nil
        let left = try model.load(from: TensorDictionary(tensors), options: LoadOptions(allowMissing: { $0.hasPrefix("embed") }))
        #expect(left == ["embed_tokens.weight"])
        #expect(model.layers[0].proj.weight.value.dtype == .f32)
        model.convert(to: .bf16)
        #expect(model.embed.weight.value.dtype == .bf16)
    }

    /// A source that records which tensors the loader said it no longer needs.
    final class ReleaseSpy: TensorSource {
        let inner: TensorDictionary
        var released: [String] = []
        init(_ tensors: [String: Tensor]) { inner = TensorDictionary(tensors) }
        var tensorNames: [String] { inner.tensorNames }
        func shape(of name: String) -> [Int]? { inner.shape(of: name) }
        func tensor(named name: String) throws -> Tensor { try inner.tensor(named: name) }
        var sourceDescription: String { inner.sourceDescription }
        func releaseStorage(of name: String) { released.append(name) }
    }

    @Test func theSourceReleasesExactlyTheTensorsThatWereCopiedIntoAnotherDType() throws {
        let model = TinyModel()
        var tensors = checkpoint(for: model)
        tensors["layers.0.proj.weight"] = tensors["layers.0.proj.weight"]?.to(.f16)
        tensors["layers.1.norm.weight"] = tensors["layers.1.norm.weight"]?.to(.bf16)
        let spy = ReleaseSpy(tensors)
        try model.load(from: spy)  // into the parameters' f32: only the two converted tensors were copied
        #expect(spy.released.sorted() == ["layers.0.proj.weight", "layers.1.norm.weight"])
        // Used in place (same dtype, same device): nothing may be released, the parameters borrow it.
        let same = ReleaseSpy(checkpoint(for: TinyModel()))
        try TinyModel().load(from: same, options: LoadOptions(device: .cpu))
        #expect(same.released.isEmpty)
    }

    @Test func layersComputeTheirDefinitions() {
        let linear = Linear(inFeatures: 2, outFeatures: 2)
        linear.weight.value = Tensor([[1.0, 2.0], [3.0, 4.0]] as [[Float]])
        linear.bias?.value = Tensor([0.5, -0.5] as [Float])
        #expect(linear(Tensor([[1.0, 1.0]] as [[Float]])).toArray(Float.self) == [3.5, 6.5])
        let embedding = Embedding(count: 3, dimension: 2)
        embedding.weight.value = Tensor([[0, 0], [1, 1], [2, 2]] as [[Float]])
        let rows = embedding(Tensor([2, 0, 1, 1], shape: [2, 2]))
        #expect(rows.shape == [2, 2, 2])
        #expect(rows.toArray(Float.self) == [2, 2, 0, 0, 1, 1, 1, 1])
        let conv = Conv2d(inChannels: 1, outChannels: 1, kernelSize: (2, 2), stride: (2, 2), bias: false)
        conv.weight.value = Tensor.ones([1, 1, 2, 2])
        #expect(conv(Tensor.ones([1, 1, 4, 4])).toArray(Float.self) == [4, 4, 4, 4])
        let ln = LayerNorm(dimension: 2)
        #expect(ln(Tensor([[1.0, 3.0]] as [[Float]])).toArray(Float.self).map { ($0 * 1000).rounded() / 1000 } == [-1, 1])
    }

    @Test func loraStartsAsNoOpAndMergesIntoTheWeight() {
        let generator = Generator(seed: 3)
        let linear = Linear(inFeatures: 4, outFeatures: 3, generator: generator)
        let x = Tensor.randn([2, 4], generator: generator)
        let base = linear(x)
        linear.lora = LoRAAdapter(inFeatures: 4, outFeatures: 3, rank: 2, alpha: 4, generator: generator)
        #expect(linear(x).allClose(base))
        #expect(linear.namedParameters().map(\.name) == ["weight", "bias", "lora_A.weight", "lora_B.weight"])
        linear.lora?.up.weight.value = Tensor.randn([3, 2], generator: generator)
        let adapted = linear(x)
        #expect(!adapted.allClose(base))
        linear.mergeLoRA()
        #expect(linear.lora == nil)
        #expect(linear(x).allClose(adapted, rtol: 1e-5, atol: 1e-5))
    }

    @Test func trainableFlagsFollowSetTrainable() {
        let model = TinyModel()
        model.setTrainable(false)
        #expect(model.trainableParameters().isEmpty)
        model.layers[0].setTrainable(true)
        #expect(model.trainableParameters().map(\.name) == ["layers.0.proj.weight", "layers.0.proj.bias", "layers.0.norm.weight"])
    }
}
