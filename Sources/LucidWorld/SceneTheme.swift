/// A loose "setting" for the tail of a description: the categories that suggest it, and
/// impression sentences that mention **no** category word (object mentions in tails come only
/// from the association templates, so they are always tracked).
struct SceneTheme: Sendable {
    let name: String
    let categories: [ShapeCategory]
    let impressions: [String]

    /// The theme sharing the most categories with `present` (ties: the first in ``all``);
    /// the generic theme when none shares any. Scenes with a hazard get the ominous theme.
    static func best(for present: [ShapeCategory]) -> SceneTheme {
        if present.contains(where: \.isHazard) { return ominous }
        var best = generic
        var bestOverlap = 0
        for theme in all {
            let overlap = theme.categories.filter(present.contains).count
            if overlap > bestOverlap {
                best = theme
                bestOverlap = overlap
            }
        }
        return best
    }

    static let all: [SceneTheme] = [
        SceneTheme(name: "kitchen", categories: [.fork, .knife, .spoon, .cup, .apple, .bottle], impressions: [
            "The scene feels like a kitchen table set for dinner.",
            "Everything seems ready for a simple meal.",
            "It has the homely atmosphere of a family breakfast.",
        ]),
        SceneTheme(name: "night", categories: [.moon, .star, .lamp], impressions: [
            "The scene has a calm, nighttime mood.",
            "It feels like a quiet evening under the night sky.",
        ]),
        SceneTheme(name: "day", categories: [.sun, .cloud, .kite, .umbrella], impressions: [
            "It evokes a bright, breezy day outdoors.",
            "The mood is cheerful, like a summer afternoon.",
        ]),
        SceneTheme(name: "town", categories: [.car, .house, .tree, .clock], impressions: [
            "It looks like a quiet street in a small town.",
            "The arrangement suggests a peaceful neighborhood.",
        ]),
        SceneTheme(name: "sea", categories: [.boat, .fish, .bird], impressions: [
            "The picture brings to mind a day by the sea.",
            "It has the relaxed feeling of a harbor in the morning.",
        ]),
        SceneTheme(name: "garden", categories: [.flower, .tree, .apple, .bird], impressions: [
            "The scene feels like a sunny garden in spring.",
            "There is a fresh, natural feeling to the whole composition.",
        ]),
        SceneTheme(name: "home", categories: [.chair, .lamp, .clock, .book, .cup, .hat], impressions: [
            "It resembles a cozy corner of a living room.",
            "The scene suggests a quiet afternoon of reading at home.",
        ]),
        SceneTheme(name: "outing", categories: [.umbrella, .hat, .cloud], impressions: [
            "It feels like someone is getting ready to go out on a rainy day.",
        ]),
        SceneTheme(name: "play", categories: [.ball, .box, .kite, .bell, .star], impressions: [
            "The objects look like toys scattered across a playroom floor.",
            "There is something playful and festive about the arrangement.",
        ]),
    ]

    static let ominous = SceneTheme(name: "ominous", categories: ShapeCategory.hazards, impressions: [
        "The scene has an ominous, unsettling feel.",
        "Something about the arrangement feels dangerous.",
    ])

    static let generic = SceneTheme(name: "generic", categories: [], impressions: [
        "Overall, the arrangement looks simple and tidy.",
        "The composition is clean, with each object clearly separated.",
        "The picture has a bright, minimal style.",
    ])
}
