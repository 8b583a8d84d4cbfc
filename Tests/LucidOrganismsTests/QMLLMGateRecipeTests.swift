import Foundation
import LucidDefense
import LucidSupport
import LucidTraining
import Testing
@testable import LucidOrganisms

/// The safety map's recipe: combinations that cannot work are refused before any model is read, and
/// the recipe records the gate under snake_case keys (absent for the released gate).
@Suite("Q-MLLM gate recipe")
struct QMLLMGateRecipeTests {
    @Test func combinationsThatCannotWorkAreRefused() {
        let refused: [(QMLLMGateRecipe, QMLLMDefense.Variant, String)] = [
            (QMLLMGateRecipe(tokenLabels: .cells), .released, "--token-labels cells"),
            (QMLLMGateRecipe(reading: .tokens, fitCodes: 4), .released, "--fit-codes fits codes"),
            (QMLLMGateRecipe(reading: .tokens, tokenLabels: .cells, fitCodes: 0), .released, "--fit-codes must be at least 1"),
            (QMLLMGateRecipe(reading: .tokens, tokenLabels: .cells, fitScenes: 100), .released, "--fit-scenes sets the scenes"),
            (QMLLMGateRecipe(reading: .tokens, tokenLabels: .cells, fitCodes: 4, fitScenes: 20_001), .released, "--fit-scenes must be between"),
            (QMLLMGateRecipe(reading: .tokens), .paper, "paper variant"),
        ]
        for (gate, variant, message) in refused {
            #expect {
                try gate.validate(variant: variant)
            } throws: { error in
                (error as? TrainingError)?.description.contains(message) == true
            }
        }
        #expect(throws: Never.self) {
            try QMLLMGateRecipe().validate(variant: .paper)
            try QMLLMGateRecipe.classFittedTokens.validate()
        }
    }

    @Test func mergedGatesCountEveryHazardAsOneCategory() {
        let merged = QMLLMGateRecipe(mergeHarmful: true)
        #expect(merged.categories == ["benign", "harmful"] && merged.labels([0, 3, 1, 0, 4]) == [0, 1, 1, 0, 1])
        #expect(QMLLMGateRecipe().categories == QMLLMCalibration.categories && QMLLMGateRecipe().labels([0, 3]) == [0, 3])
    }

    @Test func theRecipeRecordsTheGateUnderSnakeCaseKeys() throws {
        var recipe = QMLLMRecipe.released
        recipe.gate = .classFittedTokens
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(recipe)) as? [String: Any])
        let gate = try #require(object["gate"] as? [String: Any])
        #expect(gate["reading"] as? String == "tokens" && gate["token_labels"] as? String == "cells" && gate["merge_harmful"] as? Bool == true
                && gate["fit_codes"] as? Int == 32 && gate["fit_scenes"] as? Int == 6000, "\(gate)")
        #expect(try JSONDecoder.records().decode(QMLLMRecipe.self, from: JSONEncoder().encode(recipe)) == recipe)
        let released = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(QMLLMRecipe.released)) as? [String: Any])
        #expect(released["gate"] == nil, "the released gate's recipes stay as they were")
    }
}
