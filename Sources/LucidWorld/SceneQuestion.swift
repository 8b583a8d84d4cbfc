/// One question about a scene with its short ground-truth answer.
public struct SceneQuestion: Codable, Sendable, Equatable, Hashable {
    /// What the question asks.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// "Is there a knife in the image?" → "yes" / "no".
        case existence
        /// "How many cups are there in the image?" → "2" (digits; "0" for absent categories).
        case count
        /// "What color is the ball?" → "red".
        case color
        /// "Where is the ball?" → "top-left" (a ``GridCell`` name).
        case position
    }

    /// What is asked.
    public var kind: Kind
    /// The question text.
    public var question: String
    /// The ground-truth short answer.
    public var answer: String
    /// The category asked about; nil for "How many objects are there in the image?".
    public var category: ShapeCategory?

    /// A question with its answer.
    public init(kind: Kind, question: String, answer: String, category: ShapeCategory?) {
        self.kind = kind
        self.question = question
        self.answer = answer
        self.category = category
    }
}
