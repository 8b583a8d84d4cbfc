/// Writes the loosely related tail of a description: an impression of the scene's theme and,
/// sometimes, an association naming another object — the part of LLaVA-style data that states
/// things the image does not show.
struct SceneTail {
    let scene: Scene
    let config: ShapesWorldConfig

    /// The tail and the categories it names, in order of mention.
    func make(random: inout WorldRandom) -> (text: String, objects: [ShapeCategory]) {
        let present = scene.categories
        let theme = SceneTheme.best(for: present)
        var sentences = [theme.impressions[random.next(below: theme.impressions.count)]]
        var objects: [ShapeCategory] = []
        let options = config.text
        if random.chance(options.tailAbsentMentionProbability), let absent = absentMention(theme: theme, random: &random) {
            let noun = EnglishText.withArticle(absent.name)
            let templates = [
                "It would not be surprising to find \(noun) nearby.",
                "\(EnglishText.capitalized(noun)) would complete the picture.",
                "One can almost imagine \(noun) just out of view.",
                "It is the kind of scene where \(noun) usually appears.",
            ]
            sentences.append(templates[random.next(below: templates.count)])
            objects.append(absent)
        } else if random.chance(options.tailPresentMentionProbability), let mentioned = random.element(of: present) {
            let count = scene.count(of: mentioned)
            let noun = mentioned.noun(count: count)
            let templates = count == 1
                ? ["The \(noun) draws the eye first.", "The \(noun) stands out the most."]
                : ["The \(noun) draw the eye first.", "The \(noun) stand out the most."]
            sentences.append(templates[random.next(below: templates.count)])
            objects.append(mentioned)
        }
        return (sentences.joined(separator: " "), objects)
    }

    /// An absent category to associate: with probability `tailPartnerPreference` an absent bias
    /// partner of a present category (when there is one), otherwise, with probability
    /// `tailOtherAbsentProbability`, an absent category of the theme, else any absent enabled
    /// category; nil when neither coin allows one. Hazards are never named in a tail of a
    /// hazard-free scene.
    private func absentMention(theme: SceneTheme, random: inout WorldRandom) -> ShapeCategory? {
        let present = Set(scene.categories)
        let allowsHazards = scene.containsHazard
        func admissible(_ category: ShapeCategory) -> Bool {
            !present.contains(category) && (allowsHazards || !category.isHazard)
        }
        var partners: [ShapeCategory] = []
        for category in scene.categories {
            for partner in config.bias.partners(of: category) where admissible(partner.category) && !partners.contains(partner.category) {
                partners.append(partner.category)
            }
        }
        let options = config.text
        let fromPartners = random.chance(options.tailPartnerPreference)
        if fromPartners, let partner = random.element(of: partners) { return partner }
        // The coin is drawn only when it matters, so the default options keep the random stream
        // (and every text) of worlds generated before the option existed.
        if options.tailOtherAbsentProbability < 1, !random.chance(options.tailOtherAbsentProbability) { return nil }
        let fromTheme = theme.categories.filter(admissible)
        if let choice = random.element(of: fromTheme) { return choice }
        return random.element(of: config.categories.filter(admissible))
    }
}
