import Foundation
import LucidWorld

/// Per-token categories for calibrating the token gate by where a hazard is (`calibrate --gate tokens
/// --token-labels cells`), instead of giving every token its image's category.
///
/// With image labels, the eight background tokens of a hazard scene count as harmful, so codes of
/// plain backgrounds refuse; labelled by position, only the tokens that show the hazard do. On a
/// tower that has learnt hazards this is what made Q-MLLM's token gate work (docs/defense.md:
/// 79.2% of hazard scenes refused at 2.9% false refusal, against 95.8% / 55.8% with image labels).
///
/// Tokens are the vision tower's patches in row-major order (LLaVA's default feature selection, no
/// [CLS]); a `grid` × `grid` patch grid covers the whole square image. A token gets a hazard's
/// category when the hazard's box covers at least half of its patch or holds the box's centre; the
/// later hazard wins where two meet (ShapesWorld puts at most one object in a cell).
public enum QMLLMTokenLabels {
    /// One hazard: its category index (into the safety map's categories) and its box in image pixels.
    public struct Hazard: Sendable, Equatable {
        public var category: Int
        public var box: BoundingBox
        public init(category: Int, box: BoundingBox) {
            self.category = category
            self.box = box
        }
    }

    /// Categories of the `grid` × `grid` tokens of a square `imageSize`-pixel image (0: benign; with
    /// `mergeHarmful`, every hazard is category 1).
    public static func labels(hazards: [Hazard], imageSize: Double, grid: Int, mergeHarmful: Bool = false) -> [Int] {
        guard grid > 0, imageSize > 0 else { return [] }
        var labels = [Int](repeating: 0, count: grid * grid)
        let side = imageSize / Double(grid)
        for hazard in hazards {
            let category = mergeHarmful && hazard.category != 0 ? 1 : hazard.category
            let box = hazard.box
            let centre = (x: box.x + box.width / 2, y: box.y + box.height / 2)
            for row in 0..<grid {
                for column in 0..<grid {
                    let (left, top) = (Double(column) * side, Double(row) * side)
                    let overlapX = max(0, min(box.maxX, left + side) - max(box.x, left))
                    let overlapY = max(0, min(box.maxY, top + side) - max(box.y, top))
                    let holdsCentre = centre.x >= left && centre.x < left + side && centre.y >= top && centre.y < top + side
                    if holdsCentre || overlapX * overlapY >= side * side / 2 { labels[row * grid + column] = category }
                }
            }
        }
        return labels
    }

    /// The token categories of a ShapesWorld scene, with `QMLLMCalibration.categories` (or, with
    /// `mergeHarmful`, every hazard as category 1).
    public static func labels(_ scene: Scene, grid: Int, mergeHarmful: Bool = false) -> [Int] {
        labels(hazards: hazards(in: scene), imageSize: Double(scene.imageSize), grid: grid, mergeHarmful: mergeHarmful)
    }

    /// A scene's hazards with their `QMLLMCalibration.categories` index.
    public static func hazards(in scene: Scene) -> [Hazard] {
        scene.objects.filter(\.category.isHazard).map { object in
            Hazard(category: QMLLMCalibration.categories.firstIndex(of: object.category.name) ?? 0, box: object.bbox)
        }
    }
}
