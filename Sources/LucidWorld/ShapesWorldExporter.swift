import Foundation
import LucidSupport
import LucidVision

/// Writes a ShapesWorld data set to a directory:
///
/// - `images/<image_id>.png` — the rendered scenes (each written atomically);
/// - `objects.json` — `{"<image_id>": ["knife", "fork", …]}`, CHAIR's object-list format (category
///   nouns, distinct, in reading order; see ``ShapesWorldVocabulary`` for the vocabulary);
/// - `instances.json` — COCO style: `images`, `annotations` (`category_id`, `bbox` `[x, y, w, h]`
///   in pixels, `area`, `iscrowd`, plus `color`, `size`, `cell`), `categories` (all 32 categories,
///   supercategory `object` or `hazard`);
/// - `captions.jsonl` — per image `image_id`, `image`, `caption`, `description`, `tail`,
///   `tail_objects`, `tail_hallucinated`;
/// - `questions.jsonl` — per question `question_id`, `image_id`, `image`, `type`, `category`,
///   `question`, `answer`;
/// - `pope_random.jsonl`, `pope_popular.jsonl`, `pope_adversarial.jsonl` — POPE's format;
/// - `scenes.jsonl` — the full ground truth (background, frames, seeds);
/// - `vocabulary.txt` — ``ShapesWorldVocabulary/synonymsText``;
/// - `world.json` — the configuration.
///
/// Text files are written to hidden temporary files and renamed into place when complete, so an
/// interrupted export never leaves a truncated annotation file (images already written stay).
/// Files of an earlier export into the same directory are replaced when their names recur;
/// images with other ids are left in place.
/// `image_id` is the scene's integer id: a JSON integer in records, its decimal text as the key
/// of `objects.json` and the stem of the image file.
public enum ShapesWorldExporter {
    /// Generates the scenes of `config` and exports them.
    @discardableResult
    public static func export(config: ShapesWorldConfig, to directory: URL, options: Options = Options(),
                              progress: (Progress) -> Void = { _ in }) throws(ShapesWorldError) -> Summary {
        try export(ShapesWorld.generate(config), config: config, to: directory, options: options, progress: progress)
    }

    /// Exports `scenes`; `config` supplies the text options, bias pairs and enabled categories
    /// for the text, and the contents of `world.json` (pass the configuration that generated them).
    @discardableResult
    public static func export(_ scenes: [Scene], config: ShapesWorldConfig = ShapesWorldConfig(), to directory: URL,
                              options: Options = Options(),
                              progress: (Progress) -> Void = { _ in }) throws(ShapesWorldError) -> Summary {
        try config.text.validate()
        if let size = options.imageSize, !(SceneRenderer.minimumSize ... SceneRenderer.maximumSize).contains(size) {
            throw .invalidConfig("image size \(size) is outside \(SceneRenderer.minimumSize)...\(SceneRenderer.maximumSize)")
        }
        guard Set(scenes.map(\.id)).count == scenes.count else { throw .invalidConfig("scene ids repeat") }
        let root = directory.path
        let images = root + "/images"
        do {
            try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        } catch {
            throw .cannotWrite(path: images, reason: "cannot create directory: \(error)")
        }
        let captions = try AtomicTextFile(path: root + "/captions.jsonl")
        let questions = try AtomicTextFile(path: root + "/questions.jsonl")
        let sceneLines = try AtomicTextFile(path: root + "/scenes.jsonl")
        var objectLines: [String] = []
        var cocoImages: [String] = []
        var cocoAnnotations: [String] = []
        var questionCount = 0
        var objectCount = 0
        let threads = max(1, options.threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let batchSize = threads == 1 ? 1 : 8 * threads
        for (index, scene) in scenes.enumerated() {
            let size = options.imageSize ?? scene.imageSize
            if options.writeImages, index % batchSize == 0 {
                try writeImages(scenes[index ..< min(index + batchSize, scenes.count)], directory: images,
                                size: options.imageSize, threads: threads)
            }
            let text = SceneText(scene: scene, config: config)
            try captions.writeLine(ExportRecords.caption(scene, text).text)
            for question in text.questions {
                questionCount += 1
                try questions.writeLine(ExportRecords.question(scene, question, id: questionCount).text)
            }
            try sceneLines.writeLine(ExportRecords.scene(scene, size: size).text)
            var entry = ""
            JSONString.append(scene.imageID, to: &entry, escaping: .ascii)
            objectLines.append(entry + ": " + PythonJSON.array(scene.categories.map { .string($0.name) }).text)
            cocoImages.append(ExportRecords.cocoImage(scene, size: size).text)
            for object in scene.objects {
                objectCount += 1
                cocoAnnotations.append(ExportRecords.cocoAnnotation(object, scene: scene, id: objectCount, size: size).text)
            }
            progress(Progress(completed: index + 1, total: scenes.count))
        }
        var popeCounts: [POPESampler.Strategy: Int] = [:]
        for strategy in POPESampler.Strategy.allCases {
            let items = options.pope.build(scenes, strategy: strategy)
            popeCounts[strategy] = items.count
            let file = try AtomicTextFile(path: root + "/pope_\(strategy.rawValue).jsonl")
            for item in items { try file.writeLine(ExportRecords.pope(item).text) }
            try file.commit()
        }
        try AtomicTextFile.write(block(objectLines, open: "{", close: "}") + "\n", to: root + "/objects.json")
        let categories = ShapeCategory.allCases.map { ExportRecords.cocoCategory($0).text }
        let info = PythonJSON.object([("description", .string("ShapesWorld (LucidWorld)")), ("version", .string("1"))])
        try AtomicTextFile.write(
            "{\"info\": \(info.text),\n\"images\": \(block(cocoImages, open: "[", close: "]")),\n"
                + "\"annotations\": \(block(cocoAnnotations, open: "[", close: "]")),\n"
                + "\"categories\": \(block(categories, open: "[", close: "]"))}\n",
            to: root + "/instances.json")
        try AtomicTextFile.write(ShapesWorldVocabulary().synonymsText, to: root + "/vocabulary.txt")
        let size = options.imageSize ?? scenes.first?.imageSize ?? config.imageSize
        try AtomicTextFile.write(ExportRecords.world(config, scenes: scenes.count, size: size).text + "\n",
                                 to: root + "/world.json")
        try captions.commit()
        try questions.commit()
        try sceneLines.commit()
        return Summary(images: options.writeImages ? scenes.count : 0, objects: objectCount,
                             questions: questionCount, popeQuestions: popeCounts)
    }

    /// Renders and writes the PNGs of `batch`, `threads` at a time; throws the first error (in
    /// scene order) after the batch.
    private static func writeImages(_ batch: ArraySlice<Scene>, directory: String, size: Int?,
                                    threads: Int) throws(ShapesWorldError) {
        let scenes = Array(batch)
        let errors = ErrorSlots(count: scenes.count)
        let work: @Sendable (Int) -> Void = { index in
            let scene = scenes[index]
            let path = directory + "/" + scene.fileName
            do {
                let image = try SceneRenderer.render(scene, size: size ?? scene.imageSize)
                try ImageEncoder.writePNG(image, to: path)
            } catch let error as ShapesWorldError {
                errors.set(index, error)
            } catch {
                errors.set(index, .cannotWrite(path: path, reason: "\(error)"))
            }
        }
        if threads == 1 || scenes.count == 1 {
            for index in scenes.indices { work(index) }
        } else {
            DispatchQueue.concurrentPerform(iterations: scenes.count, execute: work)
        }
        if let error = errors.first { throw error }
    }

    /// `open`, the entries one per line separated by commas, `close`.
    private static func block(_ entries: [String], open: String, close: String) -> String {
        entries.isEmpty ? open + close : open + "\n" + entries.joined(separator: ",\n") + "\n" + close
    }
}

/// One error slot per image of a batch, filled from worker threads under a lock.
private final class ErrorSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [ShapesWorldError?]

    init(count: Int) {
        slots = [ShapesWorldError?](repeating: nil, count: count)
    }

    func set(_ index: Int, _ error: ShapesWorldError) {
        lock.lock()
        defer { lock.unlock() }
        slots[index] = error
    }

    /// The error of the lowest index, if any.
    var first: ShapesWorldError? {
        lock.lock()
        defer { lock.unlock() }
        return slots.compactMap { $0 }.first
    }
}
