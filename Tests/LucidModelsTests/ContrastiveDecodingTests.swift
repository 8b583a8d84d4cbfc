import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidTensor

/// VCD and DAMRO: the contrastive step on hand-built logits, the amateur inputs against
/// scripts/make_contrastive_fixtures.py, and the decoder's invariants on the LLaVA fixture.
@Suite("Contrastive decoding (VCD, DAMRO)")
struct ContrastiveDecodingTests {
    @Test func contrastAppliesTheFormulaAndThePlausibilityCutoff() {
        // p ∝ exp(ℓ): with β = 0.1 tokens need ℓ ≥ max ℓ + log 0.1 = 3 − 2.3026 = 0.697.
        let original = Tensor([3.0, 1.0, 0.5, -2.0] as [Float])
        let amateur = Tensor([2.0, 0.0, 4.0, 0.0] as [Float])
        let cd = ContrastiveParameters(alpha: 1, beta: 0.1).contrast(original, amateur).toArray(Float.self)
        #expect(cd[0] == 4)   // 2·3 − 2
        #expect(cd[1] == 2)   // 2·1 − 0
        #expect(cd[2] == -.infinity && cd[3] == -.infinity, "below the cutoff, whatever the contrast says")
        let noContrast = ContrastiveParameters(alpha: 0, beta: 1).contrast(original, amateur).toArray(Float.self)
        #expect(noContrast == [3, -.infinity, -.infinity, -.infinity], "β = 1 keeps only the argmax")
        let batched = ContrastiveParameters(alpha: 0.5, beta: 0.5).contrast(Tensor([[0.0, 0.0], [1.0, 0.0]] as [[Float]]),
                                                                            Tensor([[1.0, 0.0], [0.0, 0.0]] as [[Float]]))
        #expect(batched.toArray(Float.self) == [-0.5, 0, 1.5, -.infinity], "the cutoff is per row (row 2: 1 + log 0.5 ≈ 0.31)")
    }

    @Test func badParametersAreRejected() {
        #expect(throws: GenerationError.self) { try ContrastiveParameters(alpha: -1, beta: 0.1).validate() }
        #expect(throws: GenerationError.self) { try ContrastiveParameters(alpha: 1, beta: 0).validate() }
        #expect(throws: GenerationError.self) { try ContrastiveParameters(alpha: 1, beta: 1.5).validate() }
    }

    func fixture() throws -> (LlavaForConditionalGeneration, Tensor, [Int], SafetensorsFile) {
        let model = try LlavaForConditionalGeneration.load(directory: Fixtures.path("llava", "llava-a", "model"))
        let golden = try Fixtures.golden(Fixtures.path("llava", "llava-a"))
        let reference = try SafetensorsFile(path: Fixtures.path("contrastive", "reference.safetensors"))
        return (model, try golden.loadTensor(named: "pixel_values"), try golden.loadTensor(named: "input_ids").toArray(Int.self), reference)
    }

    @Test func damroOutliersMatchTheOfficialComputation() throws {
        let (model, pixels, _, reference) = try fixture()
        let outliers = try withNoGrad { () throws(PromptError) -> VisionOutliers in try model.visionOutliers(pixels, k: 5) }
        #expect(outliers.indices == (try reference.loadTensor(named: "outlier_indices").toArray(Int.self)))
        expectMatches(outliers.clsAttention, try reference.loadTensor(named: "cls_attention"), tolerance: 1e-6, "CLS attention")
        // fp32 through two linear layers, summed in another order than PyTorch: the project-wide 1e-4.
        expectMatches(outliers.features, try reference.loadTensor(named: "outlier_features"), tolerance: 1e-4, "outlier features")
        let mean = try withNoGrad { () throws(PromptError) -> VisionOutliers in try model.visionOutliers(pixels, k: 5, attention: .headMean) }
        #expect(mean.indices == (try reference.loadTensor(named: "outlier_indices_head_mean").toArray(Int.self)))
        #expect(mean.indices != outliers.indices, "the fixture distinguishes the two attention modes")
    }

    @Test func vcdNoiseMatchesTheOfficialSchedule() throws {
        let (_, pixels, _, reference) = try fixture()
        let (signal, noise) = VCDNoise.coefficients(step: 500)
        #expect(Swift.abs(signal.item() - 0.86302) < 1e-5 && Swift.abs(noise.item() - 0.50517) < 1e-5)
        let noised = VCDNoise.apply(pixels, step: 500, noise: try reference.loadTensor(named: "vcd_noise"))
        expectMatches(noised, try reference.loadTensor(named: "vcd_noised"), tolerance: 1e-6, "VCD noised pixels")
        let a = VCDNoise.apply(pixels, generator: Generator(seed: 3))
        #expect(a.maxAbsDifference(VCDNoise.apply(pixels, generator: Generator(seed: 3))) == 0, "seeded")
    }

    @Test func zeroAlphaReducesToGreedyOnBothBranchLayouts() throws {
        let (model, pixels, ids, _) = try fixture()
        let main = try withNoGrad { () throws(PromptError) -> Tensor in try model.embed(try model.segments(ids: ids, images: [pixels])) }
        let plain = try GenerationDriver(model: model).generate(.embeddings(main), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 8))
        let decoder = ContrastiveDecoder(model: model)
        let off = ContrastiveParameters(alpha: 0, beta: 1e-9)
        // VCD layout: same length, one batched cache.
        let noised = try withNoGrad { () throws(PromptError) -> Tensor in
            try model.embed(try model.segments(ids: ids, images: [VCDNoise.apply(pixels, generator: Generator(seed: 1))]))
        }
        let vcd = try decoder.generate(main: main, amateur: noised, parameters: off, limits: GenerationLimits(maxNewTokens: 8))
        #expect(vcd.tokens == plain.tokens)
        #expect(vcd.statistics.forwardPasses == 8, "batched: one forward per step")
        // DAMRO layout: a shorter amateur sequence, left-padded into the same batch.
        let outliers = try withNoGrad { () throws(PromptError) -> VisionOutliers in try model.visionOutliers(pixels, k: 4) }
        let placeholder = ids.firstIndex(of: model.config.imageTokenIndex) ?? 0
        let short = try withNoGrad { () throws(PromptError) -> Tensor in
            try model.embed([.tokens(Array(ids[..<placeholder])), .imageFeatures(outliers.features[0]), .tokens(Array(ids[(placeholder + 1)...]))])
        }
        #expect(short.size(1) == main.size(1) - 16 + 4)
        let damro = try decoder.generate(main: main, amateur: short, parameters: off, limits: GenerationLimits(maxNewTokens: 8))
        #expect(damro.tokens == plain.tokens)
        #expect(damro.statistics.forwardPasses == 8, "left-padded: still one forward per step")
        // With the contrast on, the padded amateur row decodes as two separate caches would.
        let on = ContrastiveParameters(alpha: 2, beta: 0.1)
        let batched = try decoder.generate(main: main, amateur: short, parameters: on, limits: GenerationLimits(maxNewTokens: 8))
        let mainCache = model.makeCache(), amateurCache = model.makeCache()
        var logits = withNoGrad { model.forward(embeddings: main, cache: mainCache, options: ForwardOptions(logits: .last)).logits![0, 0] }
        var amateur = withNoGrad { model.forward(embeddings: short, cache: amateurCache, options: ForwardOptions(logits: .last)).logits![0, 0] }
        var separate: [Int] = []
        for _ in 0..<8 {
            let next = on.contrast(logits, amateur).argmax().intValue
            separate.append(next)
            let step = Tensor([next], shape: [1, 1])
            logits = withNoGrad { model.forward(tokens: step, cache: mainCache, options: ForwardOptions(logits: .last)).logits![0, 0] }
            amateur = withNoGrad { model.forward(tokens: step, cache: amateurCache, options: ForwardOptions(logits: .last)).logits![0, 0] }
        }
        #expect(batched.tokens == separate)
        #expect(batched.tokens != plain.tokens, "the contrast changes the decoding on this fixture, so the amateur row is pinned")
    }

    @Test func contrastChangesDecodingAndSamplingIsSeeded() throws {
        let (model, pixels, ids, _) = try fixture()
        let main = try model.embed(try model.segments(ids: ids, images: [pixels]))
        let noised = try model.embed(try model.segments(ids: ids, images: [VCDNoise.apply(pixels, generator: Generator(seed: 1))]))
        let decoder = ContrastiveDecoder(model: model)
        let limits = GenerationLimits(maxNewTokens: 10)
        let plain = try decoder.generate(main: main, amateur: noised, parameters: ContrastiveParameters(alpha: 0, beta: 1e-9), limits: limits)
        let strong = try decoder.generate(main: main, amateur: noised, parameters: ContrastiveParameters(alpha: 3, beta: 1e-9), limits: limits)
        #expect(strong.tokens != plain.tokens, "α = 3 against the noised image must change this fixture's greedy output")
        var sampling = ContrastiveParameters.vcd
        sampling.sampling?.seed = 7
        let a = try decoder.generate(main: main, amateur: noised, parameters: sampling, limits: limits)
        let b = try decoder.generate(main: main, amateur: noised, parameters: sampling, limits: limits)
        #expect(a.tokens == b.tokens)
    }
}
