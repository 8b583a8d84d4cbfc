import Testing
@testable import LucidOrganisms
import LucidTraining

/// Which recipe fields identify a training run (and so decide whether a checkpoint resumes): what
/// training reads, not names, summaries, evaluation or what follows the stage.
@Suite("recipe training identities")
struct RecipeTrainingIdentityTests {
    @Test func anOrganismRunIsItsTrainingFieldsAndData() throws {
        let recipe = OrganismRecipe.shapesSmol
        let identity = try recipe.trainingIdentity(dataHash: "data")
        #expect(identity.count == 64)
        var presented = recipe
        presented.name = "other"
        presented.summary = "other"
        presented.evaluationScenes = 7
        presented.evaluationSeed = 1
        #expect(try presented.trainingIdentity(dataHash: "data") == identity)
        var reseeded = recipe
        reseeded.seed += 1
        #expect(try reseeded.trainingIdentity(dataHash: "data") != identity)
        var longer = recipe
        longer.instructSchedule = recipe.instructSchedule.withSteps(recipe.instructSchedule.steps + 1)
        #expect(try longer.trainingIdentity(dataHash: "data") != identity)
        #expect(try recipe.trainingIdentity(dataHash: "other data") != identity)
        #expect(try OrganismRecipe.shapesSmolHazard.trainingIdentity(dataHash: "data") != identity, "hazards change the run")
    }

    @Test func qmllmStage1IgnoresWhatComesAfterIt() throws {
        let recipe = QMLLMRecipe.shapesSmolQ
        let identity = try recipe.stage1Identity()
        var after = recipe
        after.name = "other"
        after.gate = nil
        after.threshold = 0.9
        after.calibrationScenes = 3
        after.evaluationScenes = 3
        after.stage2 = QMLLMStage2Recipe()
        after.defense.refusal = "No."
        #expect(try after.stage1Identity() == identity)
        var codes = recipe
        codes.defense.patchCodes = 512
        #expect(try codes.stage1Identity() != identity)
        var steps = recipe
        steps.schedule = recipe.schedule.withSteps(10)
        #expect(try steps.stage1Identity() != identity)
        #expect(try QMLLMRecipe.released.stage1Identity() != identity)
    }

    @Test func qmllmStage2IsItsRecipeOnOneModel() throws {
        let recipe = QMLLMRecipe.shapesSmolQ
        let stage2 = QMLLMStage2Recipe()
        let identity = try recipe.stage2Identity(stage2, model: "model a")
        #expect(try recipe.stage2Identity(stage2, model: "model a") == identity)
        #expect(try recipe.stage2Identity(stage2, model: "model b") != identity)
        var shorter = stage2
        shorter.schedule = stage2.schedule.withSteps(50)
        #expect(try recipe.stage2Identity(shorter, model: "model a") != identity)
    }

    @Test func safetyAlignmentIgnoresItsNameAndEvaluationLength() throws {
        let recipe = SafetyAlignmentRecipe()
        let identity = try recipe.trainingIdentity(dataHash: "data")
        var presented = recipe
        presented.name = "other"
        presented.evaluationTokens = 8
        #expect(try presented.trainingIdentity(dataHash: "data") == identity)
        var share = recipe
        share.harmfulShare = 0.25
        #expect(try share.trainingIdentity(dataHash: "data") != identity)
    }
}
