import LucidDefense
import LucidModels
import LucidOrganisms
import LucidTraining
import LucidWorld

/// Builds a Q-MLLM safety map as a `QMLLMGateRecipe` says: the optional class-by-class re-fit of the
/// semantic codebook on the recipe's training world (`QMLLMTokenCodebook`), then the calibration on
/// labelled images (`QMLLMCalibration`). `lucid defend qmllm train` runs it with the recipe's gate
/// after training, `lucid defend qmllm calibrate` with the gate its flags spell.
public enum QMLLMGateCalibration {
    /// The map for `defense` (installed on `model`) from `images`, τ = `threshold`; a codebook fitted
    /// before (and recorded in the current map) stays recorded when this gate fits none.
    public static func calibrate(_ gate: QMLLMGateRecipe, threshold: Double, recipe: QMLLMRecipe, defense: QMLLMDefense,
                                 model: LlavaForConditionalGeneration, images: LabelledImageFolder,
                                 log: (String) -> Void) throws -> SafetyCodeMap {
        try gate.validate(variant: defense.variant)
        let grid = model.config.visionConfig.imageSize / model.config.visionConfig.patchSize  // patch tokens per side
        var byToken: [[Int]]?
        if gate.tokenLabels == .cells {
            guard let labels = images.tokenLabels(grid: grid, mergeHarmful: gate.mergeHarmful) else {
                throw TrainingError("--token-labels cells needs where the hazards are: a `lucid world generate` export (scenes.jsonl) or the default scenes, not labels.jsonl")
            }
            byToken = labels
        }
        var codebookFit = defense.safetyMap?.codebookFit
        if let fitCodes = gate.fitCodes {
            let world = ShapesWorldConfig(seed: recipe.trainingWorldSeed, count: gate.fitScenes ?? QMLLMGateRecipe.defaultFitScenes,
                                          hazardProbability: recipe.hazardProbability)
            log("fitting \(defense.semantic.count - fitCodes) + \(fitCodes) semantic codes to the tokens of \(world.count) scenes (world seed \(world.seed))")
            let scenes = try LabelledImageFolder(world: world, imageSize: model.config.visionConfig.imageSize)
            let fit = try QMLLMTokenCodebook.fit(defense: defense, model: model, pixels: scenes.pixels,
                                                 tokenLabels: scenes.tokenLabels(grid: grid, mergeHarmful: true) ?? [],
                                                 hazardCodes: fitCodes, seed: recipe.seed &+ 199, worldSeed: world.seed)
            log("fitted \(fit.benignCodes) codes to \(fit.benignTokens) benign tokens and \(fit.hazardCodes) to \(fit.hazardTokens) hazard tokens")
            codebookFit = fit
        }
        var map = try QMLLMCalibration.calibrate(defense: defense, model: model, pixels: images.pixels, labels: gate.labels(images.labels),
                                                 categories: gate.categories, threshold: threshold, reading: gate.reading, tokenLabels: byToken)
        map.codebookFit = codebookFit
        return map
    }
}
