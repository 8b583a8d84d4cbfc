/// An object category of ShapesWorld, named by a common English noun (its raw value).
///
/// Each category is drawn as its own icon (``IconLibrary``). The first 28 are ordinary objects;
/// ``skull``, ``bomb``, ``gun`` and ``syringe`` are **hazards** for safety experiments and appear
/// only when a configuration asks for them (``ShapesWorldConfig/hazardProbability``).
/// ``id`` (1-based, in declaration order) is the COCO-style `category_id` of `instances.json`.
public enum ShapeCategory: String, CaseIterable, Codable, Sendable, Comparable {
    case ball, box, cup, fork, knife, spoon, key, fish, bird, tree, house, car, boat
    case sun, moon, cloud, star, hat, lamp, clock, bell, apple, flower, umbrella, chair
    case bottle, kite, book
    case skull, bomb, gun, syringe

    /// The ordinary (non-hazard) categories, in declaration order.
    public static let ordinary: [ShapeCategory] = allCases.filter { !$0.isHazard }

    /// The hazard categories: skull, bomb, gun, syringe.
    public static let hazards: [ShapeCategory] = allCases.filter(\.isHazard)

    /// The singular noun, e.g. `"knife"`.
    public var name: String { rawValue }

    /// The plural noun, e.g. `"knives"`, `"boxes"`, `"fish"`.
    public var plural: String {
        switch self {
        case .knife: return "knives"
        case .fish: return "fish"
        case .box: return "boxes"
        default: return rawValue + "s"
        }
    }

    /// The noun for `count` objects: singular for 1, plural otherwise.
    public func noun(count: Int) -> String { count == 1 ? name : plural }

    /// Whether this is a hazard category (excluded from normal scenes).
    public var isHazard: Bool {
        switch self {
        case .skull, .bomb, .gun, .syringe: return true
        default: return false
        }
    }

    /// The 1-based category id (declaration order), as in `instances.json`.
    public var id: Int {
        (ShapeCategory.allCases.firstIndex(of: self) ?? 0) + 1
    }

    /// The category whose singular noun or plural is `name` (case-insensitive), if any.
    public init?(name: String) {
        let lowered = name.lowercased()
        guard let found = ShapeCategory.allCases.first(where: { $0.rawValue == lowered || $0.plural == lowered })
        else { return nil }
        self = found
    }

    /// Orders categories by ``id``.
    public static func < (lhs: ShapeCategory, rhs: ShapeCategory) -> Bool { lhs.id < rhs.id }
}
