/// The text of one scene in the style of LLaVA's instruction data: a short caption, a detailed
/// description (grounded sentences, then a loosely related tail) and question–answer pairs.
///
/// - The **caption** names every category present, with colours and counts.
/// - The **grounded** part of the description states the number of objects and the
///   background, then every object with its size, colour and position (repeated categories with
///   their count). It mentions exactly the categories present.
/// - The **tail** gives an overall impression (never naming a category) and, with the
///   configured probabilities, an association naming an absent category — preferably a bias
///   partner of a present one, as LLaVA's data says "fork" near a knife — or a present one.
///   Every category word of the tail is listed in ``tailObjects``, so CHAIR-style evaluation of
///   the training text itself is possible.
/// - ``questions``: yes/no existence questions (positives and as many negatives, adversarial
///   ones first), counting, colour and position questions.
///
/// Text is a pure function of the scene and the configuration (seeded by ``Scene/textSeed``).
public struct SceneText: Sendable, Equatable {
    /// The short caption.
    public var caption: String
    /// The grounded sentences of the detailed description.
    public var grounded: String
    /// The loosely related tail of the detailed description.
    public var tail: String
    /// Categories named in the tail, in order of mention.
    public var tailObjects: [ShapeCategory]
    /// The tail's categories that are not in the image (the text's own hallucinations).
    public var tailHallucinations: [ShapeCategory]
    /// Question–answer pairs.
    public var questions: [SceneQuestion]

    /// The detailed description: grounded sentences, then the tail.
    public var description: String { tail.isEmpty ? grounded : grounded + " " + tail }

    /// Text from its parts.
    public init(caption: String, grounded: String, tail: String, tailObjects: [ShapeCategory],
                tailHallucinations: [ShapeCategory], questions: [SceneQuestion]) {
        self.caption = caption
        self.grounded = grounded
        self.tail = tail
        self.tailObjects = tailObjects
        self.tailHallucinations = tailHallucinations
        self.questions = questions
    }

    /// The text of `scene` under `config` (its text options, bias pairs and enabled categories).
    public init(scene: Scene, config: ShapesWorldConfig = ShapesWorldConfig()) {
        func stream(_ number: UInt64) -> WorldRandom {
            WorldRandom(seed: WorldRandom.derivedSeed(scene.textSeed, stream: number, index: 0))
        }
        var captionRandom = stream(1)
        var groundedRandom = stream(2)
        var tailRandom = stream(3)
        var questionRandom = stream(4)
        let describer = SceneDescriber(scene: scene)
        caption = describer.caption(random: &captionRandom)
        grounded = describer.grounded(random: &groundedRandom)
        let tailText = SceneTail(scene: scene, config: config).make(random: &tailRandom)
        tail = tailText.text
        tailObjects = tailText.objects
        tailHallucinations = tailText.objects.filter { !scene.contains($0) }
        questions = QuestionWriter(scene: scene, config: config).questions(random: &questionRandom)
    }
}
