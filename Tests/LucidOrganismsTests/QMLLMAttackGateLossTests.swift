import Foundation
import LucidDefense
import LucidModels
import LucidTensor
import LucidWorld
import Testing
@testable import LucidOrganisms

/// The gate hinge that PGD adds for the defended settings of `defend qmllm eval`'s attacks.
@Suite("Q-MLLM attack gate loss")
struct QMLLMAttackGateLossTests {
    /// shapes-tiny with the same seeded defence in `dtype`, and a map in which codes 0 and 1 refuse.
    static func evaluation(_ dtype: DType) throws -> QMLLMAttackEvaluation {
        let directory = ModelLocations.resolve("shapes-tiny")
        let defended = try OrganismLoader.load(directory: directory, dtype: dtype)
        let defense = try QMLLMDefense(configuration: .init(patchGroups: 4, patchCodes: 8, semanticCodes: 4),
                                       visionWidth: defended.visionFeatureWidth, textWidth: defended.hiddenSize, generator: Generator(seed: 5))
        try defense.installWithGate(on: defended)
        defense.backward = .straightThrough  // BPDA: the setting whose hinge has a gradient to the pixels
        defense.safetyMap = try SafetyCodeMap(codebookSize: 4, categories: ["benign", "harmful"],
                                              observations: (0..<4).map { (code: $0, category: $0 < 2 ? 1 : 0) })
        let tokenizer = try OrganismLoader.tokenizer(directory: directory)
        let writer = ConversationWriter(tokenizer: tokenizer, template: .chatml, endOfTurn: try #require(tokenizer.id(for: "<|im_end|>")))
        return QMLLMAttackEvaluation(defended: defended, defense: defense, undefended: try OrganismLoader.load(directory: directory, dtype: dtype),
                                     writer: writer, steps: 1, log: { _ in })
    }

    @Test func aBF16ModelsGateLossIsComputedInF32AndMatchesTheF32Model() throws {
        let pool = try ScenePool(world: ShapesWorldConfig(seed: 12, count: 2), imageSize: 96)
        let pixels = pool.pixels([0, 1])
        var values: [DType: Double] = [:]
        for dtype in [DType.f32, .bf16] {
            let evaluation = try Self.evaluation(dtype)
            let codes = try #require(evaluation.gateCodes())
            let x = pixels.to(dtype).detached()
            x.requiresGrad = true
            let loss = try evaluation.gateLoss(model: evaluation.defended, pixels: x, codes: codes)
            #expect(loss.dtype == .f32)
            let gradient = try #require(Tensor.gradients(of: [loss], withRespectTo: [x]).first ?? nil)
            #expect(gradient.to(.f32).abs().sum().item().isFinite)
            values[dtype] = loss.item()
        }
        let f32 = try #require(values[.f32]), bf16 = try #require(values[.bf16])
        #expect(f32 > 0, "a zero hinge could not tell the dtypes apart")
        // bf16 carries 8 mantissa bits through the tower and projector (measured: 0.0004 on a hinge of
        // 0.079); 0.01 leaves room for another CPU's kernels and is still an eighth of the value.
        #expect(abs(bf16 - f32) <= 0.01, "bf16 \(bf16) against f32 \(f32)")
    }
}
