import ArgumentParser
import LucidDefense
import LucidOrganisms
import LucidTraining

/// The safety map's options, shared by `defend qmllm calibrate` and `defend qmllm train`: each one
/// given overrides the gate it starts from (`QMLLMGateRecipe`: the recipe's or the model's record's,
/// else the released gate), and the command validates the result.
struct QMLLMGateOptions: ParsableArguments {
    @Option(help: ArgumentHelp("What the gate reads: mean (the released Q-MLLM: the mean projected token's code; for a paper-variant model, the projected [CLS] code) or tokens (Lucid's deviation, released variant only: every token's code; any harmful one refuses). Default: the gate's these options apply to (the recipe's or the model's record's; mean for the released gate); --gate mean also drops that gate's token labels and codebook fit.",
                               valueName: "mean|tokens"))
    var gate: String?
    @Option(help: ArgumentHelp("With --gate tokens, what a token counts as: image (its image's category) or cells (the category of a hazard that covers its patch, else benign; needs ShapesWorld scenes, docs/defense.md). Default: the gate's these options apply to (image for the released gate).",
                               valueName: "image|cells"))
    var tokenLabels: String?
    @Flag(help: "Count every harmful category as one (\"harmful\"), so that codes shared by different hazards can refuse.")
    var mergeHarmful = false
    @Option(help: "With --gate tokens --token-labels cells: first re-fit the semantic codebook to projected tokens of the recipe's training world, K − H codes (spherical k-means) on tokens that show no hazard and these H on tokens that show one (Lucid's deviation, docs/defense.md). Recorded in the map as codebook_fit.")
    var fitCodes: Int?
    @Option(help: "With --fit-codes: scenes of the recipe's training world (seed 1000, a quarter with a hazard) whose tokens the codes are fitted to (default 2048).")
    var fitScenes: Int?

    func validate() throws {
        if let gate, SafetyCodeMap.Reading(rawValue: gate) == nil { throw ValidationError("--gate must be mean or tokens") }
        if let tokenLabels, SafetyCodeMap.TokenLabels(rawValue: tokenLabels) == nil { throw ValidationError("--token-labels must be image or cells") }
        // Combinations are checked against the gate these options apply to (the recipe's or the model's), by the command.
    }

    /// `base` with every option given here applied.
    func recipe(over base: QMLLMGateRecipe) -> QMLLMGateRecipe {
        var recipe = base
        if let reading = gate.flatMap(SafetyCodeMap.Reading.init(rawValue:)) {
            recipe.reading = reading
            if reading == .mean {  // what only the token reading has goes with it, unless given again
                recipe.tokenLabels = .image
                recipe.fitCodes = nil
                recipe.fitScenes = nil
            }
        }
        if let labels = tokenLabels.flatMap(SafetyCodeMap.TokenLabels.init(rawValue:)) { recipe.tokenLabels = labels }
        if mergeHarmful { recipe.mergeHarmful = true }
        if let fitCodes { recipe.fitCodes = fitCodes }
        if let fitScenes { recipe.fitScenes = fitScenes }
        return recipe
    }

    /// Whether any option was given.
    var isEmpty: Bool { gate == nil && tokenLabels == nil && !mergeHarmful && fitCodes == nil && fitScenes == nil }
}
