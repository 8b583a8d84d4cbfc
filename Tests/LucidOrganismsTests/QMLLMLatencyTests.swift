import LucidModels
import LucidTensor
import LucidTraining
import LucidWorld
import Testing
@testable import LucidOrganisms

/// `QMLLMEvaluator.latencyOverhead`: what it times (the defended model's gate, once per image, against
/// the same model with the defence off) and what it leaves out, never how long anything took.
@Suite("Q-MLLM latency overhead")
struct QMLLMLatencyTests {
    @Test func theMedianIsTheMiddleValue() {
        #expect(QMLLMEvaluator.median([3, 1, 2]) == 2)
        #expect(QMLLMEvaluator.median([4, 1, 3, 2]) == 2.5)
        #expect(QMLLMEvaluator.median([]) == nil)
    }

    @Test func eachTimedAnswerOfTheDefendedModelPassesItsGate() throws {
        let tiny = try TinyDefendedOrganism()
        let pool = try ScenePool(world: ShapesWorldConfig(seed: 12, count: 3), imageSize: tiny.defended.config.visionConfig.imageSize)
        let gate = try #require(tiny.defended.imageGate)
        var screened = 0
        tiny.defended.imageGate = { image in screened += 1; return gate(image) }
        var logged: [String] = []
        let evaluator = QMLLMEvaluator(defended: tiny.defended, defense: tiny.defense, undefended: tiny.undefended, writer: tiny.writer,
                                       log: { logged.append($0) })
        let overhead = try evaluator.latencyOverhead(pixels: pool.pixels(Array(0..<3)), images: [0, 1, 2], prompt: "What is in the picture?")
        #expect(screened == 3 && overhead.isFinite)
        #expect(logged.contains { $0.hasPrefix("latency: median") && $0.hasSuffix("(median of 3 pairs)") })

        // Refused images are left out: with every image refused there is nothing to compare.
        tiny.defended.imageGate = { _ in "no" }
        logged = []
        #expect(try evaluator.latencyOverhead(pixels: pool.pixels(Array(0..<3)), images: [0, 1, 2], prompt: "What is in the picture?") == 0)
        #expect(logged == ["latency: 3 of 3 benign images refused by the gate, left out"])

        // The comparison runs on the same model with the defence off, and puts it back even after a throw.
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try tiny.defense.withoutDefense(on: tiny.defended) {
                #expect(tiny.defended.imageGate == nil && tiny.defended.visionFeatureTransform == nil)
                throw Stop()
            }
        }
        #expect(tiny.defended.imageGate != nil && tiny.defended.visionFeatureTransform != nil)

        tiny.defended.imageGate = nil
        #expect(throws: TrainingError.self) {
            _ = try evaluator.latencyOverhead(pixels: pool.pixels([0]), images: [0], prompt: "What is in the picture?")
        }
    }
}
