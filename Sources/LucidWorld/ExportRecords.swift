import LucidSupport
/// The JSON records of the export files, one function per record shape.
enum ExportRecords {
    /// A line of `captions.jsonl`.
    static func caption(_ scene: Scene, _ text: SceneText) -> PythonJSON {
        .object([
            ("image_id", .int(scene.id)),
            ("image", .string(scene.fileName)),
            ("caption", .string(text.caption)),
            ("description", .string(text.description)),
            ("tail", .string(text.tail)),
            ("tail_objects", .array(text.tailObjects.map { .string($0.name) })),
            ("tail_hallucinated", .array(text.tailHallucinations.map { .string($0.name) })),
        ])
    }

    /// A line of `questions.jsonl`.
    static func question(_ scene: Scene, _ question: SceneQuestion, id: Int) -> PythonJSON {
        .object([
            ("question_id", .int(id)),
            ("image_id", .int(scene.id)),
            ("image", .string(scene.fileName)),
            ("type", .string(question.kind.rawValue)),
            ("category", question.category.map { .string($0.name) } ?? .null),
            ("question", .string(question.question)),
            ("answer", .string(question.answer)),
        ])
    }

    /// A line of a `pope_*.jsonl` file, exactly POPE's four keys.
    static func pope(_ item: POPEItem) -> PythonJSON {
        .object([
            ("question_id", .int(item.questionID)),
            ("image", .string(item.image)),
            ("text", .string(item.text)),
            ("label", .string(item.label)),
        ])
    }

    /// A line of `scenes.jsonl`: the full ground truth of one image at `size` pixels.
    static func scene(_ scene: Scene, size: Int) -> PythonJSON {
        let background = scene.background
        return .object([
            ("image_id", .int(scene.id)),
            ("image", .string(scene.fileName)),
            ("size", .int(size)),
            ("background", .object([
                ("style", .string(background.style.rawValue)),
                ("primary", .string(background.primary.name)),
                ("secondary", .string(background.secondary.name)),
                ("noise", .int(background.noise)),
                ("noise_seed", .string(String(background.noiseSeed))),
            ])),
            ("objects", .array(scene.objects.map { object in
                .object([
                    ("category", .string(object.category.name)),
                    ("color", .string(object.color.name)),
                    ("size", .string(object.size.name)),
                    ("cell", .string(object.cell.name)),
                    ("bbox", bbox(object.boundingBox(imageSize: size))),
                    ("frame", .array([.double(object.frame.centerX), .double(object.frame.centerY), .double(object.frame.side)])),
                ])
            })),
            ("text_seed", .string(String(scene.textSeed))),
        ])
    }

    /// An entry of `instances.json`'s `images`.
    static func cocoImage(_ scene: Scene, size: Int) -> PythonJSON {
        .object([("id", .int(scene.id)), ("file_name", .string(scene.fileName)), ("width", .int(size)), ("height", .int(size))])
    }

    /// An entry of `instances.json`'s `annotations`.
    static func cocoAnnotation(_ object: SceneObject, scene: Scene, id: Int, size: Int) -> PythonJSON {
        let box = object.boundingBox(imageSize: size)
        return .object([
            ("id", .int(id)),
            ("image_id", .int(scene.id)),
            ("category_id", .int(object.category.id)),
            ("bbox", bbox(box)),
            ("area", .double((box.area * 100).rounded() / 100)),
            ("iscrowd", .int(0)),
            ("color", .string(object.color.name)),
            ("size", .string(object.size.name)),
            ("cell", .string(object.cell.name)),
        ])
    }

    /// An entry of `instances.json`'s `categories`.
    static func cocoCategory(_ category: ShapeCategory) -> PythonJSON {
        .object([("id", .int(category.id)), ("name", .string(category.name)),
                 ("supercategory", .string(category.isHazard ? "hazard" : "object"))])
    }

    /// `world.json`: the configuration that produced the files.
    static func world(_ config: ShapesWorldConfig, scenes: Int, size: Int) -> PythonJSON {
        .object([
            ("generator", .string("LucidWorld ShapesWorld 1")),
            ("seed", .string(String(config.seed))),
            ("count", .int(scenes)),
            ("image_size", .int(size)),
            ("first_image_id", .int(config.firstImageID)),
            ("categories", .array(config.categories.map { .string($0.name) })),
            ("colors", .array(config.colors.map { .string($0.name) })),
            ("hazards", .array(config.hazards.map { .string($0.name) })),
            ("hazard_probability", .double(config.hazardProbability)),
            ("bias", .string(config.bias.description)),
            ("active_bias", .string(config.activeBiasPairs.map(\.description).joined(separator: ","))),
            ("objects_per_scene", .array([.int(config.objectsPerScene.lowerBound), .int(config.objectsPerScene.upperBound)])),
            ("duplicate_probability", .double(config.duplicateProbability)),
            ("tail_absent_mention_probability", .double(config.text.tailAbsentMentionProbability)),
            ("tail_present_mention_probability", .double(config.text.tailPresentMentionProbability)),
            ("existence_questions", .int(config.text.existenceQuestions)),
        ])
    }

    private static func bbox(_ box: BoundingBox) -> PythonJSON {
        .array([.double(box.x), .double(box.y), .double(box.width), .double(box.height)])
    }
}
