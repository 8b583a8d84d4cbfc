/// Why a bias spec such as `fork:knife=0.85,sun:cloud=0.8` was rejected. Each description names
/// the offending entry (1-based position and text) and says what was expected.
public enum BiasSpecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An entry is empty (two commas in a row, or a leading or trailing comma).
    case emptyEntry(position: Int)
    /// An entry has no `=probability` part.
    case missingProbability(position: Int, entry: String)
    /// The part before `=` is not two category names separated by one `:`.
    case malformedPair(position: Int, entry: String)
    /// A name is not a ShapesWorld category; `suggestion` is the closest category name, if any.
    case unknownCategory(position: Int, name: String, suggestion: String?)
    /// Both names of an entry are the same category.
    case selfPair(position: Int, category: String)
    /// The probability is not a number in [0, 1].
    case invalidProbability(position: Int, entry: String, value: String)
    /// The same pair (in either order) is given twice.
    case duplicatePair(position: Int, first: String, second: String)
    /// `none` was combined with other entries.
    case noneNotAlone

    /// One sentence naming the entry and what was expected.
    public var description: String {
        let syntax = "expected CATEGORY:CATEGORY=PROBABILITY, e.g. fork:knife=0.85"
        switch self {
        case let .emptyEntry(position):
            return "bias spec entry \(position) is empty (two commas in a row, or a leading or trailing comma)"
        case let .missingProbability(position, entry):
            return "bias spec entry \(position) '\(entry)' has no '=PROBABILITY': \(syntax)"
        case let .malformedPair(position, entry):
            return "bias spec entry \(position) '\(entry)' is malformed: \(syntax)"
        case let .unknownCategory(position, name, suggestion):
            let hint = suggestion.map { " (did you mean '\($0)'?)" } ?? ""
            let known = ShapeCategory.allCases.map(\.name).joined(separator: ", ")
            return "bias spec entry \(position): '\(name)' is not a ShapesWorld category\(hint); known categories: \(known)"
        case let .selfPair(position, category):
            return "bias spec entry \(position) pairs '\(category)' with itself; a pair needs two different categories"
        case let .invalidProbability(position, entry, value):
            return "bias spec entry \(position) '\(entry)': probability '\(value)' is not a number between 0 and 1"
        case let .duplicatePair(position, first, second):
            return "bias spec entry \(position) repeats the pair \(first):\(second) (pairs are unordered; give each once)"
        case .noneNotAlone:
            return "bias spec 'none' must be the whole spec (it means no co-occurrence bias at all)"
        }
    }
}
