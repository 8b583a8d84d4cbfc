import Foundation
import LucidVision
import Testing
@testable import LucidWorld

struct ExportTests {
    let config = ShapesWorldConfig(seed: 21, count: 30, imageSize: 64, firstImageID: 500, hazardProbability: 0.1)

    private func export(threads: Int? = nil) throws -> (URL, [Scene], ShapesWorldExporter.Summary, [ShapesWorldExporter.Progress]) {
        let directory = try TestSupport.temporaryDirectory("export")
        let scenes = try ShapesWorld.generate(config)
        var reports: [ShapesWorldExporter.Progress] = []
        let summary = try ShapesWorldExporter.export(scenes, config: config, to: directory,
                                                     options: ShapesWorldExporter.Options(threads: threads)) { reports.append($0) }
        return (directory, scenes, summary, reports)
    }

    @Test func writesEveryFileAndReportsProgress() throws {
        let (directory, scenes, summary, reports) = try export()
        defer { try? FileManager.default.removeItem(at: directory) }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names == ["captions.jsonl", "images", "instances.json", "objects.json", "pope_adversarial.jsonl",
                          "pope_popular.jsonl", "pope_random.jsonl", "questions.jsonl", "scenes.jsonl",
                          "vocabulary.txt", "world.json"], "no temporary files are left behind")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/images").count == scenes.count)
        #expect(reports.map(\.completed) == Array(1 ... scenes.count))
        #expect(reports.allSatisfy { $0.total == scenes.count })
        #expect(summary.images == scenes.count && summary.objects == scenes.flatMap(\.objects).count)
    }

    @Test func imagesDecodeToTheRenderedScenes() throws {
        let (directory, scenes, _, _) = try export()
        defer { try? FileManager.default.removeItem(at: directory) }
        for scene in scenes.prefix(5) {
            let decoded = try ImageDecoder.decode(path: directory.path + "/images/\(scene.fileName)")
            #expect(decoded == (try SceneRenderer.render(scene)))
        }
    }

    @Test func objectsJSONMatchesTheScenes() throws {
        let (directory, scenes, _, _) = try export()
        defer { try? FileManager.default.removeItem(at: directory) }
        let objects = try TestSupport.jsonObject(directory.appendingPathComponent("objects.json"))
        #expect(objects.count == scenes.count)
        for scene in scenes {
            #expect(objects[scene.imageID] as? [String] == scene.categories.map(\.name))
        }
    }

    @Test func instancesJSONIsCOCOStyleWithBoxesInsideTheImage() throws {
        let (directory, scenes, _, _) = try export()
        defer { try? FileManager.default.removeItem(at: directory) }
        let instances = try TestSupport.jsonObject(directory.appendingPathComponent("instances.json"))
        let images = instances["images"] as? [[String: Any]] ?? []
        let annotations = instances["annotations"] as? [[String: Any]] ?? []
        let categories = instances["categories"] as? [[String: Any]] ?? []
        #expect(images.count == scenes.count)
        #expect(images.first?["file_name"] as? String == "500.png" && images.first?["width"] as? Int == 64)
        #expect(categories.count == ShapeCategory.allCases.count)
        let names = Dictionary(uniqueKeysWithValues: categories.compactMap { entry -> (Int, String)? in
            guard let id = entry["id"] as? Int, let name = entry["name"] as? String else { return nil }
            return (id, name)
        })
        #expect(annotations.count == scenes.flatMap(\.objects).count)
        #expect(Set(annotations.compactMap { $0["id"] as? Int }).count == annotations.count)
        var perImage: [Int: [String]] = [:]
        for annotation in annotations {
            let box = annotation["bbox"] as? [Double] ?? []
            #expect(box.count == 4)
            if box.count == 4 {
                #expect(box[0] >= 0 && box[1] >= 0 && box[2] > 0 && box[3] > 0 && box[0] + box[2] <= 64 && box[1] + box[3] <= 64)
            }
            if let image = annotation["image_id"] as? Int, let category = annotation["category_id"] as? Int, let name = names[category] {
                perImage[image, default: []].append(name)
            }
        }
        for scene in scenes {
            #expect(perImage[scene.id, default: []] == scene.objects.map(\.category.name))
        }
    }

    @Test func captionsAndQuestionsParseBack() throws {
        let (directory, scenes, summary, _) = try export()
        defer { try? FileManager.default.removeItem(at: directory) }
        let captions = try TestSupport.jsonLines(directory.appendingPathComponent("captions.jsonl"))
        #expect(captions.count == scenes.count)
        for (line, scene) in zip(captions, scenes) {
            let text = SceneText(scene: scene, config: config)
            #expect(line["image_id"] as? Int == scene.id)
            #expect(line["caption"] as? String == text.caption)
            #expect(line["description"] as? String == text.description)
            #expect(line["tail_objects"] as? [String] == text.tailObjects.map(\.name))
            #expect(line["tail_hallucinated"] as? [String] == text.tailHallucinations.map(\.name))
        }
        let questions = try TestSupport.jsonLines(directory.appendingPathComponent("questions.jsonl"))
        #expect(questions.count == summary.questions)
        #expect(questions.compactMap { $0["question_id"] as? Int } == Array(1 ... questions.count))
        let scenesJSONL = try TestSupport.jsonLines(directory.appendingPathComponent("scenes.jsonl"))
        #expect(scenesJSONL.compactMap { $0["image_id"] as? Int } == scenes.map(\.id))
        let world = try TestSupport.jsonObject(directory.appendingPathComponent("world.json"))
        #expect(world["bias"] as? String == config.bias.description && world["seed"] as? String == "21")
        let vocabulary = try String(contentsOf: directory.appendingPathComponent("vocabulary.txt"), encoding: .utf8)
        #expect(vocabulary == ShapesWorldVocabulary().synonymsText)
    }

    @Test func popeFilesAreBalancedAndTruthful() throws {
        let (directory, scenes, summary, _) = try export()
        defer { try? FileManager.default.removeItem(at: directory) }
        let byFile = Dictionary(uniqueKeysWithValues: scenes.map { ($0.fileName, $0) })
        for strategy in POPESampler.Strategy.allCases {
            let lines = try TestSupport.jsonLines(directory.appendingPathComponent("pope_\(strategy.rawValue).jsonl"))
            #expect(lines.count == summary.popeQuestions[strategy])
            #expect(lines.allSatisfy { Set($0.keys) == ["question_id", "image", "text", "label"] })
            #expect(lines.filter { $0["label"] as? String == "yes" }.count == lines.filter { $0["label"] as? String == "no" }.count)
            for line in lines {
                guard let image = line["image"] as? String, let scene = byFile[image], let text = line["text"] as? String,
                      let category = ShapesWorldVocabulary().mentions(in: text).first else {
                    Issue.record("bad POPE line \(line)")
                    continue
                }
                #expect((line["label"] as? String) == (scene.contains(category) ? "yes" : "no"))
            }
        }
    }

    @Test func exportsAreByteIdenticalAcrossRunsAndThreadCounts() throws {
        let (first, _, _, _) = try export(threads: 1)
        let (second, _, _, _) = try export(threads: 3)
        defer {
            try? FileManager.default.removeItem(at: first)
            try? FileManager.default.removeItem(at: second)
        }
        let files = ["captions.jsonl", "instances.json", "objects.json", "pope_adversarial.jsonl", "questions.jsonl",
                     "scenes.jsonl", "world.json", "images/500.png", "images/529.png"]
        for file in files {
            #expect(try Data(contentsOf: first.appendingPathComponent(file)) == Data(contentsOf: second.appendingPathComponent(file)),
                    "\(file) differs")
        }
    }

    @Test func anotherImageSizeRescalesTheBoxes() throws {
        let directory = try TestSupport.temporaryDirectory("resize")
        defer { try? FileManager.default.removeItem(at: directory) }
        let scenes = try ShapesWorld.generate(ShapesWorldConfig(seed: 1, count: 3, imageSize: 224))
        try ShapesWorldExporter.export(scenes, to: directory, options: ShapesWorldExporter.Options(imageSize: 96))
        let image = try ImageDecoder.decode(path: directory.path + "/images/1.png")
        #expect(image.width == 96)
        let instances = try TestSupport.jsonObject(directory.appendingPathComponent("instances.json"))
        let boxes = (instances["annotations"] as? [[String: Any]] ?? []).compactMap { $0["bbox"] as? [Double] }
        #expect(boxes.count == scenes.flatMap(\.objects).count)
        #expect(boxes.allSatisfy { $0[0] + $0[2] <= 96 && $0[1] + $0[3] <= 96 })
    }

    @Test func unwritableDestinationsThrowCannotWrite() throws {
        let directory = try TestSupport.temporaryDirectory("blocked")
        defer { try? FileManager.default.removeItem(at: directory) }
        let blocker = directory.appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        #expect(throws: ShapesWorldError.self) {
            try ShapesWorldExporter.export(ShapesWorld.generate(TestSupport.smallConfig(count: 1)), to: blocker)
        }
    }
}
