import LucidFiles

/// The co-occurrence biases of a world: pairs of categories that tend to appear together, so that
/// models trained on the scenes learn language priors (as COCO's fork→knife) that cause
/// hallucination.
///
/// Semantics: for a pair (A, B) with probability p, over generated scenes
/// P(B present | A present) ≈ P(A present | B present) ≈ p. The generator achieves this by
/// flipping, when the first of the two is drawn, a coin with probability `p / (2 − p)`
/// (``coinProbability(_:)``) that adds the partner, and forbidding the partner for the scene when
/// the coin fails; since either category is equally likely to be drawn first, the conditional
/// rate is `2c / (1 + c) = p`. This is exact in expectation when each category is in at most one
/// active pair (the default set is built that way); for overlapping pairs the rates are close to,
/// but not exactly, the configured values.
///
/// Text syntax (``parse(_:)``): comma-separated `a:b=p` entries, e.g.
/// `fork:knife=0.85,sun:cloud=0.8`; names are category nouns (singular or plural, any case);
/// spaces around entries are ignored. The word `default` stands for ``default``'s pairs, and
/// later entries override a pair already given by it (`default,fork:knife=0.5`); `none` (alone)
/// or the empty text means no bias.
public struct BiasSpec: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The pairs, each unordered pair at most once.
    public private(set) var pairs: [BiasPair]

    /// A spec of `pairs`; throws when a pair repeats, pairs a category with itself, or has a
    /// probability outside [0, 1] (positions in errors are 1-based indices into `pairs`).
    public init(pairs: [BiasPair]) throws(BiasSpecError) {
        var accepted: [BiasPair] = []
        for (offset, pair) in pairs.enumerated() {
            let position = offset + 1
            guard pair.first != pair.second else { throw .selfPair(position: position, category: pair.first.name) }
            guard pair.probability.isFinite, (0 ... 1).contains(pair.probability) else {
                throw .invalidProbability(position: position, entry: pair.description, value: String(pair.probability))
            }
            guard !accepted.contains(where: { $0.links(pair.first, pair.second) }) else {
                throw .duplicatePair(position: position, first: pair.first.name, second: pair.second.name)
            }
            accepted.append(pair)
        }
        self.pairs = accepted
    }

    private init(unchecked pairs: [BiasPair]) {
        self.pairs = pairs
    }

    /// No bias: categories are drawn independently.
    public static let none = BiasSpec(unchecked: [])

    /// The default biases, each category in at most one pair:
    /// fork:knife=0.85, sun:cloud=0.8, moon:star=0.85, cup:spoon=0.75, car:house=0.8,
    /// boat:fish=0.75, lamp:chair=0.75, tree:bird=0.7, umbrella:hat=0.7.
    public static let `default` = BiasSpec(unchecked: [
        BiasPair(.fork, .knife, probability: 0.85),
        BiasPair(.sun, .cloud, probability: 0.8),
        BiasPair(.moon, .star, probability: 0.85),
        BiasPair(.cup, .spoon, probability: 0.75),
        BiasPair(.car, .house, probability: 0.8),
        BiasPair(.boat, .fish, probability: 0.75),
        BiasPair(.lamp, .chair, probability: 0.75),
        BiasPair(.tree, .bird, probability: 0.7),
        BiasPair(.umbrella, .hat, probability: 0.7),
    ])

    /// The coin probability that yields conditional co-occurrence `p`: `p / (2 − p)`.
    public static func coinProbability(_ p: Double) -> Double {
        p >= 1 ? 1 : max(0, p) / (2 - max(0, p))
    }

    /// The configured probability linking `a` and `b`, if they form a pair.
    public func probability(_ a: ShapeCategory, _ b: ShapeCategory) -> Double? {
        pairs.first { $0.links(a, b) }?.probability
    }

    /// The partners of `category` with their probabilities, in spec order.
    public func partners(of category: ShapeCategory) -> [(category: ShapeCategory, probability: Double)] {
        pairs.compactMap { pair in pair.partner(of: category).map { ($0, pair.probability) } }
    }

    /// Decodes the text syntax (a JSON string such as `"fork:knife=0.85"`).
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try BiasSpec.parse(text)
    }

    /// Encodes the text syntax (``description``) as a JSON string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// The spec in its text syntax (``parse(_:)`` reads it back); `none` when empty.
    public var description: String {
        pairs.isEmpty ? "none" : pairs.map(\.description).joined(separator: ",")
    }

    /// Parses the text syntax (see the type's documentation).
    public static func parse(_ text: String) throws(BiasSpecError) -> BiasSpec {
        let trimmed = text.trimmingWhitespace()
        if trimmed.isEmpty || trimmed.lowercased() == "none" { return .none }
        let entries = trimmed.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace() }
        var pairs: [BiasPair] = []
        var explicit: [BiasPair] = []
        for (offset, entry) in entries.enumerated() {
            let position = offset + 1
            guard !entry.isEmpty else { throw .emptyEntry(position: position) }
            switch entry.lowercased() {
            case "default":
                for pair in BiasSpec.default.pairs where !pairs.contains(where: { $0.links(pair.first, pair.second) }) {
                    pairs.append(pair)
                }
                continue
            case "none":
                throw .noneNotAlone
            default:
                break
            }
            let pair = try parseEntry(entry, position: position)
            if explicit.contains(where: { $0.links(pair.first, pair.second) }) {
                throw .duplicatePair(position: position, first: pair.first.name, second: pair.second.name)
            }
            explicit.append(pair)
            if let index = pairs.firstIndex(where: { $0.links(pair.first, pair.second) }) {
                pairs[index] = pair
            } else {
                pairs.append(pair)
            }
        }
        return BiasSpec(unchecked: pairs)
    }

    private static func parseEntry(_ entry: String, position: Int) throws(BiasSpecError) -> BiasPair {
        let sides = entry.split(separator: "=", omittingEmptySubsequences: false)
        guard sides.count >= 2 else { throw .missingProbability(position: position, entry: entry) }
        guard sides.count == 2 else { throw .malformedPair(position: position, entry: entry) }
        let names = sides[0].split(separator: ":", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace() }
        guard names.count == 2, !names[0].isEmpty, !names[1].isEmpty else {
            throw .malformedPair(position: position, entry: entry)
        }
        let first = try category(names[0], position: position)
        let second = try category(names[1], position: position)
        guard first != second else { throw .selfPair(position: position, category: first.name) }
        let valueText = String(sides[1]).trimmingWhitespace()
        guard let value = DecimalNumber.parse(valueText), (0 ... 1).contains(value) else {
            throw .invalidProbability(position: position, entry: entry, value: valueText)
        }
        return BiasPair(first, second, probability: value)
    }

    private static func category(_ name: String, position: Int) throws(BiasSpecError) -> ShapeCategory {
        if let category = ShapeCategory(name: name) { return category }
        throw .unknownCategory(position: position, name: name, suggestion: closestCategory(to: name.lowercased()))
    }

    /// The category name within edit distance 2 of `name` (the first of the nearest), if any.
    static func closestCategory(to name: String) -> String? {
        var best: (String, Int)?
        for category in ShapeCategory.allCases {
            let distance = editDistance(Array(name), Array(category.name))
            if distance <= 2, distance < (best?.1 ?? .max) { best = (category.name, distance) }
        }
        return best?.0
    }

    /// Levenshtein distance between two character arrays.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0 ... b.count)
        for i in 1 ... a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1 ... b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start ... end])
    }
}
