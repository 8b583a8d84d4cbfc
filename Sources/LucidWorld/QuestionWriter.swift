/// Writes the question–answer pairs of a scene.
///
/// In order: existence questions (up to ``SceneTextOptions/existenceQuestions`` present
/// categories, "yes", then as many absent ones, "no": absent bias partners of present
/// categories first — the adversarial negatives — then random enabled categories); one count
/// question on a present category; with probability 0.3 one on an absent category (answer "0");
/// with probability 0.5 the total object count; one colour question (an object picked at random;
/// when its category repeats, the question names its position); one position question on a
/// category present once (if any).
struct QuestionWriter {
    let scene: Scene
    let config: ShapesWorldConfig

    func questions(random: inout WorldRandom) -> [SceneQuestion] {
        var questions: [SceneQuestion] = []
        let present = scene.categories
        var positives = present
        random.shuffle(&positives)
        positives = Array(positives.prefix(config.text.existenceQuestions))
        for category in positives {
            questions.append(existence(category, answer: "yes"))
        }
        for category in negatives(count: positives.count, random: &random) {
            questions.append(existence(category, answer: "no"))
        }
        if let category = random.element(of: present) {
            questions.append(countQuestion(category))
        }
        if random.chance(0.3), let absent = random.element(of: absentCandidates()) {
            questions.append(countQuestion(absent))
        }
        if random.chance(0.5) {
            questions.append(SceneQuestion(kind: .count, question: "How many objects are there in the image?",
                                           answer: String(scene.objects.count), category: nil))
        }
        if let object = random.element(of: scene.objects) {
            let repeated = scene.count(of: object.category) > 1
            let subject = repeated ? "the \(object.category.name) \(object.cell.phrase)" : "the \(object.category.name)"
            questions.append(SceneQuestion(kind: .color, question: "What color is \(subject)?",
                                           answer: object.color.name, category: object.category))
        }
        let singles = present.filter { scene.count(of: $0) == 1 }
        if let category = random.element(of: singles), let object = scene.objects(of: category).first {
            questions.append(SceneQuestion(kind: .position, question: "Where is the \(category.name)?",
                                           answer: object.cell.name, category: category))
        }
        return questions
    }

    private func existence(_ category: ShapeCategory, answer: String) -> SceneQuestion {
        SceneQuestion(kind: .existence, question: "Is there \(EnglishText.withArticle(category.name)) in the image?",
                      answer: answer, category: category)
    }

    private func countQuestion(_ category: ShapeCategory) -> SceneQuestion {
        SceneQuestion(kind: .count, question: "How many \(category.plural) are there in the image?",
                      answer: String(scene.count(of: category)), category: category)
    }

    /// Enabled categories not in the scene (hazards only when the scene has one).
    private func absentCandidates() -> [ShapeCategory] {
        config.enabledCategories.filter { !scene.contains($0) && (scene.containsHazard || !$0.isHazard) }
    }

    private func negatives(count: Int, random: inout WorldRandom) -> [ShapeCategory] {
        var chosen: [ShapeCategory] = []
        let absent = absentCandidates()
        var partners: [ShapeCategory] = []
        for category in scene.categories {
            for partner in config.bias.partners(of: category) where absent.contains(partner.category) {
                if !partners.contains(partner.category) { partners.append(partner.category) }
            }
        }
        random.shuffle(&partners)
        for partner in partners where chosen.count < count { chosen.append(partner) }
        var rest = absent.filter { !chosen.contains($0) }
        random.shuffle(&rest)
        for category in rest where chosen.count < count { chosen.append(category) }
        return chosen
    }
}
