import Foundation
import LucidSupport
import Testing
@testable import LucidDefense
@testable import LucidModels
@testable import LucidNN
@testable import LucidTensor

/// The Q-MLLM paper variant beside the released one: patch codes by L2 on the projected tokens, the
/// semantic code of the projected [CLS] embedding by L2, no token reading.
@Suite("Q-MLLM paper variant")
struct QMLLMPaperVariantTests {
    static let configuration = QMLLMDefense.Configuration(patchGroups: 4, patchCodes: 16, semanticCodes: 8, variant: .paper)

    static func defense(_ configuration: QMLLMDefense.Configuration = configuration) throws -> QMLLMDefense {
        try QMLLMDefense(configuration: configuration, visionWidth: 32, textWidth: 32, generator: Generator(seed: 6))
    }

    @Test func l2PatchCodesAreTheNearestRawCodesNotUnitOnes() throws {
        let quantizer = try MultiCodebookQuantizer(dimension: 12, groups: 3, codesPerGroup: 5, distance: .l2, generator: Generator(seed: 2))
        let x = Tensor.randn([2, 7, 12], generator: Generator(seed: 3)) * 3
        let out = quantizer.quantize(x, gradient: .blocked)
        let flat = out.quantized.reshaped([14, 12])
        let input = x.reshaped([14, 12])
        for g in 0..<3 {
            let codes = quantizer.codebooks[g].codebook.value
            let chunk = input.narrowed(axis: 1, start: 4 * g, length: 4)
            // Brute force: the code at the least squared distance from each chunk.
            let distances = (chunk.unsqueezed(axis: 1) - codes.unsqueezed(axis: 0)).square().sum(axis: -1)  // [14, 5]
            let expected = (0 - distances).argmax(axis: -1).toArray(Int64.self).map(Int.init)
            #expect(out.indices.map { $0[g] } == expected, "group \(g)")
            let chosen = codes.indexSelect(axis: 0, index: Tensor(expected.map(Int64.init), shape: [14]))
            #expect((flat.narrowed(axis: 1, start: 4 * g, length: 4) - chosen).abs().max().item() < 1e-6, "raw codes, not unit ones")
        }
        #expect(!quantizer.codebooks[0].normalized && quantizer.distance == .l2)
        let cosine = try MultiCodebookQuantizer(dimension: 12, groups: 3, codesPerGroup: 5, generator: Generator(seed: 2))
        #expect(cosine.codebooks[0].normalized && cosine.distance == .cosine, "the released layout stays the default")
    }

    @Test func paperVariantQuantisesProjectedTokensAndGatesOnTheProjectedClassEmbedding() throws {
        let model = try QMLLMDefenseTests.model()
        let defense = try Self.defense()
        #expect(defense.patch.dimension == 32 && defense.patch.distance == .l2 && defense.semantic.distance == .l2)
        try defense.install(on: model)
        #expect(model.visionFeatureTransform == nil && model.projectedFeatureTransform != nil)
        let pixels = Tensor.randn([3, 3, 64, 64], generator: Generator(seed: 7))
        let features = withNoGrad { model.imageFeatures(pixels) }
        let projected = withNoGrad { model.projector(model.selectedVisionFeatures(pixels)) }
        let expected = defense.patch.quantize(projected, gradient: .blocked)
        #expect((features - expected.quantized).abs().max().item() == 0, "the language model reads quantised projected tokens")
        #expect((features - projected).abs().max().item() > 1e-4)
        let classEmbedding = try withNoGrad { () throws -> Tensor in try model.visionClassEmbedding(pixels) }
        #expect(classEmbedding.shape == [3, 32])
        let hidden = withNoGrad { model.visionTower.forward(pixels, needHiddenState: -1, options: ForwardOptions(), trace: ForwardTrace()) }
        #expect((classEmbedding - hidden.narrowed(axis: 1, start: 0, length: 1).reshaped([3, 32])).abs().max().item() == 0,
                "the [CLS] token of the hidden state the projector reads")
        let codes = try defense.gateCodes(model, pixels: pixels, reading: .mean)
        #expect(codes == defense.semantic.nearest(withNoGrad { model.projector(classEmbedding) }).map { [$0] })
        #expect(defense.screen(model, pixels: pixels).map(\.code) == codes.map { $0[0] })
        // A released defence on the same model moves the quantiser back before the projector.
        let released = try Self.defense(.init(patchGroups: 4, patchCodes: 16, semanticCodes: 8))
        try released.install(on: model)
        #expect(model.visionFeatureTransform != nil && model.projectedFeatureTransform == nil)
    }

    /// With the tower's attention switched off, the [CLS] token cannot see the patches: a changed patch
    /// changes that token's patch codes (and the released mean reading) but not the paper's semantic input.
    @Test func aChangedPatchMovesPatchCodesButNotTheClassReading() throws {
        let model = try QMLLMDefenseTests.model()
        withNoGrad {
            for (name, parameter) in model.visionTower.namedParameters() where name.contains("self_attn.out_proj") {
                parameter.value = Tensor.zeros(parameter.shape)
            }
        }
        let defense = try Self.defense()
        try defense.install(on: model)
        let pixels = Tensor.randn([1, 3, 64, 64], generator: Generator(seed: 8))
        // Patch (0, 0) (the first 16 × 16 block) replaced by other noise.
        let block = Tensor.randn([1, 3, 16, 16], generator: Generator(seed: 9)) * 2
        let changed = Tensor.cat([Tensor.cat([block, pixels.narrowed(axis: 3, start: 16, length: 48).narrowed(axis: 2, start: 0, length: 16)], axis: 3),
                                  pixels.narrowed(axis: 2, start: 16, length: 48)], axis: 2)
        #expect(changed.shape == pixels.shape)
        func rows(_ x: Tensor) throws -> Tensor { try withNoGrad { () throws -> Tensor in try defense.gateRows(model, pixels: x, reading: .mean) } }
        #expect((try rows(pixels) - (try rows(changed))).abs().max().item() == 0, "the semantic input is the [CLS] embedding alone")
        #expect(try defense.gateCodes(model, pixels: pixels, reading: .mean) == defense.gateCodes(model, pixels: changed, reading: .mean))
        let tokens = { (x: Tensor) in withNoGrad { defense.patch.quantize(model.projector(model.selectedVisionFeatures(x)), gradient: .blocked).indices } }
        let before = tokens(pixels), after = tokens(changed)
        #expect(before[0] != after[0], "the changed patch's codes move")
        #expect(Array(before[1...]) == Array(after[1...]), "the other patches' codes do not")
        let mean = { (x: Tensor) in withNoGrad { model.projector(model.selectedVisionFeatures(x)).mean(axis: 1) } }
        #expect((mean(pixels) - mean(changed)).abs().max().item() > 1e-4, "the released reading (mean projected token) would move")
    }

    @Test func paperVariantHasNoTokenReading() throws {
        let model = try QMLLMDefenseTests.model()
        let defense = try Self.defense()
        try defense.install(on: model)
        let pixels = Tensor.randn([2, 3, 64, 64], generator: Generator(seed: 10))
        #expect(throws: DefenseError.self) { try defense.gateCodes(model, pixels: pixels, reading: .tokens) }
        do {
            _ = try defense.gateRows(model, pixels: pixels, reading: .tokens)
            Issue.record("the token reading must be refused")
        } catch {
            #expect("\(error)".contains("--gate tokens"))
        }
        // A map that asks for tokens makes the gate refuse rather than read something else.
        defense.safetyMap = try SafetyCodeMap(codebookSize: 8, categories: ["benign", "weapon"], observations: [], threshold: 0.6, reading: .tokens)
        #expect(defense.screen(model, pixels: pixels).allSatisfy { $0.harmful })
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-qmllm-paper-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try defense.save(to: directory)
        #expect(throws: DefenseError.self) { try QMLLMDefense.load(from: directory) }
    }

    @Test func thePaperVariantIsSavedAndConfigurationsWithoutAVariantReadAsReleased() throws {
        let model = try QMLLMDefenseTests.model()
        let defense = try Self.defense()
        defense.safetyMap = try SafetyCodeMap(codebookSize: 8, categories: ["benign", "weapon"], observations: [(3, 1)], threshold: 0.5)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-qmllm-paper-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try defense.save(to: directory)
        let json = try String(contentsOf: directory.appendingPathComponent(QMLLMDefense.configurationFile), encoding: .utf8)
        #expect(json.contains("\"variant\" : \"paper\""))
        let loaded = try QMLLMDefense.load(from: directory)
        #expect(loaded.variant == .paper && loaded.patch.dimension == 32 && loaded.patch.distance == .l2 && loaded.visionWidth == 32)
        let pixels = Tensor.randn([2, 3, 64, 64], generator: Generator(seed: 11))
        try defense.install(on: model)
        let before = withNoGrad { model.imageFeatures(pixels) }
        try loaded.install(on: model)
        #expect((before - withNoGrad { model.imageFeatures(pixels) }).abs().max().item() == 0)
        #expect(loaded.screen(model, pixels: pixels) == defense.screen(model, pixels: pixels))
        // The released variant writes no key (its files stay as before it existed) and reads back as released.
        let released = try QMLLMDefenseTests.defense()
        try released.save(to: directory)
        let url = directory.appendingPathComponent(QMLLMDefense.configurationFile)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        #expect((document["configuration"] as? [String: Any])?["variant"] == nil)
        let legacy = try QMLLMDefense.load(from: directory)
        #expect(legacy.variant == .released && legacy.patch.distance == .cosine && legacy.configuration == released.configuration)
    }
}
