import Foundation
import LucidFiles
import LucidModels
import LucidOrganisms
import LucidSupport
import LucidTensor
import LucidWorld

/// Labelled images from a folder: `labels.jsonl` ({"image": FILE, "category": "benign" | hazard}) or a
/// `lucid world generate` export (scenes.jsonl; a scene's category is its first hazard, else benign).
public struct LabelledImageFolder {
    /// Normalised pixel values [N, 3, S, S].
    public let pixels: Tensor
    /// Category index per image (`QMLLMCalibration.categories`; 0: benign).
    public let labels: [Int]
    /// Each image's side and its hazards' boxes, where the folder says where they are (ShapesWorld
    /// scenes; nil for labels.jsonl), for `--token-labels cells`.
    public let hazards: [(imageSize: Double, hazards: [QMLLMTokenLabels.Hazard])]?

    /// Per-token categories on a `grid` × `grid` patch grid (`QMLLMTokenLabels`), nil without hazard boxes.
    public func tokenLabels(grid: Int, mergeHarmful: Bool) -> [[Int]]? {
        hazards?.map { QMLLMTokenLabels.labels(hazards: $0.hazards, imageSize: $0.imageSize, grid: grid, mergeHarmful: mergeHarmful) }
    }

    /// Reads `directory`; pixels as the LLaVA model opened from `modelDirectory` sees them.
    public init(directory: String, model: LlavaForConditionalGeneration, modelDirectory: String) throws {
        let base = URL(fileURLWithPath: directory)
        var entries: [(path: String, category: String)] = []
        var boxes: [(imageSize: Double, hazards: [QMLLMTokenLabels.Hazard])] = []
        let labelsURL = base.appendingPathComponent("labels.jsonl")
        let scenesURL = base.appendingPathComponent("scenes.jsonl")
        func lines(_ url: URL) throws -> [[String: Any]] {
            let text = try SafeFile.readText(url.path)
            return try text.split(separator: "\n").enumerated().map { number, line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw LabelledImagesError("\(url.path):\(number + 1): not a JSON object")
                }
                return object
            }
        }
        if FileManager.default.fileExists(atPath: labelsURL.path) {
            for (number, object) in try lines(labelsURL).enumerated() {
                guard let image = object["image"] as? String, let category = object["category"] as? String else {
                    throw LabelledImagesError("\(labelsURL.path):\(number + 1): needs string fields \"image\" and \"category\"")
                }
                entries.append((base.appendingPathComponent(image).path, category))
            }
        } else if FileManager.default.fileExists(atPath: scenesURL.path) {
            for (number, object) in try lines(scenesURL).enumerated() {
                guard let image = object["image"] as? String, let objects = object["objects"] as? [[String: Any]] else {
                    throw LabelledImagesError("\(scenesURL.path):\(number + 1): needs \"image\" and \"objects\"")
                }
                let hazards = Set(ShapeCategory.hazards.map(\.name))
                let hazard = objects.compactMap { $0["category"] as? String }.first { hazards.contains($0) }
                entries.append((base.appendingPathComponent("images").appendingPathComponent(image).path, hazard ?? "benign"))
                var found: [QMLLMTokenLabels.Hazard] = []
                for item in objects {
                    guard let name = item["category"] as? String, hazards.contains(name) else { continue }
                    guard let box = item["bbox"] as? [Double], box.count == 4, box.allSatisfy(\.isFinite),
                          let category = QMLLMCalibration.categories.firstIndex(of: name) else {
                        throw LabelledImagesError("\(scenesURL.path):\(number + 1): a hazard needs \"bbox\": [x, y, width, height]")
                    }
                    found.append(QMLLMTokenLabels.Hazard(category: category, box: BoundingBox(x: box[0], y: box[1], width: box[2], height: box[3])))
                }
                guard let size = object["size"] as? Int, (1...65536).contains(size) else {
                    throw LabelledImagesError("\(scenesURL.path):\(number + 1): needs \"size\", the image side in pixels")
                }
                boxes.append((Double(size), found))
            }
        } else {
            throw LabelledImagesError("\(directory): expected labels.jsonl ({\"image\": …, \"category\": …} per line) or a `lucid world generate` export")
        }
        guard !entries.isEmpty else { throw LabelledImagesError("\(directory): no labelled images") }
        var labels: [Int] = []
        var pixels: [Tensor] = []
        for entry in entries {
            guard let label = QMLLMCalibration.categories.firstIndex(of: entry.category) else {
                throw LabelledImagesError("\(entry.path): unknown category '\(entry.category)'; known: \(QMLLMCalibration.categories.joined(separator: ", "))")
            }
            labels.append(label)
            pixels.append(try ModelFamily.llava.pixelValues(image: entry.path, for: model, directory: modelDirectory, padToSquare: false))
        }
        self.pixels = Tensor.cat(pixels, axis: 0)
        self.labels = labels
        hazards = boxes.isEmpty ? nil : boxes
    }

    /// Held-out ShapesWorld scenes with hazards (no files needed).
    public init(world: ShapesWorldConfig, imageSize: Int) throws {
        let pool = try ScenePool(world: world, imageSize: imageSize)
        pixels = pool.pixels(Array(0..<pool.count))
        labels = pool.scenes.map(QMLLMCalibration.label)
        hazards = pool.scenes.map { (Double($0.imageSize), QMLLMTokenLabels.hazards(in: $0)) }
    }
}

/// A labelled folder that cannot be read as one: names the file and line.
public struct LabelledImagesError: LucidError {
    public let description: String
    public init(_ description: String) { self.description = description }
}
