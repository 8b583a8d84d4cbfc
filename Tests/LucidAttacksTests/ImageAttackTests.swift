import Foundation
import Testing
@testable import LucidAttacks
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidNN
@testable import LucidTensor
@testable import LucidVision

@Suite("image attacks")
struct ImageAttackTests {
    /// A tiny LLaVA in float64 (placeholder id 0) and a context for a 5-token prompt.
    func context(promptIDs: [Int] = [5, 0, 7, 9, 3]) throws -> ImageAttackContext {
        let text = LlamaConfig(vocabSize: 40, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 3, numAttentionHeads: 4, maxPositionEmbeddings: 128)
        let vision = CLIPVisionConfig(hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, imageSize: 32, patchSize: 16)
        let model = try LlavaForConditionalGeneration(LlavaConfig(visionConfig: vision, textConfig: text, imageTokenIndex: 0, visionFeatureLayer: -1))
        model.initializeForTraining(std: 0.3, generator: Generator(seed: 11))
        model.convert(to: .f64)
        return ImageAttackContext(model: model, preprocessor: .defaults(imageSize: 32), promptIDs: promptIDs)
    }

    /// Central differences of `f` at a few pixels against the autograd gradient, in float64.
    func checkGradient(_ f: (Tensor) throws -> Tensor) throws {
        let pixels = Tensor.rand([1, 3, 32, 32], dtype: .f64, generator: Generator(seed: 3))
        let x = pixels.clone()
        x.requiresGrad = true
        let gradient = try #require(Tensor.gradients(of: [try f(x)], withRespectTo: [x]).first ?? nil).reshaped(-1).toArray(Double.self)
        let h = 1e-6
        for index in [0, 17, 400, 1500, 3071] {
            func value(_ shift: Double) throws -> Double {
                let bumped = pixels.clone().reshaped(-1)
                let one = Tensor.zeros([bumped.size(0)], dtype: .f64)
                one.narrowed(axis: 0, start: index, length: 1).fill(shift)
                return try withNoGrad { try f((bumped + one).reshaped(1, 3, 32, 32)) }.item()
            }
            let numeric = (try value(h) - value(-h)) / (2 * h)
            #expect(abs(numeric - gradient[index]) <= 1e-6 + 1e-5 * abs(numeric), "pixel \(index): autograd \(gradient[index]), numeric \(numeric)")
        }
    }

    @Test func targetedTextGradientMatchesFiniteDifferences() throws {
        let ctx = try context()
        try checkGradient { try ctx.targetedTextLoss($0, target: [12, 4, 30]) }
    }

    @Test func mirageSinkGradientMatchesFiniteDifferences() throws {
        let ctx = try context()
        let loss = MirageSinkLoss(layer: -2, sigma: 0.9)
        try checkGradient { try loss(ctx, pixels01: $0, response: [12, 4, 30, 8, 19]).loss }
    }

    @Test func mirageSinkIsChosenAmongResponsePositions() throws {
        let ctx = try context()
        let result = try withNoGrad { try MirageSinkLoss(layer: -2)(ctx, pixels01: Tensor.rand([1, 3, 32, 32], dtype: .f64, generator: Generator(seed: 4)),
                                                                    response: [12, 4, 30, 8]) }
        #expect((0..<4).contains(result.sink))
        #expect(result.loss.item() > 0)
        #expect(throws: AttackError.self) { _ = try MirageSinkLoss(layer: 7)(ctx, pixels01: Tensor.rand([1, 3, 32, 32], dtype: .f64), response: [1, 2]) }
    }

    @Test func lossesAreTheSameWithOnePlaceholderOrOnePerImageFeature() throws {
        let one = try context()
        let expanded = try context(promptIDs: [5, 0, 0, 0, 0, 7, 9, 3])  // 4 features per image
        #expect(one.inputLength == 8 && expanded.inputLength == 8)
        let pixels = Tensor.rand([1, 3, 32, 32], dtype: .f64, generator: Generator(seed: 6))
        let target = [12, 4, 30]
        #expect(try withNoGrad { try one.targetedTextLoss(pixels, target: target).item() }
                == (try withNoGrad { try expanded.targetedTextLoss(pixels, target: target).item() }))
        let sink = MirageSinkLoss(layer: -2)
        let a = try withNoGrad { try sink(one, pixels01: pixels, response: [12, 4, 30, 8]) }
        let b = try withNoGrad { try sink(expanded, pixels01: pixels, response: [12, 4, 30, 8]) }
        #expect(a.sink == b.sink && a.loss.item() == b.loss.item())
    }

    @Test func mirageRoundsRegenerateTheResponseAndStayInTheBudget() throws {
        let text = LlamaConfig(vocabSize: 40, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 3, numAttentionHeads: 4, maxPositionEmbeddings: 128)
        let vision = CLIPVisionConfig(hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, imageSize: 32, patchSize: 16)
        let model = try LlavaForConditionalGeneration(LlavaConfig(visionConfig: vision, textConfig: text, imageTokenIndex: 0, visionFeatureLayer: -1))
        model.initializeForTraining(std: 0.3, generator: Generator(seed: 11))
        let ctx = ImageAttackContext(model: model, preprocessor: .defaults(imageSize: 32), promptIDs: [5, 0, 7, 9, 3])
        let clean = (Tensor.rand([1, 3, 32, 32], generator: Generator(seed: 8)) * 255).round() / 255
        let sink = MirageSinkLoss(layer: -2)
        let mirage = MirageAttack(loss: sink, pgd: PixelPGD(norm: .linf, epsilon: 8.0 / 255, stepSize: 2.0 / 255, steps: 3), beams: 2, maxNewTokens: 5)
        var logged: [PixelPGD.Step] = []
        let (adversarial, steps) = try mirage.run(ctx, clean: clean, eosTokenIDs: [], log: { logged.append($0) })
        #expect(steps.count == 3 && logged.count == 3)
        #expect((adversarial - clean).abs().max().item() <= 8.0 / 255 + 1e-6)
        #expect(adversarial.maxAbsDifference(clean) > 0)
        // Round 0 runs at the clean image on the response generated there, by beam search with 2 beams.
        let response = try mirage.respond(ctx, pixels01: clean, eosTokenIDs: [])
        #expect(response == (try ctx.respond(pixels01: clean, strategy: .beamSearch(BeamSearchParameters(beams: 2)), maxNewTokens: 5, eosTokenIDs: [])))
        let first = try sink(ctx, pixels01: clean, response: response)
        #expect(abs(steps[0].loss - first.loss.item()) < 1e-5)
        #expect(steps[0].metrics["sink"] == Double(first.sink) && steps[0].metrics["response_tokens"] == 5)
    }

    @Test func mirageStepCostTimesOneGenerationAndOneBackwardAndRefusesAnImageNoGradientReaches() throws {
        let ctx = try context()
        let clean = Tensor.rand([1, 3, 32, 32], dtype: .f64, generator: Generator(seed: 9))
        let mirage = MirageAttack(loss: MirageSinkLoss(layer: -2), pgd: PixelPGD(epsilon: 8.0 / 255, stepSize: 2.0 / 255, steps: 1), beams: 1, maxNewTokens: 4)
        let response = try mirage.respond(ctx, pixels01: clean, eosTokenIDs: [])
        let cost = try mirage.stepCost(ctx, clean: clean, cleanResponse: response, eosTokenIDs: [])
        #expect(cost.generationSeconds > 0 && cost.backwardSeconds > 0 && cost.seconds == cost.generationSeconds + cost.backwardSeconds)
        #expect(!clean.requiresGrad)
        // Features cut off the graph (as Q-MLLM's released quantiser does): refused before any step, naming the model.
        ctx.model.visionFeatureTransform = { $0.detached() }
        defer { ctx.model.visionFeatureTransform = nil }
        #expect { try mirage.stepCost(ctx, clean: clean, cleanResponse: response, eosTokenIDs: [], modelName: "shapes-smol-q") } throws: { error in
            (error as? AttackError)?.description.contains("no gradient reaches the image through shapes-smol-q") == true
        }
    }

    @Test func linfPGDStaysInTheBudgetOnThe8BitGridAndLowersTheLoss() throws {
        let clean = (Tensor.rand([1, 3, 8, 8], generator: Generator(seed: 5)) * 255).round() / 255
        let target = Tensor.full([1, 3, 8, 8], 0.5)
        let pgd = PixelPGD(norm: .linf, epsilon: 4.0 / 255, stepSize: 1.0 / 255, steps: 10)
        let (adversarial, steps) = try pgd.run(clean: clean) { x, _ in ((x - target).square().mean(), [:]) }
        let delta = (adversarial - clean).abs().max().item()
        #expect(delta <= 4.0 / 255 + 1e-7)
        #expect(((adversarial * 255).round() / 255).maxAbsDifference(adversarial) < 1e-7)
        #expect(adversarial.min().item() >= 0 && adversarial.max().item() <= 1)
        let after = (adversarial - target).square().mean().item()
        #expect(after < steps[0].loss)
        // The PNG holds exactly this tensor.
        let image = try FloatImage(tensor: adversarial)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("adv-\(UUID().uuidString).png")
        try ImageEncoder.writePNG(image, to: url.path)
        let reloaded = FloatImage(try ImageDecoder.decode(path: url.path)).tensor()
        #expect(reloaded.maxAbsDifference(adversarial) < 1e-6)
    }

    @Test func l2PGDProjectsOntoTheBall() throws {
        let clean = Tensor.full([1, 3, 4, 4], 0.5)
        let pgd = PixelPGD(norm: .l2, epsilon: 0.1, stepSize: 0.05, steps: 8, quantize: false)
        let (adversarial, _) = try pgd.run(clean: clean) { x, _ in (-(x.sum()), [:]) }
        #expect((adversarial - clean).square().sum().sqrt().item() <= 0.1 + 1e-6)
    }

    /// With a linear loss every signed step moves each pixel by that step's γ_t, so the image ends
    /// Σ γ_t away: T·γ for the constant schedule, γ·Σ ½(1 + cos(πt/T)) for the cosine one.
    @Test func cosineScheduleShrinksTheStepsAndMovesBySumOfTheSteps() throws {
        let schedule = PixelPGD.Schedule.cosine
        let sizes = (0..<6).map { schedule.stepSize(0.01, index: $0, steps: 6) }
        #expect(abs(sizes[0] - 0.01) < 1e-15 && zip(sizes, sizes.dropFirst()).allSatisfy { $0 > $1 } && (sizes.last ?? 0) > 0)
        #expect(PixelPGD.Schedule.constant.stepSize(0.01, index: 5, steps: 6) == 0.01)
        let clean = Tensor.full([1, 3, 4, 4], 0.5)
        for schedule in PixelPGD.Schedule.allCases {
            var pgd = PixelPGD(norm: .linf, epsilon: 0.4, stepSize: 0.01, steps: 6, quantize: false)
            pgd.schedule = schedule
            let (adversarial, _) = try pgd.run(clean: clean) { x, _ in (x.sum(), [:]) }
            let moved = (0..<6).map { schedule.stepSize(0.01, index: $0, steps: 6) }.reduce(0, +)
            #expect(abs((clean - adversarial).max().item() - moved) < 1e-6 && abs((clean - adversarial).min().item() - moved) < 1e-6,
                    "\(schedule)")
        }
    }

    @Test func noiseBaselineHasTheSameBudget() {
        let clean = Tensor.full([1, 3, 16, 16], 0.5)
        let noisy = PixelPGD(epsilon: 5.0 / 255, seed: 9).noise(clean: clean)
        #expect((noisy - clean).abs().max().item() <= 5.0 / 255 + 1e-7)
        #expect((noisy - clean).abs().max().item() > 0)
    }
}

@Suite("differentiable path in float64")
struct DifferentiablePathTests {
    @Test func visionTowerAndProjectorGradientsMatchFiniteDifferences() throws {
        let ctx = try ImageAttackTests().context()
        try ImageAttackTests().checkGradient { ctx.model.imageFeatures(ctx.preprocessor.normalize($0)).square().sum() }
    }

    /// Regression: attention softmax used to be computed in f32 even for f64 models.
    @Test func languageModelLogitGradientsMatchFiniteDifferences() throws {
        let ctx = try ImageAttackTests().context()
        try ImageAttackTests().checkGradient { pixels in
            let trace = ctx.model.forward(embeddings: try ctx.embeddings(pixels, continuation: [3]), cache: nil, options: ForwardOptions(logits: .all))
            return try #require(trace.logits).square().sum()
        }
    }
}
