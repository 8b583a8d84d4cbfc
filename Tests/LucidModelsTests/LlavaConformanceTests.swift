import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidTensor

/// LLaVA-1.5 wiring against transformers 4.40.2 (fixtures: scripts/make_llava_fixtures.py):
/// LLM and vision captures to max-abs 1e-4, greedy and beam search token for token.
@Suite("LLaVA conformance with transformers")
struct LlavaConformanceTests {
    static let configurations = ["llava-a", "llava-b"]
    static let tolerance = 1e-4

    func load(_ name: String) throws -> (LlavaForConditionalGeneration, SafetensorsFile) {
        let directory = Fixtures.path("llava", name)
        return (try LlavaForConditionalGeneration.load(directory: directory + "/model"), try Fixtures.golden(directory))
    }

    @Test(arguments: configurations)
    func everyCaptureMatches(_ name: String) throws {
        let (model, golden) = try load(name)
        let ids = try golden.loadTensor(named: "input_ids").toArray(Int.self)
        let pixels = try golden.loadTensor(named: "pixel_values")
        let options = ForwardOptions(attentionLayers: .all, hiddenStates: .all)
        var visionOptions = options
        visionOptions.visionAttentionLayers = .all
        visionOptions.visionHiddenStates = .all
        let trace = try withNoGrad { () throws(PromptError) -> ForwardTrace in
            try model.forward(ids: ids, images: [pixels], cache: nil, options: visionOptions)
        }
        expectMatches(trace.logits, try golden.loadTensor(named: "logits"), tolerance: Self.tolerance, "\(name) logits")
        for layer in 0..<model.config.textConfig.numHiddenLayers {
            expectMatches(trace.attentions[layer], try golden.loadTensor(named: "attentions.\(layer)"), tolerance: Self.tolerance,
                          "\(name) attentions.\(layer)")
        }
        for i in 0...model.config.textConfig.numHiddenLayers {
            expectMatches(trace.hiddenStates[i], try golden.loadTensor(named: "hidden_states.\(i)"), tolerance: Self.tolerance,
                          "\(name) hidden_states.\(i)")
        }
        for layer in 0..<model.config.visionConfig.numHiddenLayers {
            expectMatches(trace.visionAttentions[layer], try golden.loadTensor(named: "vision.attentions.\(layer)"),
                          tolerance: Self.tolerance, "\(name) vision.attentions.\(layer)")
        }
        for i in 0...model.config.visionConfig.numHiddenLayers {
            expectMatches(trace.visionHiddenStates[i], try golden.loadTensor(named: "vision.hidden_states.\(i)"),
                          tolerance: Self.tolerance, "\(name) vision.hidden_states.\(i)")
        }
    }

    @Test(arguments: configurations)
    func greedyAndBeamSearchMatch(_ name: String) throws {
        let (model, golden) = try load(name)
        let ids = try golden.loadTensor(named: "input_ids").toArray(Int.self)
        let pixels = try golden.loadTensor(named: "pixel_values")
        let embeddings = try withNoGrad { () throws(PromptError) -> Tensor in try model.embed(try model.segments(ids: ids, images: [pixels])) }
        let driver = GenerationDriver(model: model)
        let greedy = try driver.generate(.embeddings(embeddings), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 8))
        #expect(greedy.tokens == (try golden.loadTensor(named: "greedy").toArray(Int.self)))
        let beam = try driver.generate(.embeddings(embeddings),
                                       strategy: .beamSearch(BeamSearchParameters(beams: 3, earlyStopping: .whenFinished)),
                                       limits: GenerationLimits(maxNewTokens: 6, eosTokenIDs: [2]))
        #expect(beam.tokens == (try golden.loadTensor(named: "beam3").toArray(Int.self)))
    }

    @Test func bothPlaceholderConventionsGiveTheSameEmbeddings() throws {
        let (model, golden) = try load("llava-a")
        let ids = try golden.loadTensor(named: "input_ids").toArray(Int.self)
        let pixels = try golden.loadTensor(named: "pixel_values")
        let placeholder = model.config.imageTokenIndex
        let expanded = ids.flatMap { $0 == placeholder ? [Int](repeating: placeholder, count: model.config.imageFeatureCount) : [$0] }
        let one = try model.embed(try model.segments(ids: ids, images: [pixels]))
        let many = try model.embed(try model.segments(ids: expanded, images: [pixels]))
        #expect(one.shape == [1, ids.count - 1 + model.config.imageFeatureCount, 32])
        #expect(maxAbs(one, many) == 0)
    }

    @Test func badPromptsAreClearErrors() throws {
        let (model, golden) = try load("llava-a")
        let pixels = try golden.loadTensor(named: "pixel_values")
        #expect(throws: PromptError.imageWithoutPlaceholder(images: 1)) { try model.segments(ids: [1, 2, 3], images: [pixels]) }
        #expect(throws: PromptError.placeholderWithoutImage(placeholders: 1)) { try model.segments(ids: [1, 90, 3], images: []) }
        #expect(throws: PromptError.self) { try model.segments(ids: [1, 90, 90, 3], images: [pixels]) }
        #expect(throws: PromptError.tokenOutOfRange(id: 500, vocabularySize: 96)) { try model.embed([.tokens([1, 500])]) }
    }

    @Test func selectiveCaptureMaterialisesOnlyWhatWasAsked() throws {
        let (model, golden) = try load("llava-a")
        let ids = try golden.loadTensor(named: "input_ids").toArray(Int.self)
        let pixels = try golden.loadTensor(named: "pixel_values")
        var options = ForwardOptions(attentionLayers: .layers([-1]), attentionReduction: .max, hiddenStates: .layers([1]))
        options.visionQueryKeyLayers = .layers([1])
        let trace = try model.forward(ids: ids, images: [pixels], cache: nil, options: options)
        #expect(Array(trace.attentions.keys) == [1])
        #expect(trace.attentions[1]?.shape == [1, 1, ids.count - 1 + 16, ids.count - 1 + 16])
        #expect(Array(trace.hiddenStates.keys) == [1])
        #expect(trace.visionAttentions.isEmpty && trace.visionHiddenStates.isEmpty)
        #expect(trace.visionQueries[1]?.shape == [1, 17, 32] && trace.visionKeys[1]?.shape == [1, 17, 32])
    }
}
