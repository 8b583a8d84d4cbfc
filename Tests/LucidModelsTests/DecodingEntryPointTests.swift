import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidNN
@testable import LucidTensor

/// `Decoding.generate`: one entry point for every method, honouring a defence's gate.
@Suite("decoding entry point")
struct DecodingEntryPointTests {
    func tinyLlava() throws -> LlavaForConditionalGeneration { try LucidModelsTests.tinyLlava(seed: 31) }

    let ids = [5, 0, 7, 9]
    let limits = GenerationLimits(maxNewTokens: 4)
    var pixels: Tensor { Tensor.rand([1, 3, 32, 32], generator: Generator(seed: 4)) }

    @Test func aGateRefusesBeforeTheLanguageModelRuns() throws {
        let model = try tinyLlava()
        var screened = 0
        model.imageGate = { _ in screened += 1; return "no" }
        let refused = try Decoding.generate(model, ids: ids, images: [pixels], method: .beam(BeamSearchParameters(beams: 2)), limits: limits,
                                            encodeRefusal: { $0 == "no" ? [1, 2] : [] })
        #expect(screened == 1)
        #expect(refused.statistics.promptTokens == (try model.embeddedLength(ids: ids, images: [pixels])))  // what was asked
        #expect(refused.finishReason == .refused && refused.tokens == [1, 2] && refused.statistics.forwardPasses == 0)
        model.imageGate = { _ in nil }
        let answered = try Decoding.generate(model, ids: ids, images: [pixels], method: .greedy, limits: limits)
        #expect(answered.finishReason != .refused && answered.statistics.forwardPasses > 0)
    }

    /// The image's feature count is known from its size, so a prompt with no room left in the context
    /// is refused before the tower runs (a large Qwen2-VL image would otherwise cost its whole tower pass).
    @Test func aPromptOverTheContextIsRefusedBeforeTheTowerRuns() throws {
        let model = try tinyLlava()
        var towerPasses = 0
        model.visionFeatureTransform = { towerPasses += 1; return $0 }
        let context = try #require(model.contextLength)
        let length = try model.embeddedLength(ids: ids, images: [pixels])
        #expect(throws: GenerationError.promptTooLong(tokens: length, limit: context)) {
            try Decoding.generate(model, ids: ids, images: [pixels], method: .greedy, limits: GenerationLimits(maxNewTokens: context - length + 1))
        }
        #expect(towerPasses == 0)
        _ = try Decoding.generate(model, ids: ids, images: [pixels], method: .greedy, limits: GenerationLimits(maxNewTokens: context - length))
        #expect(towerPasses == 1)
    }

    /// A gate that reads an image's projected features hands them to the prompt: one tower pass per
    /// image, and the prompt is the one embedded without a gate.
    @Test func featuresTheGateReadsAreEmbeddedWithoutASecondTowerPass() throws {
        let model = try tinyLlava()
        var towerPasses = 0
        model.visionFeatureTransform = { towerPasses += 1; return $0 }
        let first = pixels, second = Tensor.rand([1, 3, 32, 32], generator: Generator(seed: 5))
        let twoImages = [5, 0, 7, 0, 9]
        func prompt() throws -> Tensor {
            guard case .ready(let prefill, _, _) = try Decoding.prepare(model, ids: twoImages, images: [first, second], method: .greedy) else {
                throw GenerationError.invalidOption("refused")
            }
            return try #require(prefill.embeddings)
        }
        let ungated = try prompt()
        #expect(towerPasses == 2)
        // The gate reads the second image's features only, and lets both through.
        var screened = 0
        var read: Tensor?
        model.imageGate = { image in
            screened += 1
            if screened == 2 { read = image.features }
            return nil
        }
        towerPasses = 0
        let gated = try prompt()
        #expect(screened == 2 && towerPasses == 2)
        #expect(maxAbs(gated, ungated) == 0)
        let features = try #require(read)
        #expect(maxAbs(features, withNoGrad { model.imageFeatures(second) }) == 0)
        towerPasses = 0
        #expect(model.screenImage(first) == nil && towerPasses == 0)  // nothing read, nothing computed
    }

    @Test func eachMethodRunsItsDecoderOnTheMultimodalPrompt() throws {
        let model = try tinyLlava()
        let image = pixels
        let prompt = try withNoGrad { try model.embed(ids: ids, images: [image]) }
        let greedy = try Decoding.generate(model, ids: ids, images: [image], method: .greedy, limits: limits)
        #expect(greedy.tokens == (try GenerationDriver(model: model).generate(.embeddings(prompt), strategy: .greedy, limits: limits).tokens))
        let beam = BeamSearchParameters(beams: 3)
        #expect(try Decoding.generate(model, ids: ids, images: [image], method: .beam(beam), limits: limits).tokens
                == (try GenerationDriver(model: model).generate(.embeddings(prompt), strategy: .beamSearch(beam), limits: limits).tokens))
        var opera = OPERAParameters()
        opera.beams = 2
        let span = try #require(try model.imageSpans(ids: ids, imageCount: 1).first)
        #expect(try Decoding.generate(model, ids: ids, images: [image], method: .opera(opera), limits: limits).tokens
                == (try OPERADecoder(model: model, parameters: opera).generate(prompt: prompt, imageRange: span, limits: limits).0.tokens))
        // VCD contrasts with the image noised at the given step and seed.
        let contrast = ContrastiveParameters(alpha: 1, beta: 0.1)
        let noised = withNoGrad { VCDNoise.apply(image, step: 300, generator: Generator(seed: 9)) }
        let amateur = try withNoGrad { try model.embed(ids: ids, images: [noised]) }
        #expect(try Decoding.generate(model, ids: ids, images: [image], method: .vcd(contrast, noiseStep: 300, noiseSeed: 9), limits: limits).tokens
                == (try ContrastiveDecoder(model: model).generate(main: prompt, amateur: amateur, parameters: contrast, limits: limits).tokens))
    }

    /// Every method reports the prompt's length (text plus image features) as `promptTokens`, while
    /// `prefillTokens` counts what it prefilled: VCD and DAMRO prefill their contrastive view beside it.
    @Test func everyMethodReportsThePromptsLengthApartFromWhatItPrefills() throws {
        let model = try tinyLlava()
        let length = try model.embeddedLength(ids: ids, images: [pixels])
        var opera = OPERAParameters()
        opera.beams = 2
        let contrast = ContrastiveParameters(alpha: 1, beta: 0.1)
        let methods: [(String, DecodingMethod)] = [
            ("greedy", .greedy), ("sample", .sample(SamplingParameters(temperature: 0.8, seed: 3))), ("beam", .beam(BeamSearchParameters(beams: 2))),
            ("opera", .opera(opera)), ("vcd", .vcd(contrast, noiseStep: 300, noiseSeed: 9)),
            ("damro", .damro(contrast, outliers: 3, attention: .singleHead)),
        ]
        for (name, method) in methods {
            let statistics = try Decoding.generate(model, ids: ids, images: [pixels], method: method, limits: limits).statistics
            #expect(statistics.promptTokens == length, "\(name)")
            switch name {
            case "vcd": #expect(statistics.prefillTokens == 2 * length, "\(name): the noised view is as long")
            case "damro": #expect(statistics.prefillTokens == length + (length - model.imageFeatureCount + 3), "\(name): 3 outliers stand for the image")
            default: #expect(statistics.prefillTokens == length, "\(name)")
            }
        }
    }

    /// With several images, VCD noises each image (in prompt order, from one generator with its seed)
    /// and DAMRO replaces each image by its own outlier tokens; neither puts the first image in every slot.
    @Test func contrastiveMethodsTakeEveryImageOfAPrompt() throws {
        let model = try tinyLlava()
        let first = pixels, second = Tensor.rand([1, 3, 32, 32], generator: Generator(seed: 5))
        let twoImages = [5, 0, 7, 0, 9]
        let contrast = ContrastiveParameters(alpha: 1, beta: 0.1)
        func amateur(_ method: DecodingMethod) throws -> Tensor {
            guard case .ready(_, let amateur, _) = try Decoding.prepare(model, ids: twoImages, images: [first, second], method: method) else {
                throw GenerationError.invalidOption("refused")
            }
            return try #require(amateur)
        }
        let generator = Generator(seed: 9)
        let noised = withNoGrad { [first, second].map { VCDNoise.apply($0, step: 300, generator: generator) } }
        let vcd = try amateur(.vcd(contrast, noiseStep: 300, noiseSeed: 9))
        #expect(maxAbs(vcd, try withNoGrad { try model.embed(ids: twoImages, images: noised) }) == 0)
        let lone = try withNoGrad { try model.embed(ids: twoImages, images: [noised[0], noised[0]]) }
        #expect(maxAbs(vcd, lone) > 0)

        let outliers = try withNoGrad { () throws(PromptError) -> [Tensor] in
            try [first, second].map { (image) throws(PromptError) -> Tensor in try model.visionOutliers(image, k: 2, attention: .singleHead).features[0] }
        }
        let expected = try withNoGrad {
            try model.embed([.tokens([5]), .imageFeatures(outliers[0]), .tokens([7]), .imageFeatures(outliers[1]), .tokens([9])])
        }
        #expect(maxAbs(try amateur(.damro(contrast, outliers: 2, attention: .singleHead)), expected) == 0)
    }

    /// OPERA's first-tokens rule counts the attention on every image's span: `prepare` gives both spans,
    /// the mass is summed over the spans (two adjacent ranges decide as the one range they cover, not as
    /// the first alone), and `Decoding.generate` decodes with both.
    @Test func operaCountsEveryImageSpan() throws {
        let model = try tinyLlava()
        let twoImages = [5, 0, 7, 0, 9]
        let images = [pixels, Tensor.rand([1, 3, 32, 32], generator: Generator(seed: 5))]
        var opera = OPERAParameters()
        opera.beams = 2
        guard case .ready(_, _, let ranges) = try Decoding.prepare(model, ids: twoImages, images: images, method: .opera(opera)) else {
            Issue.record("refused")
            return
        }
        #expect(ranges == (try model.imageSpans(ids: twoImages, imageCount: 2)) && ranges.count == 2)

        opera.penaltyWeight = 1000  // the image attention decides the first tokens
        let prompt = try withNoGrad { try model.embed(ids: twoImages, images: images) }
        let whole = try #require(ranges.first).lowerBound..<(try #require(ranges.last).upperBound)
        let middle = whole.lowerBound + whole.count / 2
        let decoder = OPERADecoder(model: model, parameters: opera)
        let long = GenerationLimits(maxNewTokens: 6)
        let one = try decoder.generate(prompt: prompt, positions: nil, imageRange: whole, limits: long)
        let split = try decoder.generate(prompt: prompt, positions: nil, imageRanges: [whole.lowerBound..<middle, middle..<whole.upperBound], limits: long)
        let half = try decoder.generate(prompt: prompt, positions: nil, imageRanges: [whole.lowerBound..<middle], limits: long)
        #expect(split.0.tokens == one.0.tokens && split.1.decisions.map(\.tokens) == one.1.decisions.map(\.tokens))
        #expect(half.1.decisions.map(\.tokens) != one.1.decisions.map(\.tokens))
        // The entry point decodes with both images' spans, which decide otherwise than the first image's alone.
        let both = try decoder.generate(prompt: prompt, positions: nil, imageRanges: ranges, limits: long)
        #expect(try Decoding.generate(model, ids: twoImages, images: images, method: .opera(opera), limits: long).tokens == both.0.tokens)
        let firstOnly = try decoder.generate(prompt: prompt, positions: nil, imageRanges: [ranges[0]], limits: long)
        #expect(firstOnly.1.decisions.map(\.tokens) != both.1.decisions.map(\.tokens))
    }

    @Test func methodsThatNeedAnImageOrAVisionModelSaySo() throws {
        let model = try tinyLlava()
        let contrast = ContrastiveParameters(alpha: 1, beta: 0.1)
        #expect(throws: GenerationError.invalidOption("decoding damro needs a vision-language model and an image")) {
            _ = try Decoding.generate(model, ids: [5, 7], method: .damro(contrast, outliers: 2, attention: .singleHead), limits: limits)
        }
        #expect(throws: GenerationError.invalidOption("this is a text-only model: images need a vision-language model")) {
            _ = try Decoding.generate(model.languageModel, ids: [5, 7], images: [pixels], method: .greedy, limits: limits)
        }
        #expect(throws: GenerationError.invalidOption("noise step must be in 0…999")) {
            _ = try Decoding.generate(model, ids: ids, images: [pixels], method: .vcd(contrast, noiseStep: 1000, noiseSeed: 0), limits: limits)
        }
    }
}
