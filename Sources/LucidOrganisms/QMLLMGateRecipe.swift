import LucidDefense
import LucidTraining

/// How Q-MLLM's safety map is built (`QMLLMRecipe.gate`, and the flags of `lucid defend qmllm
/// calibrate`): what the gate reads, what a calibration token counts as, whether the hazards count as
/// one category, and an optional class-by-class re-fit of the semantic codebook first
/// (`QMLLMTokenCodebook`). The default is the released gate: the mean reading over the five categories.
public struct QMLLMGateRecipe: Codable, Sendable, Equatable {
    /// What the gate reads: the mean projected token's code (released) or every token's (Lucid's deviation).
    public var reading: SafetyCodeMap.Reading
    /// With `.tokens`: what a calibration token counts as (its image's category, or its cell's hazard).
    public var tokenLabels: SafetyCodeMap.TokenLabels
    /// Count every hazard as one category ("harmful"), so that codes shared by different hazards can refuse.
    public var mergeHarmful: Bool
    /// Semantic codes re-fitted to hazard tokens before calibrating (`QMLLMTokenCodebook`); nil keeps the trained codebook.
    public var fitCodes: Int?
    /// Training-world scenes whose tokens the fit reads (`defaultFitScenes` when nil).
    public var fitScenes: Int?

    public static let defaultFitScenes = 2048

    public init(reading: SafetyCodeMap.Reading = .mean, tokenLabels: SafetyCodeMap.TokenLabels = .image, mergeHarmful: Bool = false,
                fitCodes: Int? = nil, fitScenes: Int? = nil) {
        self.reading = reading
        self.tokenLabels = tokenLabels
        self.mergeHarmful = mergeHarmful
        self.fitCodes = fitCodes
        self.fitScenes = fitScenes
    }

    /// The gate of the best variant measured so far on the hazard tower (docs/defense.md): every token
    /// read, tokens labelled by cell, hazards merged, 32 hazard codes fitted to 6,000 training scenes.
    public static let classFittedTokens = QMLLMGateRecipe(reading: .tokens, tokenLabels: .cells, mergeHarmful: true, fitCodes: 32, fitScenes: 6000)

    /// Refuses combinations that cannot work, naming the CLI flags (which spell the same choices).
    public func validate(variant: QMLLMDefense.Variant = .released) throws(TrainingError) {
        if tokenLabels == .cells, reading != .tokens {
            throw TrainingError("--token-labels cells labels each patch token by the hazard it shows: use it with --gate tokens (the mean reading judges an image by one code, which no cell owns)")
        }
        if let fitCodes {
            guard reading == .tokens, tokenLabels == .cells else {
                throw TrainingError("--fit-codes fits codes to tokens labelled by the hazard they show: use it with --gate tokens --token-labels cells")
            }
            guard fitCodes >= 1 else { throw TrainingError("--fit-codes must be at least 1") }
        }
        if let fitScenes {
            guard fitCodes != nil else { throw TrainingError("--fit-scenes sets the scenes of --fit-codes; give --fit-codes too") }
            guard (1...20_000).contains(fitScenes) else { throw TrainingError("--fit-scenes must be between 1 and 20000") }
        }
        if variant == .paper, tokenLabels == .cells {
            throw TrainingError("--token-labels cells labels the patch tokens, but \(QMLLMDefense.paperTokenReadingRefusal)")
        }
        if variant == .paper, reading == .tokens {
            throw TrainingError("--gate tokens reads the patch tokens, but \(QMLLMDefense.paperTokenReadingRefusal)")
        }
    }

    /// The map's categories: benign and harmful when merged, else benign and each hazard.
    public var categories: [String] { mergeHarmful ? ["benign", "harmful"] : QMLLMCalibration.categories }

    /// Image labels in this gate's categories (every hazard is 1 when merged).
    public func labels(_ labels: [Int]) -> [Int] { mergeHarmful ? labels.map { $0 == 0 ? 0 : 1 } : labels }

    /// snake_case keys (docs/json.md).
    enum CodingKeys: String, CodingKey {
        case reading, tokenLabels = "token_labels", mergeHarmful = "merge_harmful", fitCodes = "fit_codes", fitScenes = "fit_scenes"
    }
}
