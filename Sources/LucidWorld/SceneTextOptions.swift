/// Options of the generated text (see ``SceneText``).
public struct SceneTextOptions: Codable, Sendable, Equatable, Hashable {
    /// Probability that a description's loosely related tail names an object category that is
    /// **not** in the image (preferably a bias partner of a present object), mirroring the
    /// instruction-data defect that teaches models to hallucinate. 0 keeps tails free of
    /// hallucinated objects.
    public var tailAbsentMentionProbability: Double
    /// Probability that the tail (when it names no absent object) names a present object.
    public var tailPresentMentionProbability: Double
    /// Yes/no existence questions per image: up to this many "yes" and as many "no".
    public var existenceQuestions: Int

    /// Options; the defaults are those of ``ShapesWorldConfig``.
    public init(tailAbsentMentionProbability: Double = 0.5, tailPresentMentionProbability: Double = 0.4,
                existenceQuestions: Int = 2) {
        self.tailAbsentMentionProbability = tailAbsentMentionProbability
        self.tailPresentMentionProbability = tailPresentMentionProbability
        self.existenceQuestions = existenceQuestions
    }

    /// Throws ``ShapesWorldError/invalidConfig(_:)`` for probabilities outside [0, 1] or a
    /// negative question count.
    public func validate() throws(ShapesWorldError) {
        for (name, value) in [("tail absent-mention", tailAbsentMentionProbability),
                              ("tail present-mention", tailPresentMentionProbability)] {
            guard value.isFinite, (0 ... 1).contains(value) else {
                throw .invalidConfig("\(name) probability \(value) is not in [0, 1]")
            }
        }
        guard existenceQuestions >= 0 else { throw .invalidConfig("existence question count \(existenceQuestions) is negative") }
    }
}
