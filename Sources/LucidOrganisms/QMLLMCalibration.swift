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
    /// be installed on `model`). The paper variant has no token reading (`QMLLMDefense.paperTokenReadingRefusal`).
    public static func codes(defense: QMLLMDefense, model: LlavaForConditionalGeneration, pixels: Tensor,
                             reading: SafetyCodeMap.Reading = .mean, batchSize: Int = 32) throws -> [[Int]] {
        var codes: [[Int]] = []
        var start = 0
        while start < pixels.size(0) {
            let count = Swift.min(batchSize, pixels.size(0) - start)
            codes += try withNoGrad { () throws -> [[Int]] in
                try defense.gateCodes(model, pixels: pixels.narrowed(axis: 0, start: start, length: count), reading: reading)
            }
            start += count
        }
        return codes
    }

    /// Counts codes per category over labelled images (every code the gate reads counts with its
    /// image's category, or with `.tokens` and `tokenLabels`, each token's code with that token's
    /// category: `QMLLMTokenLabels`) and thresholds P(c|k) at τ. The map records the labelling
    /// (`SafetyCodeMap.tokenLabels`), so the model loads as calibrated.
    public static func calibrate(defense: QMLLMDefense, model: LlavaForConditionalGeneration, pixels: Tensor, labels: [Int],
                                 categories: [String] = categories, threshold: Double,
                                 reading: SafetyCodeMap.Reading = .mean, tokenLabels: [[Int]]? = nil) throws -> SafetyCodeMap {
        guard pixels.size(0) == labels.count else { throw TrainingError("calibration: \(pixels.size(0)) images but \(labels.count) labels") }
        if tokenLabels != nil {
            guard reading == .tokens else { throw TrainingError("calibration: token labels need the token reading (--gate tokens)") }
            guard defense.variant == .released else {
                throw TrainingError("calibration: token labels by cell label the patch tokens, but \(QMLLMDefense.paperTokenReadingRefusal)")
            }
        }
        let codes = try codes(defense: defense, model: model, pixels: pixels, reading: reading)
        return try map(codes: codes, labels: labels, tokenLabels: tokenLabels, codebookSize: defense.semantic.count,
                       categories: categories, threshold: threshold, reading: reading)
    }

    /// The safety map from the codes the gate read per image (`codes`, one list per image): each
    /// code counts with its image's label, or, given `tokenLabels` (token reading only, one label per
    /// code read), with its token's label, and the map records `.cells`. With image labels every
    /// token of a hazard scene counts as harmful, so a code that benign tokens of hazard scenes share
    /// can refuse; with cell labels only the tokens that show the hazard do.
    public static func map(codes: [[Int]], labels: [Int], tokenLabels: [[Int]]? = nil, codebookSize: Int,
                           categories: [String] = categories, threshold: Double,
                           reading: SafetyCodeMap.Reading = .mean) throws -> SafetyCodeMap {
        guard codes.count == labels.count else { throw TrainingError("calibration: \(codes.count) images but \(labels.count) labels") }
        var perCode = codes.indices.map { index in [Int](repeating: labels[index], count: codes[index].count) }
        if let tokenLabels {
            guard reading == .tokens else { throw TrainingError("calibration: token labels need the token reading (--gate tokens)") }
            guard tokenLabels.count == codes.count else { throw TrainingError("calibration: \(codes.count) images but \(tokenLabels.count) token label lists") }
            for (index, read) in codes.enumerated() where tokenLabels[index].count != read.count {
                throw TrainingError("calibration: image \(index + 1) has \(read.count) image tokens but \(tokenLabels[index].count) token labels (the labels assume the tower's square patch grid without [CLS])")
            }
            perCode = tokenLabels
        }
        let observations = zip(codes, perCode).flatMap { read, categories in zip(read, categories).map { (code: $0, category: $1) } }
        return try SafetyCodeMap(codebookSize: codebookSize, categories: categories, observations: observations,
                                 threshold: threshold, reading: reading, tokenLabels: tokenLabels == nil ? .image : .cells)
    }
}
