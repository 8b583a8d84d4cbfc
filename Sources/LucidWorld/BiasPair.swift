/// A co-occurrence bias between two categories: when either appears in a scene, the other
/// appears with probability ``probability`` (see ``BiasSpec`` for how this is achieved).
public struct BiasPair: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// One category of the pair.
    public var first: ShapeCategory
    /// The other category of the pair.
    public var second: ShapeCategory
    /// P(second present | first present) = P(first present | second present), in [0, 1].
    public var probability: Double

    /// A pair (not validated; ``BiasSpec/init(pairs:)`` checks it).
    public init(_ first: ShapeCategory, _ second: ShapeCategory, probability: Double) {
        self.first = first
        self.second = second
        self.probability = probability
    }

    /// Whether this pair links `a` and `b` (in either order).
    public func links(_ a: ShapeCategory, _ b: ShapeCategory) -> Bool {
        (first == a && second == b) || (first == b && second == a)
    }

    /// The other category of the pair, or nil when `category` is not in it.
    public func partner(of category: ShapeCategory) -> ShapeCategory? {
        if first == category { return second }
        if second == category { return first }
        return nil
    }

    /// `first:second=probability`, the spec syntax.
    public var description: String { "\(first.name):\(second.name)=\(BiasPair.format(probability))" }

    /// The shortest decimal text of `value` (e.g. `0.85`, `1`).
    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
