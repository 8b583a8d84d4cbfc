import Foundation
import LucidDefense
import LucidModels
import LucidTensor
import LucidTraining
import LucidWorld

/// Labelled images for Q-MLLM's safety map, and the map built from them.
public enum QMLLMCalibration {
    /// The map's categories: benign, then ShapesWorld's hazards.
    public static let categories = ["benign"] + ShapeCategory.hazards.map(\.name)

    /// A scene's category index: its first hazard object's, else 0 (benign).
    public static func label(_ scene: Scene) -> Int {
        guard let hazard = scene.objects.first(where: { $0.category.isHazard })?.category else { return 0 }
        return categories.firstIndex(of: hazard.name) ?? 0
    }

    /// The gate's semantic codes of pixel batches [N, C, H, W], per image (batched; the defence must
    /// be installed on `model`).
    public static func codes(defense: QMLLMDefense, model: LlavaForConditionalGeneration, pixels: Tensor,
                             reading: SafetyCodeMap.Reading = .mean, batchSize: Int = 32) -> [[Int]] {
        var codes: [[Int]] = []
        var start = 0
        while start < pixels.size(0) {
            let count = Swift.min(batchSize, pixels.size(0) - start)
            codes += withNoGrad { defense.gateCodes(model.imageFeatures(pixels.narrowed(axis: 0, start: start, length: count)), reading: reading) }
            start += count
        }
        return codes
    }

    /// Counts codes per category over labelled images (every code the gate reads counts with its
    /// image's category) and thresholds P(c|k) at τ.
    public static func calibrate(defense: QMLLMDefense, model: LlavaForConditionalGeneration, pixels: Tensor, labels: [Int],
                                 categories: [String] = categories, threshold: Double,
                                 reading: SafetyCodeMap.Reading = .mean) throws -> SafetyCodeMap {
        guard pixels.size(0) == labels.count else { throw TrainingError("calibration: \(pixels.size(0)) images but \(labels.count) labels") }
        let codes = codes(defense: defense, model: model, pixels: pixels, reading: reading)
        let observations = zip(codes, labels).flatMap { read, label in read.map { (code: $0, category: label) } }
        return try SafetyCodeMap(codebookSize: defense.semantic.count, categories: categories, observations: observations,
                                 threshold: threshold, reading: reading)
    }
}
