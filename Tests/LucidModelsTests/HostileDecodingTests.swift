import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidNN
@testable import LucidTensor

/// Values from outside that used to trap in libtorch or overflow (issue 20) are typed errors.
@Suite("hostile decoding inputs")
struct HostileDecodingTests {
    func tinyModel() throws -> LlamaForCausalLM {
        let model = try LlamaForCausalLM(LlamaConfig(vocabSize: 64, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 1,
                                                     numAttentionHeads: 4, maxPositionEmbeddings: 64))
        model.initializeForTraining(std: 0.3, generator: Generator(seed: 4))
        return model
    }

    @Test func maxNewTokensNearIntMaxIsARangeErrorNotAnOverflow() throws {
        let model = try tinyModel()
        for huge in [Int.max, Int.max - 3, GenerationLimits.maximumNewTokens + 1, -1] {
            #expect(throws: GenerationError.invalidOption("max new tokens must be in 0…\(GenerationLimits.maximumNewTokens) (got \(huge))")) {
                _ = try GenerationDriver(model: model).generate(.tokens([1, 2, 3]), strategy: .greedy, limits: GenerationLimits(maxNewTokens: huge))
            }
        }
        #expect(throws: GenerationError.promptTooLong(tokens: 3, limit: 64)) {
            _ = try GenerationDriver(model: model).generate(.tokens([1, 2, 3]), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 62))
        }
    }

    @Test func samplingAtAnUnderflowingTemperatureIsAnErrorNotATrap() throws {
        let model = try tinyModel()
        let sampling = SamplingParameters(temperature: 1e-300, seed: 1)
        #expect { _ = try GenerationDriver(model: model).generate(.tokens([1, 2, 3]), strategy: .sampling(sampling), limits: GenerationLimits(maxNewTokens: 4)) }
            throws: { "\($0)".hasPrefix("cannot sample at temperature 1e-300") }
    }

    @Test func nonFiniteWeightsAreReportedUnlessAllowed() throws {
        let model = try tinyModel()
        model.model.norm.weight.value.fill(Double.nan)
        for strategy in [DecodingStrategy.greedy, .sampling(SamplingParameters(seed: 1)), .beamSearch(BeamSearchParameters(beams: 2))] {
            #expect(throws: GenerationError.nonFiniteLogits(step: 0)) {
                _ = try GenerationDriver(model: model).generate(.tokens([1, 2, 3]), strategy: strategy, limits: GenerationLimits(maxNewTokens: 4))
            }
        }
        var allowed = GenerationLimits(maxNewTokens: 3)
        allowed.allowsNonFiniteLogits = true
        #expect(try GenerationDriver(model: model).generate(.tokens([1, 2, 3]), strategy: .greedy, limits: allowed).tokens.count == 3)
    }

    /// The continuous batch refuses what `GenerationDriver` refuses: a row whose logits turn non-finite
    /// ends with the error (it used to decode the argmax of NaN), and the rows beside it go on.
    @Test func aBatchedRowWithNonFiniteLogitsFailsUnlessAllowed() throws {
        let model = try tinyModel()
        let batch = ContinuousBatch(model: model)
        let (healthy, _) = try batch.join(.tokens([1, 2, 3]), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 4))
        model.model.norm.weight.value.fill(Double.nan)
        for strategy in [DecodingStrategy.greedy, .sampling(SamplingParameters(seed: 1))] {
            #expect(throws: GenerationError.nonFiniteLogits(step: 0)) {
                _ = try ContinuousBatch(model: model).join(.tokens([1, 2, 3]), strategy: strategy, limits: GenerationLimits(maxNewTokens: 4))
            }
        }
        var allowed = GenerationLimits(maxNewTokens: 2)
        allowed.allowsNonFiniteLogits = true
        let (tolerant, _) = try batch.join(.tokens([4, 5]), strategy: .greedy, limits: allowed)
        let events = batch.step()   // the weights are NaN for every row now
        let failed = events.compactMap { event -> (ContinuousBatch.RowID, GenerationError)? in
            if case .failed(let id, let error) = event { return (id, error) } else { return nil }
        }
        #expect(failed.map(\.0) == [healthy] && failed.map(\.1) == [.nonFiniteLogits(step: 1)])
        #expect(events.contains { if case .finished(let id, _) = $0 { id == tolerant } else { false } })
        #expect(batch.activeRows == 0)
    }

    @Test func operaCandidatesBeyondTheVocabularyAreRefused() throws {
        let model = try tinyModel()
        var parameters = OPERAParameters()
        parameters.candidates = 65
        let prompt = model.embed(Tensor([1, 2, 3], shape: [1, 3]))
        #expect { _ = try OPERADecoder(model: model, parameters: parameters).generate(prompt: prompt, imageRange: nil, limits: GenerationLimits(maxNewTokens: 4)) }
            throws: { "\($0)".contains("must not exceed the vocabulary (64)") }
    }

    @Test func absurdConfigDimensionsAreRefusedBeforeAllocation() {
        #expect { _ = try LlamaForCausalLM(LlamaConfig(vocabSize: 1 << 40, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 1, numAttentionHeads: 4)) }
            throws: { "\($0)".contains("vocab_size") }
        #expect { _ = try LlamaForCausalLM(LlamaConfig(vocabSize: 64, hiddenSize: 1 << 17, intermediateSize: 1 << 18, numHiddenLayers: 1024, numAttentionHeads: 4)) }
            throws: { "\($0)".contains("parameters") }
        #expect(throws: ModelConfigError.self) {
            try CLIPVisionConfig(hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, imageSize: -32, patchSize: 16).validate()
        }
        var eps = CLIPVisionConfig(hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, imageSize: 32, patchSize: 16)
        eps.layerNormEps = -1e-5
        #expect(throws: ModelConfigError.self) { try eps.validate() }
    }

    @Test func unknownProjectorActivationIsRefused() throws {
        let text = LlamaConfig(vocabSize: 40, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, maxPositionEmbeddings: 128)
        let vision = CLIPVisionConfig(hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, imageSize: 32, patchSize: 16)
        #expect(throws: ModelConfigError("projector_hidden_act 'bogus' is not supported (gelu, quick_gelu, gelu_pytorch_tanh, gelu_new, silu, relu)")) {
            try LlavaConfig(visionConfig: vision, textConfig: text, imageTokenIndex: 0, projectorHiddenAct: "bogus").validate()
        }
    }

    @Test func everyConfigAcceptsTheActivationsLucidAppliesAndRefusesOthersNamingTheKey() throws {
        // One list (supportedActivations) for every config: a name `activation` applies is never refused.
        var vision = CLIPVisionConfig(hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, imageSize: 32, patchSize: 16)
        for name in supportedActivations {
            vision.hiddenAct = name
            try vision.validate()
        }
        vision.hiddenAct = "elu"
        #expect(throws: ModelConfigError("vision hidden_act 'elu' is not supported (gelu, quick_gelu, gelu_pytorch_tanh, gelu_new, silu, relu)")) {
            try vision.validate()
        }
        let x = Tensor([-1, 0.5, 2] as [Float])
        let applied = supportedActivations.sorted().map { activation($0, x).toArray(Float.self) }
        #expect(Set(applied.map { $0.map { Int(($0 * 1e4).rounded()) } }).count == 5,
                "gelu, quick_gelu, tanh-gelu (= gelu_new), silu (= swish), relu: five distinct functions, none falls back silently")
    }
}
