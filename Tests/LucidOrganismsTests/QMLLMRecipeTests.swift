import Foundation
import LucidDefense
import LucidTraining
import Testing
@testable import LucidOrganisms

/// The two Q-MLLM recipes Lucid names: the bundled `shapes-smol-q` and Q-MLLM as released.
@Suite("Q-MLLM recipes")
struct QMLLMRecipeTests {
    /// The bundled recipe is the released one with the base start, UniTok's L2 patch geometry, no
    /// stage-1 step and the class-fitted token gate, on the hazard organism; nothing else differs.
    @Test func theBundledRecipeIsTheReleasedOneWithTheBaseStartAndTheClassFittedGate() throws {
        let bundled = try #require(QMLLMRecipe.named.first { $0.name == "shapes-smol-q" }?.recipe)
        #expect(bundled == QMLLMRecipe.shapesSmolQ && QMLLMRecipe.named.first { $0.name == "released" }?.recipe == QMLLMRecipe.released)
        #expect(bundled.base == "shapes-smol-hazard" && bundled.start == .base && bundled.schedule.steps == 0)
        #expect(bundled.defense.patchGroups == 24 && bundled.defense.patchCodes == 4096 && bundled.defense.patchDistance == .l2)
        #expect(bundled.gate == .classFittedTokens && bundled.variant == .released && bundled.stage2 == nil)
        var back = bundled
        back.base = QMLLMRecipe.released.base
        back.defense = QMLLMRecipe.released.defense
        back.start = nil
        back.schedule = QMLLMRecipe.released.schedule
        back.gate = nil
        #expect(back == QMLLMRecipe.released)
        #expect(QMLLMRecipe.released.start == nil && QMLLMRecipe.released.gate == nil && QMLLMRecipe.released.schedule.steps == 300)
    }

    /// A smoke-scale copy of the bundled recipe still trains no step (scaling never turns 0 into 1)
    /// and fits its gate on proportionally fewer scenes.
    @Test func scalingKeepsZeroStepsAndScalesTheGateFit() throws {
        let small = QMLLMRecipe.shapesSmolQ.scaled(by: 0.05)
        #expect(small.schedule.steps == 0 && small.schedule.warmupSteps == 0)
        #expect(small.gate?.fitScenes == 300 && small.trainingScenes == 300)
        #expect(QMLLMRecipe.released.scaled(by: 0.05).schedule.steps == 15)
        #expect(QMLLMRecipe.shapesSmolQ.scaled(by: 0.001).gate?.fitScenes == 64)
    }
}
