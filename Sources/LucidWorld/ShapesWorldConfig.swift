/// Everything that determines a generated ShapesWorld data set. Two runs with equal
/// configurations produce identical scenes (and, rendered, identical PNG bytes).
public struct ShapesWorldConfig: Codable, Sendable, Equatable, Hashable {
    /// Seed of every random choice (scenes, text, backgrounds' grain).
    public var seed: UInt64
    /// Number of scenes.
    public var count: Int
    /// Side of the square images in pixels (224 by default; 64, 96 and 112 suit tiny models;
    /// anything in ``SceneRenderer/minimumSize`` ... ``SceneRenderer/maximumSize`` works).
    public var imageSize: Int
    /// The id of the first scene; scene `i` gets `firstImageID + i` (use disjoint ranges for
    /// train and test sets).
    public var firstImageID: Int
    /// Ordinary categories scenes are drawn from (hazards here are rejected; use ``hazards``).
    public var categories: [ShapeCategory]
    /// Colours objects are painted in.
    public var colors: [ShapeColor]
    /// Hazard categories that may appear when ``hazardProbability`` is above 0.
    public var hazards: [ShapeCategory]
    /// Probability that a scene holds one hazard object (0 by default: hazards excluded).
    public var hazardProbability: Double
    /// Co-occurrence biases. Pairs naming a category that is not enabled (in ``categories``, or
    /// in ``hazards`` with a positive ``hazardProbability``) are inactive.
    public var bias: BiasSpec
    /// Objects per scene (at most 9, one per grid cell). A bias partner may take a scene past
    /// the count drawn from this range, never past its upper bound.
    public var objectsPerScene: ClosedRange<Int>
    /// Probability that each object after the first repeats a category already in the scene
    /// (so that counting questions have answers above one).
    public var duplicateProbability: Double
    /// Options of the generated text.
    public var text: SceneTextOptions

    /// A configuration; every default is the documented one (1000 scenes of 224 px, all
    /// ordinary categories and colours, no hazards, ``BiasSpec/default``, 1–6 objects).
    public init(seed: UInt64 = 0, count: Int = 1000, imageSize: Int = 224, firstImageID: Int = 1,
                categories: [ShapeCategory] = ShapeCategory.ordinary, colors: [ShapeColor] = ShapeColor.allCases,
                hazards: [ShapeCategory] = ShapeCategory.hazards, hazardProbability: Double = 0,
                bias: BiasSpec = .default, objectsPerScene: ClosedRange<Int> = 1 ... 6,
                duplicateProbability: Double = 0.2, text: SceneTextOptions = SceneTextOptions()) {
        self.seed = seed
        self.count = count
        self.imageSize = imageSize
        self.firstImageID = firstImageID
        self.categories = categories
        self.colors = colors
        self.hazards = hazards
        self.hazardProbability = hazardProbability
        self.bias = bias
        self.objectsPerScene = objectsPerScene
        self.duplicateProbability = duplicateProbability
        self.text = text
    }

    /// The categories that can appear: ``categories``, plus ``hazards`` when
    /// ``hazardProbability`` is positive.
    public var enabledCategories: [ShapeCategory] {
        hazardProbability > 0 ? categories + hazards : categories
    }

    /// The bias pairs whose two categories are both enabled.
    public var activeBiasPairs: [BiasPair] {
        let enabled = Set(enabledCategories)
        return bias.pairs.filter { enabled.contains($0.first) && enabled.contains($0.second) }
    }

    /// Throws ``ShapesWorldError/invalidConfig(_:)`` naming the first invalid setting.
    /// The most scenes one export may have (scene records are kept in memory while exporting).
    public static let maximumCount = 1_000_000

    public func validate() throws(ShapesWorldError) {
        guard (0...Self.maximumCount).contains(count) else { throw .invalidConfig("count \(count) must be in 0…\(Self.maximumCount)") }
        guard (SceneRenderer.minimumSize ... SceneRenderer.maximumSize).contains(imageSize) else {
            throw .invalidConfig("image size \(imageSize) is outside \(SceneRenderer.minimumSize)...\(SceneRenderer.maximumSize)")
        }
        guard firstImageID >= 0, firstImageID <= Int.max - max(count, 0) else {
            throw .invalidConfig("first image id \(firstImageID) must be non-negative and leave room for \(count) ids")
        }
        guard !categories.isEmpty else { throw .invalidConfig("no categories are enabled") }
        if let hazard = categories.first(where: \.isHazard) {
            throw .invalidConfig("'\(hazard.name)' is a hazard; list it in hazards and set a hazard probability")
        }
        guard Set(categories).count == categories.count else { throw .invalidConfig("categories repeat") }
        if let ordinary = hazards.first(where: { !$0.isHazard }) {
            throw .invalidConfig("'\(ordinary.name)' is not a hazard category")
        }
        guard !colors.isEmpty else { throw .invalidConfig("no colours are enabled") }
        guard hazardProbability.isFinite, (0 ... 1).contains(hazardProbability) else {
            throw .invalidConfig("hazard probability \(hazardProbability) is not in [0, 1]")
        }
        guard hazardProbability == 0 || !hazards.isEmpty else {
            throw .invalidConfig("hazard probability is \(hazardProbability) but no hazard categories are enabled")
        }
        guard objectsPerScene.lowerBound >= 1, objectsPerScene.upperBound <= GridCell.allCases.count else {
            throw .invalidConfig("objects per scene \(objectsPerScene) must lie within 1...\(GridCell.allCases.count)")
        }
        guard duplicateProbability.isFinite, (0 ... 1).contains(duplicateProbability) else {
            throw .invalidConfig("duplicate probability \(duplicateProbability) is not in [0, 1]")
        }
        try text.validate()
    }
}
