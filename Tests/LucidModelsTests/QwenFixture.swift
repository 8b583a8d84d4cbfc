import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidTensor
import LucidVision

/// One Qwen2-VL-style conformance fixture (Qwen2-VL or Qwen2.5-VL: the same model class, the same
/// golden names) and the checks both families run on it.
struct QwenFixture {
    let directory: String
    /// The safetensors file holding `<image>.beam3` (Qwen2-VL's come from make_family_beam_fixtures.py).
    let beamFile: String

    func model() throws -> Qwen2VLForConditionalGeneration {
        try Qwen2VLForConditionalGeneration.load(directory: directory + "/model")
    }

    /// The fixture image `name` through the directory's processor.
    func image(_ name: String) throws -> Qwen2VLImage {
        let processor = try Qwen2VLImageProcessor.load(path: directory + "/model/preprocessor_config.json")
        let prepared = try processor.pixelValues(try ImageDecoder.decode(path: directory + "/\(name).png"))
        return Qwen2VLImage(patches: prepared.patches, grid: Qwen2VLGrid(t: prepared.grid.t, h: prepared.grid.h, w: prepared.grid.w))
    }

    /// Merged features, M-RoPE positions and delta, logits and every hidden state within `tolerance`.
    func expectFeaturesPositionsLogitsAndHiddenStates(_ name: String, tolerance: Double) throws {
        let model = try model()
        let golden = try Fixtures.golden(directory)
        let image = try image(name)
        let features = try withNoGrad { () throws(PromptError) -> Tensor in try model.imageFeatures(image) }
        expectMatches(features, try golden.loadTensor(named: "\(name).image_features"), tolerance: tolerance, "\(name) features")
        let ids = try golden.loadTensor(named: "\(name).input_ids").toArray(Int.self)
        let (positions, delta) = try model.positionIDs(ids: ids, images: [image])
        #expect(positions.toArray(Int.self) == (try golden.loadTensor(named: "\(name).position_ids").toArray(Int.self)))
        #expect(delta == (try golden.loadTensor(named: "\(name).rope_delta").toArray(Int.self)[0]))
        let trace = try withNoGrad { () throws(PromptError) -> ForwardTrace in
            try model.forward(ids: ids, images: [image], cache: nil, options: ForwardOptions(hiddenStates: .all))
        }
        expectMatches(trace.logits, try golden.loadTensor(named: "\(name).logits"), tolerance: tolerance, "\(name) logits")
        for index in 0...model.layerCount {
            expectMatches(trace.hiddenStates[index], try golden.loadTensor(named: "\(name).hidden_states.\(index)"),
                          tolerance: tolerance, "\(name) hidden_states.\(index)")
        }
    }

    /// 8 greedy tokens and 3 beams of 6 tokens (EOS 2, early stopping) through the M-RoPE cache.
    func expectGreedyAndBeamTokens(_ name: String) throws {
        let model = try model()
        let golden = try Fixtures.golden(directory)
        let ids = try golden.loadTensor(named: "\(name).input_ids").toArray(Int.self)
        let image = try image(name)
        let embeddings = try withNoGrad { () throws(PromptError) -> Tensor in try model.embed(ids: ids, images: [image]) }
        let positions = try model.positionIDs(ids: ids, images: [image]).positions
        let greedy = try GenerationDriver(model: model).generate(.positionedEmbeddings(embeddings, positions: positions),
                                                                 strategy: .greedy, limits: GenerationLimits(maxNewTokens: 8))
        #expect(greedy.tokens == (try golden.loadTensor(named: "\(name).greedy").toArray(Int.self)))
        let beam = try GenerationDriver(model: model).generate(.positionedEmbeddings(embeddings, positions: positions),
                                                               strategy: .beamSearch(BeamSearchParameters(beams: 3, earlyStopping: .whenFinished)),
                                                               limits: GenerationLimits(maxNewTokens: 6, eosTokenIDs: [2]))
        let beams = try SafetensorsFile(path: directory + "/" + beamFile)
        #expect(beam.tokens == (try beams.loadTensor(named: "\(name).beam3").toArray(Int.self)))
    }

    /// The image through `VisionLanguageModel`: re-flattened patches identical to the processor's,
    /// M-RoPE positions, logits and 8 greedy tokens via `Decoding.generate`.
    func expectThroughTheSeam(_ name: String) throws {
        let model = try model()
        let golden = try Fixtures.golden(directory)
        let prepared = try image(name)
        // The processor's patches back to one image, and flattened again by tensor ops: the same patches.
        let image = try model.image(fromPatches: prepared.patches, grid: prepared.grid)
        #expect(model.patches(of: image).maxAbsDifference(prepared.patches) == 0)
        let ids = try golden.loadTensor(named: "\(name).input_ids").toArray(Int.self)
        let positions = try #require(try model.ropePositions(ids: ids, images: [image]))
        #expect(positions.toArray(Int.self) == (try golden.loadTensor(named: "\(name).position_ids").toArray(Int.self)))
        let trace = try withNoGrad { () throws(PromptError) -> ForwardTrace in
            try model.forward(ids: ids, images: [image], cache: nil, options: .logitsOnly)
        }
        expectMatches(trace.logits, try golden.loadTensor(named: "\(name).logits"), tolerance: 1e-4, "\(name) logits")
        let greedy = try Decoding.generate(model, ids: ids, images: [image], method: .greedy, limits: GenerationLimits(maxNewTokens: 8))
        #expect(greedy.tokens == (try golden.loadTensor(named: "\(name).greedy").toArray(Int.self)))
    }
}
