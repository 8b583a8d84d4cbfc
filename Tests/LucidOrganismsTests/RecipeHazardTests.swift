import Foundation
import Testing
@testable import LucidOrganisms
import LucidWorld

/// `hazardProbability` in a recipe: hazards in the training pool (so the vision tower learns them),
/// none without it, as the bundled organisms were trained.
@Suite("recipes with hazards in the training world")
struct RecipeHazardTests {
    static func recipe(hazards: Double?) -> OrganismRecipe {
        var recipe = OrganismRecipe.shapesSmol
        recipe.trainingScenes = 200
        recipe.hazardProbability = hazards
        return recipe
    }

    static func hazardScenes(_ recipe: OrganismRecipe) throws -> Int {
        let trainer = OrganismTrainer(recipe: recipe, workDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("unused"),
                                      log: { _ in })
        return try trainer.trainingPool().scenes.filter { scene in scene.objects.contains { $0.category.isHazard } }.count
    }

    @Test func aRecipeWithHazardsPutsThemInTheTrainingPoolAndTheBundledOnesDoNot() throws {
        #expect(OrganismRecipe.shapesSmol.hazardProbability == nil)
        #expect(OrganismRecipe.shapesTiny.hazardProbability == nil)
        #expect(try Self.hazardScenes(Self.recipe(hazards: nil)) == 0)
        let withHazards = try Self.hazardScenes(Self.recipe(hazards: 0.5))
        // 200 scenes at p = 0.5: 100 expected, far from 0 and from 200 for any seed.
        #expect(withHazards > 60 && withHazards < 140, "\(withHazards) of 200 scenes hold a hazard")
    }

    /// `shapes-smol-hazard` (the base of the bundled `shapes-smol-q`) is `shapes-smol` with hazards in a
    /// quarter of its training scenes and nothing else changed.
    @Test func shapesSmolHazardIsShapesSmolWithHazards() throws {
        let hazard = try #require(OrganismRecipe.named("shapes-smol-hazard"))
        #expect(hazard.hazardProbability == 0.25)
        var back = hazard
        back.name = OrganismRecipe.shapesSmol.name
        back.summary = OrganismRecipe.shapesSmol.summary
        back.hazardProbability = nil
        #expect(back == OrganismRecipe.shapesSmol)
        #expect(ModelLocations.organismNames.contains("shapes-smol-hazard"))
    }

    @Test func organismFilesWrittenBeforeTheKeyReadAsNoHazards() throws {
        let encoder = JSONEncoder()
        let data = try encoder.encode(Self.recipe(hazards: nil))
        let text = String(decoding: data, as: UTF8.self)
        #expect(!text.contains("hazard_probability"))
        #expect(try JSONDecoder().decode(OrganismRecipe.self, from: data).hazardProbability == nil)
        let with = try JSONDecoder().decode(OrganismRecipe.self, from: try encoder.encode(Self.recipe(hazards: 0.25)))
        #expect(with.hazardProbability == 0.25)
    }
}
