import Foundation
import LucidDefense
import LucidModels
import LucidTensor
import LucidTraining

/// Re-fits Q-MLLM's semantic codebook for the token gate, class by class (`calibrate --gate tokens
/// --token-labels cells --fit-codes H`; Lucid's deviation, docs/defense.md).
///
/// The trainer fits the semantic codebook by k-means on mean projected tokens
/// (`QMLLMTrainer.fitSemanticCodebook`). Read token by token, those codes sort tokens by what most
/// scenes show: the few tokens that show a hazard (one cell in nine of a quarter of the scenes) share
/// codes with benign ones, and only three or four codes pass τ. This fit gives hazard tokens codes of
/// their own: spherical k-means with K − H codes on the projected tokens that show no hazard and H
/// codes on those that do, labelled by cell (`QMLLMTokenLabels`). The labels choose which tokens each
/// group of codes is fitted to; the safety map is then calibrated as before, on other scenes, so a
/// hazard code refuses only when the calibration tokens nearest to it mostly show hazards. The
/// paper's codebook gets its hazard sense from the semantic loss against captions; this fit is the
/// supervised stand-in on a model whose codes were fitted without it. The semantic code never reaches
/// the language model, so the fit changes only what the gate decides.
public enum QMLLMTokenCodebook {
    /// What the fit was given: recorded with the safety map (`SafetyCodeMap.codebookFit`).
    public typealias Fit = SafetyCodeMap.CodebookFit

    /// Re-fits `defense.semantic`'s codes to the projected tokens of `pixels` [N, C, H, W] (the defence
    /// installed on `model`, released variant), `tokenLabels` one category list per image (0: benign),
    /// `hazardCodes` of the K codes on hazard tokens. Deterministic for a seed.
    public static func fit(defense: QMLLMDefense, model: LlavaForConditionalGeneration, pixels: Tensor, tokenLabels: [[Int]],
                           hazardCodes: Int, seed: UInt64, worldSeed: UInt64? = nil, iterations: Int = 25, batchSize: Int = 32) throws -> Fit {
        guard defense.variant == .released else {
            throw TrainingError("--fit-codes fits codes to projected tokens, but \(QMLLMDefense.paperTokenReadingRefusal)")
        }
        guard pixels.size(0) == tokenLabels.count else {
            throw TrainingError("codebook fit: \(pixels.size(0)) images but \(tokenLabels.count) token label lists")
        }
        var rows: [Tensor] = []
        var start = 0
        while start < pixels.size(0) {
            let count = Swift.min(batchSize, pixels.size(0) - start)
            let batch = pixels.narrowed(axis: 0, start: start, length: count)
            rows.append(try withNoGrad { () throws -> Tensor in try defense.gateRows(model, pixels: batch, reading: .tokens).to(.f64) })
            start += count
        }
        guard !rows.isEmpty else { throw TrainingError("codebook fit: no images") }
        let tokens = Tensor.cat(rows, axis: 0)
        let perImage = tokens.size(0) / pixels.size(0)
        for (index, labels) in tokenLabels.enumerated() where labels.count != perImage {
            throw TrainingError("codebook fit: image \(index + 1) has \(perImage) image tokens but \(labels.count) token labels (the labels assume the tower's square patch grid without [CLS])")
        }
        let harmful = tokenLabels.flatMap { $0.map { $0 != 0 } }
        let centroids = try centroids(VectorQuantizer.unitRows(tokens), harmful: harmful, codes: defense.semantic.count,
                                      hazardCodes: hazardCodes, seed: seed, iterations: iterations)
        withNoGrad { defense.semantic.codebook.value = centroids.to(defense.semantic.codebook.value.dtype) }
        let hazardTokens = harmful.filter { $0 }.count
        return Fit(hazardCodes: hazardCodes, benignCodes: defense.semantic.count - hazardCodes, scenes: pixels.size(0),
                   hazardTokens: hazardTokens, benignTokens: harmful.count - hazardTokens, worldSeed: worldSeed)
    }

    /// Codes [codes, D] for unit rows `points` [N, D]: the first `codes − hazardCodes` by spherical
    /// k-means on the rows `harmful` marks false, the last `hazardCodes` on those it marks true.
    public static func centroids(_ points: Tensor, harmful: [Bool], codes: Int, hazardCodes: Int, seed: UInt64,
                                 iterations: Int = 25) throws -> Tensor {
        guard points.rank == 2, points.size(0) == harmful.count else {
            throw TrainingError("codebook fit: \(points.shape) points but \(harmful.count) labels")
        }
        guard hazardCodes >= 1, hazardCodes < codes else {
            throw TrainingError("--fit-codes must be between 1 and \(codes - 1) (the semantic codebook has \(codes) codes; the rest go to benign tokens)")
        }
        let hazardRows = harmful.indices.filter { harmful[$0] }
        let benignRows = harmful.indices.filter { !harmful[$0] }
        guard hazardRows.count >= hazardCodes else {
            throw TrainingError("codebook fit: \(hazardRows.count) tokens show a hazard, fewer than the \(hazardCodes) codes to fit to them (use more scenes or fewer --fit-codes)")
        }
        guard benignRows.count >= codes - hazardCodes else {
            throw TrainingError("codebook fit: \(benignRows.count) benign tokens, fewer than the \(codes - hazardCodes) codes to fit to them")
        }
        func rows(_ indices: [Int]) -> Tensor { points.indexSelect(axis: 0, index: Tensor(indices.map(Int64.init), shape: [indices.count])) }
        let benign = SphericalKMeans.fit(rows(benignRows), k: codes - hazardCodes, iterations: iterations, seed: seed)
        let hazard = SphericalKMeans.fit(rows(hazardRows), k: hazardCodes, iterations: iterations, seed: seed &+ 1)
        return Tensor.cat([benign, hazard], axis: 0)
    }
}
