import LucidModels
import LucidNN
import LucidTensor
import LucidText
import LucidTraining
import LucidWorld

/// An auxiliary loss for organisms trained from scratch: every occupied cell's projected image token
/// should read as its category's word through the language model's (tied) output embedding,
/// CE over the category words of (token · E_wordᵀ).
///
/// Without it, the tiny Llama learned background, count, size and position from the image but named
/// categories from a prior, and its projector stopped carrying category information (a local
/// optimum; docs/organisms.md). With it, naming an object only needs attention that copies an image
/// token. Needs one image token per grid cell (96-px images in 32-px patches).
public struct CellWordAlignment {
    /// Token id of " name" (first token) for each of `SceneLabels.categories`.
    public let wordIDs: [Int]
    public let weight: Double

    public init(tokenizer: Tokenizer, weight: Double) throws {
        wordIDs = try SceneLabels.categories.map { category in
            guard let first = tokenizer.encode(" " + category.name, addSpecialTokens: false).first else {
                throw TrainingError("the tokenizer has no token for '\(category.name)'")
            }
            return first
        }
        self.weight = weight
    }

    /// The weighted loss for projected image features [B, 9, D] of `scenes`; nil when no cell is occupied.
    public func loss(features: Tensor, scenes: [Scene], embedding: Tensor) throws -> Tensor? {
        guard features.size(1) == 9 else { throw TrainingError("cell alignment needs 9 image tokens (one per cell), got \(features.size(1))") }
        var rows: [Int64] = []
        var labels: [Int64] = []
        for (b, scene) in scenes.enumerated() {
            for (cell, label) in SceneLabels(scene: scene).category.enumerated() where label > 0 {
                rows.append(Int64(b * 9 + cell))
                labels.append(Int64(label - 1))
            }
        }
        guard !rows.isEmpty else { return nil }
        let tokens = features.reshaped([-1, features.size(2)]).indexSelect(axis: 0, index: Tensor(rows, shape: [rows.count]))
        let words = embedding.indexSelect(axis: 0, index: Tensor(wordIDs.map(Int64.init), shape: [wordIDs.count]))
        let logits = tokens.matmul(words.transposed(0, 1))
        return Training.crossEntropy(logits, Tensor(labels, shape: [labels.count])) * weight
    }
}
