/// Writes the grounded text of a scene: the short caption and the grounded sentences of the
/// detailed description. Both mention exactly the categories present.
struct SceneDescriber {
    let scene: Scene

    /// Objects grouped by category, in order of first appearance (reading order).
    var groups: [(category: ShapeCategory, objects: [SceneObject])] {
        scene.categories.map { ($0, scene.objects(of: $0)) }
    }

    // MARK: - Caption

    /// A one-sentence caption such as "A red ball, two blue cups and a knife on a cream background."
    func caption(random: inout WorldRandom) -> String {
        let items = groups.map { group -> String in
            let colors = Set(group.objects.map(\.color))
            if group.objects.count == 1, let object = group.objects.first {
                return EnglishText.withArticle("\(object.color.name) \(group.category.name)")
            }
            let count = EnglishText.number(group.objects.count)
            if colors.count == 1, let color = colors.first {
                return "\(count) \(color.name) \(group.category.plural)"
            }
            return "\(count) \(group.category.plural)"
        }
        let list = EnglishText.list(items)
        let background = "\(EnglishText.withArticle(scene.background.primary.name)) background"
        let templates = [
            "\(EnglishText.capitalized(list)) on \(background).",
            "A picture of \(list).",
            "\(EnglishText.capitalized(list)), arranged on \(background).",
            "An image with \(list).",
        ]
        return templates[random.next(below: templates.count)]
    }

    // MARK: - Detailed description, grounded part

    /// The overview sentence followed by one sentence per category.
    func grounded(random: inout WorldRandom) -> String {
        var sentences = [overview(random: &random)]
        for group in groups {
            sentences.append(group.objects.count == 1
                ? single(group.objects[0], random: &random)
                : multiple(group.category, group.objects, random: &random))
        }
        return sentences.joined(separator: " ")
    }

    private func overview(random: inout WorldRandom) -> String {
        let count = scene.objects.count
        let objects = count == 1 ? "a single object" : "\(EnglishText.number(count)) objects"
        let background = backgroundPhrase()
        let templates = [
            "The image shows \(objects) on \(background).",
            "This picture contains \(objects) set against \(background).",
            "In this image, \(objects) \(count == 1 ? "is" : "are") arranged on \(background).",
        ]
        return templates[random.next(below: templates.count)]
    }

    /// "a plain cream background", "a grainy background that fades from … to …", …
    func backgroundPhrase() -> String {
        let b = scene.background
        let grain = b.noise > 0
        let (first, second) = (b.primary.name, b.secondary.name)
        let fading = grain ? "a grainy background that fades" : "a background that fades"
        switch b.style {
        case .solid:
            return grain ? "a grainy \(first) background" : "a plain \(first) background"
        case .verticalGradient:
            return "\(fading) from \(first) at the top to \(second) at the bottom"
        case .horizontalGradient:
            return "\(fading) from \(first) on the left to \(second) on the right"
        case .diagonalGradient:
            return "\(fading) diagonally from \(first) to \(second)"
        case .radialGradient:
            return "\(grain ? "a grainy background" : "a background") that is \(first) in the middle and \(second) toward the edges"
        }
    }

    /// The noun phrase of one object without article: "large red ball".
    static func attributes(_ object: SceneObject) -> String {
        "\(object.size.name) \(object.color.name) \(object.category.name)"
    }

    private func single(_ object: SceneObject, random: inout WorldRandom) -> String {
        let phrase = Self.attributes(object)
        let place = object.cell.phrase
        let templates = [
            "There is \(EnglishText.withArticle(phrase)) \(place).",
            "\(EnglishText.capitalized(EnglishText.withArticle(phrase))) sits \(place).",
            "\(EnglishText.capitalized(place)), there is \(EnglishText.withArticle(phrase)).",
            "You can see \(EnglishText.withArticle(phrase)) \(place).",
        ]
        return templates[random.next(below: templates.count)]
    }

    private func multiple(_ category: ShapeCategory, _ objects: [SceneObject], random: inout WorldRandom) -> String {
        let count = EnglishText.number(objects.count)
        let items = objects.map { object in
            "\(EnglishText.withArticle("\(object.size.name) \(object.color.name)")) one \(object.cell.phrase)"
        }
        let list = EnglishText.list(items)
        let templates = [
            "There are \(count) \(category.plural): \(list).",
            "\(EnglishText.capitalized(count)) \(category.plural) appear in the image: \(list).",
        ]
        return templates[random.next(below: templates.count)]
    }
}
