import Foundation
import LucidSupport
import Testing
@testable import LucidDefense
@testable import LucidModels
@testable import LucidNN
@testable import LucidTensor

@Suite("Q-MLLM defence")
struct QMLLMDefenseTests {
    static func model() throws -> LlavaForConditionalGeneration {
        let text = LlamaConfig(vocabSize: 64, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 2, numAttentionHeads: 4,
                               maxPositionEmbeddings: 128, tieWordEmbeddings: true)
        let vision = CLIPVisionConfig(hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 2, numAttentionHeads: 4, imageSize: 64, patchSize: 16)
        let model = try LlavaForConditionalGeneration(LlavaConfig(visionConfig: vision, textConfig: text, imageTokenIndex: 63, visionFeatureLayer: -1))
        model.initializeForTraining(std: 0.2, generator: Generator(seed: 5))
        return model
    }

    static func defense(_ configuration: QMLLMDefense.Configuration = .init(patchGroups: 4, patchCodes: 16, semanticCodes: 8)) throws -> QMLLMDefense {
        try QMLLMDefense(configuration: configuration, visionWidth: 32, textWidth: 32, generator: Generator(seed: 6))
    }

    @Test func patchTokensBecomeConcatenatedUnitCodesOfTheirNearestChunks() throws {
        let quantizer = try MultiCodebookQuantizer(dimension: 12, groups: 3, codesPerGroup: 5, generator: Generator(seed: 2))
        let x = Tensor.randn([2, 7, 12], generator: Generator(seed: 3))
        let out = quantizer.quantize(x)
        #expect(out.quantized.shape == [2, 7, 12])
        #expect(out.indices.count == 14 && out.indices.allSatisfy { $0.count == 3 })
        let flat = out.quantized.reshaped([14, 12])
        let input = x.reshaped([14, 12])
        for g in 0..<3 {
            let chunk = flat.narrowed(axis: 1, start: 4 * g, length: 4)
            let norms = chunk.square().sum(axis: -1).sqrt()
            #expect((norms - 1).abs().max().item() < 1e-5, "group \(g) outputs unit codes")
            let codes = quantizer.codebooks[g].codebook.value
            let unitCodes = codes / codes.square().sum(axis: -1, keepDims: true).sqrt()
            let expected = quantizer.codebooks[g].nearest(input.narrowed(axis: 1, start: 4 * g, length: 4))
            #expect(out.indices.map { $0[g] } == expected)
            let chosen = unitCodes.indexSelect(axis: 0, index: Tensor(expected.map(Int64.init), shape: [14]))
            #expect((chunk - chosen).abs().max().item() < 1e-5)
        }
        #expect(throws: DefenseError.self) { try MultiCodebookQuantizer(dimension: 10, groups: 3, codesPerGroup: 4, generator: Generator(seed: 1)) }
    }

    @Test func blockedBackwardHidesThePixelsAndBPDAPassesThrough() throws {
        let model = try Self.model()
        let defense = try Self.defense()
        try defense.install(on: model)
        let pixels = Tensor.randn([1, 3, 64, 64], generator: Generator(seed: 7))
        func gradient(_ mode: VectorQuantizer.Gradient) -> (Tensor, Tensor) {
            defense.backward = mode
            let x = pixels.clone()
            x.requiresGrad = true
            let features = model.imageFeatures(x)
            // Blocked: nothing upstream of the codes is recorded, so there is no graph to the pixels.
            guard features.requiresGrad else { return (features.detached(), Tensor.zeros(x.shape)) }
            features.square().sum().backward()
            return (features.detached(), x.grad ?? Tensor.zeros(x.shape))
        }
        let (blockedFeatures, blocked) = gradient(.blocked)
        let (bpdaFeatures, bpda) = gradient(.straightThrough)
        #expect((blockedFeatures - bpdaFeatures).abs().max().item() < 1e-6, "BPDA changes only the backward pass")
        #expect(blocked.abs().max().item() == 0, "the released quantiser gives naive attacks no gradient")
        #expect(bpda.abs().max().item() > 0)
        // The quantised features differ from the undefended model's.
        model.visionFeatureTransform = nil
        let plain = withNoGrad { model.imageFeatures(pixels) }
        #expect((plain - blockedFeatures).abs().max().item() > 1e-3)
    }

    @Test func gateRefusesOnlyCodesTheSafetyMapCallsHarmful() throws {
        let model = try Self.model()
        let defense = try Self.defense()
        try defense.install(on: model)
        let pixels = Tensor.randn([4, 3, 64, 64], generator: Generator(seed: 8))
        let uncalibrated = defense.screen(model, pixels: pixels)
        #expect(uncalibrated.allSatisfy { !$0.harmful && $0.category == "benign" })
        let target = uncalibrated[0].code
        defense.safetyMap = try SafetyCodeMap(codebookSize: 8, categories: ["benign", "weapon"],
                                              observations: [(target, 1), (target, 1), (target, 0)], threshold: 0.6)
        for verdict in defense.screen(model, pixels: pixels) {
            #expect(verdict.harmful == (verdict.code == target))
            #expect(verdict.category == (verdict.code == target ? "weapon" : "benign"))
        }
    }

    /// The token reading (Lucid's deviation): every projected token gets its nearest semantic code,
    /// and one harmful token refuses the image even when the mean token's code is benign.
    @Test func tokenGateRefusesAnImageWithOneHarmfulTokenCode() throws {
        let model = try Self.model()
        let defense = try Self.defense()
        try defense.install(on: model)
        let pixels = Tensor.randn([3, 3, 64, 64], generator: Generator(seed: 12))
        let features = withNoGrad { model.imageFeatures(pixels) }  // [3, 16, 32]
        let tokens = defense.gateCodes(features, reading: .tokens)
        #expect(tokens.count == 3 && tokens.allSatisfy { $0.count == features.size(1) })
        for image in 0..<3 {
            #expect(tokens[image] == defense.semantic.nearest(features.selected(axis: 0, index: image)))
        }
        #expect(defense.gateCodes(features, reading: .mean) == defense.semanticCodes(features).map { [$0] })
        // A code that some token of image 0 reads but not its mean token: harmful only under the token reading.
        let mean = defense.semanticCodes(features)
        let target = try #require(tokens[0].first { !mean.contains($0) })
        defense.safetyMap = try SafetyCodeMap(codebookSize: 8, categories: ["benign", "weapon"], observations: [(target, 1)],
                                              threshold: 0.5, reading: .tokens)
        let verdicts = defense.screen(model, pixels: pixels)
        for (image, verdict) in verdicts.enumerated() {
            #expect(verdict.harmful == tokens[image].contains(target))
            if verdict.harmful { #expect(verdict.code == target && verdict.category == "weapon") }
        }
        #expect(verdicts[0].harmful)
        defense.safetyMap?.reading = .mean
        #expect(!defense.screen(model, pixels: pixels)[0].harmful, "the mean reading does not see the token's code")
    }

    @Test func safetyMapsWrittenBeforeTheTokenReadingLoadAsMean() throws {
        let json = #"{"categories":["benign","weapon"],"codeCategory":[0,1],"counts":[[1,0],[0,2]],"threshold":0.6}"#
        let map = try JSONDecoder.records().decode(SafetyCodeMap.self, from: Data(json.utf8))
        #expect(map.reading == .mean && map.isHarmful(1))
        var tokens = map
        tokens.reading = .tokens
        #expect(try JSONDecoder().decode(SafetyCodeMap.self, from: try JSONEncoder().encode(tokens)) == tokens)
    }

    @Test func savedDefenceReloadsWithTheSameCodesAndMap() throws {
        let model = try Self.model()
        let defense = try Self.defense()
        defense.safetyMap = try SafetyCodeMap(codebookSize: 8, categories: ["benign", "weapon"], observations: [(3, 1)], threshold: 0.5)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-qmllm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try defense.save(to: directory)
        #expect(QMLLMDefense.exists(in: directory))
        let loaded = try QMLLMDefense.load(from: directory)
        #expect(loaded.configuration == defense.configuration && loaded.safetyMap == defense.safetyMap)
        let pixels = Tensor.randn([2, 3, 64, 64], generator: Generator(seed: 9))
        try defense.install(on: model)
        let before = withNoGrad { model.imageFeatures(pixels) }
        try loaded.install(on: model)
        let after = withNoGrad { model.imageFeatures(pixels) }
        #expect((before - after).abs().max().item() == 0)
        #expect(loaded.screen(model, pixels: pixels) == defense.screen(model, pixels: pixels))
        // A defence for another width is refused.
        let other = try QMLLMDefense(configuration: .init(patchGroups: 4, patchCodes: 4, semanticCodes: 4), visionWidth: 64, textWidth: 32,
                                     generator: Generator(seed: 1))
        #expect(throws: DefenseError.self) { try other.install(on: model) }
        try Data("{".utf8).write(to: directory.appendingPathComponent(QMLLMDefense.configurationFile))
        #expect(throws: DefenseError.self) { try QMLLMDefense.load(from: directory) }
    }
}
