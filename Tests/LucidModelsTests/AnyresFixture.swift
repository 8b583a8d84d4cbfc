import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidTensor
import LucidVision

/// A fixture directory of the LLaVA-NeXT class (LLaVA-NeXT, LLaVA-OneVision: scripts/make_llava_next_fixtures.py,
/// scripts/make_llava_onevision_fixtures.py) and the checks both families' conformance suites run on it:
/// processor outputs, packed features, logits and hidden states, greedy and 3-beam tokens.
struct AnyresFixture: Sendable {
    /// The fixture folder (`model/`, `golden.safetensors`, `<image>.png`).
    let directory: String
    /// How the family reads its `preprocessor_config.json`.
    let readProcessor: @Sendable (String) throws -> LlavaNextImageProcessor

    func processor() throws -> LlavaNextImageProcessor { try readProcessor(directory + "/model/preprocessor_config.json") }

    func model() throws -> LlavaNextForConditionalGeneration { try LlavaNextForConditionalGeneration.load(directory: directory + "/model") }

    func golden() throws -> SafetensorsFile { try Fixtures.golden(directory) }

    /// The processor's output for the fixture PNG `name` as the model takes it.
    func image(_ name: String) throws -> LlavaNextImage {
        let prepared = try processor().pixelValues(try ImageDecoder.decode(path: directory + "/\(name).png"))
        return LlavaNextImage(tiles: Tensor.cat(prepared.tiles.map { $0.tensor() }, axis: 0), height: prepared.height, width: prepared.width)
    }

    /// `name`'s tiles and size equal the transformers processor's (`processor.<name>.*`).
    func expectPixelValuesMatch(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let image = try image(name)
        let expected = try golden().loadTensor(named: "processor.\(name).pixel_values")
        #expect(image.tiles.shape == expected.shape, sourceLocation: sourceLocation)
        expectMatches(image.tiles, expected, tolerance: 1e-6, "\(name) pixel values", sourceLocation: sourceLocation)
        let sizes = try golden().loadTensor(named: "processor.\(name).image_sizes").toArray(Int.self)
        #expect([image.height, image.width] == sizes, sourceLocation: sourceLocation)
    }

    /// `name`'s packed features (and their count), the prompt's logits and every hidden state, within `tolerance`.
    func expectFeaturesLogitsAndHiddenStatesMatch(_ name: String, tolerance: Double, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let model = try model()
        let golden = try golden()
        let image = try image(name)
        let features = try withNoGrad { () throws(PromptError) -> Tensor in try model.imageFeatures(image) }
        let expectedFeatures = try golden.loadTensor(named: "\(name).image_features")
        #expect(features.shape == expectedFeatures.shape, sourceLocation: sourceLocation)
        #expect(try model.imageFeatureCount(image) == expectedFeatures.size(0), sourceLocation: sourceLocation)
        expectMatches(features, expectedFeatures, tolerance: tolerance, "\(name) image features", sourceLocation: sourceLocation)
        let ids = try golden.loadTensor(named: "\(name).input_ids").toArray(Int.self)
        let trace = try withNoGrad { () throws(PromptError) -> ForwardTrace in
            try model.forward(ids: ids, images: [image], cache: nil, options: ForwardOptions(hiddenStates: .all))
        }
        expectMatches(trace.logits, try golden.loadTensor(named: "\(name).logits"), tolerance: tolerance, "\(name) logits", sourceLocation: sourceLocation)
        for index in 0...model.layerCount {
            expectMatches(trace.hiddenStates[index], try golden.loadTensor(named: "\(name).hidden_states.\(index)"),
                          tolerance: tolerance, "\(name) hidden_states.\(index)", sourceLocation: sourceLocation)
        }
    }

    /// 8 greedy tokens (`<name>.greedy`), and 3 beams of 6 tokens with EOS 2 and early stopping
    /// (`<name>.beam3` in `beams`).
    func expectGreedyAndBeamTokensMatch(_ name: String, beams: SafetensorsFile, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let model = try model()
        let ids = try golden().loadTensor(named: "\(name).input_ids").toArray(Int.self)
        let image = try image(name)
        let embeddings = try withNoGrad { () throws(PromptError) -> Tensor in try model.embed(ids: ids, images: [image]) }
        let greedy = try GenerationDriver(model: model).generate(.embeddings(embeddings), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 8))
        #expect(greedy.tokens == (try golden().loadTensor(named: "\(name).greedy").toArray(Int.self)), sourceLocation: sourceLocation)
        let beam = try GenerationDriver(model: model).generate(.embeddings(embeddings),
                                                               strategy: .beamSearch(BeamSearchParameters(beams: 3, earlyStopping: .whenFinished)),
                                                               limits: GenerationLimits(maxNewTokens: 6, eosTokenIDs: [2]))
        #expect(beam.tokens == (try beams.loadTensor(named: "\(name).beam3").toArray(Int.self)), sourceLocation: sourceLocation)
    }
}
