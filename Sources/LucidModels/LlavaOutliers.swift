import Foundation
import LucidTensor

/// How DAMRO turns the vision layer's q/k into a [CLS]-to-patch attention row.
public enum OutlierAttention: String, Sendable, CaseIterable {
    /// One head over the full width, scale 1/√hidden (the official LLaVA code; the default).
    case singleHead = "single-head"
    /// Per-head softmax(q·kᵀ/√head_dim), averaged over heads (the official InstructBLIP code).
    case headMean = "head-mean"
}

/// The outlier visual tokens of one image: the top-k patches of the [CLS] attention row.
public struct VisionOutliers {
    /// Patch indices (0-based, CLS excluded), in descending attention order.
    public var indices: [Int]
    /// The [CLS] → patch attention row [patches].
    public var clsAttention: Tensor
    /// Projected features of only those patches, [1, k, D_text], in `indices` order.
    public var features: Tensor
}

extension LlavaForConditionalGeneration {
    /// DAMRO's outlier tokens for pixel values [1, C, H, W]: the top-`k` patches of the [CLS]
    /// attention at vision layer `vision_feature_layer`, and the projected features of only those
    /// patches taken from the same selected hidden state LLaVA feeds its projector. Refused for a
    /// SigLIP tower (LLaVA-Interleave), which has no class token.
    public func visionOutliers(_ pixels: Tensor, k: Int, attention: OutlierAttention) throws(PromptError) -> VisionOutliers {
        guard config.visionConfig.hasClassToken else {
            throw .unsupported(reason: "DAMRO needs the vision tower's [CLS] attention, and this LLaVA's SigLIP tower has no class token")
        }
        return VisionOutliers.ofCLIP(visionTower, config: config, pixels: pixels, k: k, attention: attention, project: project)
    }
}

extension VisionOutliers {
    /// DAMRO on a CLIP tower that feeds a projector (LLaVA-1.5, LLaVA-NeXT's base tile): the [CLS] row
    /// at `vision_feature_layer`, top-`k` patches gathered from the selected features, then `project`.
    static func ofCLIP(_ tower: CLIPVisionModel, config: LlavaConfig, pixels: Tensor, k: Int, attention: OutlierAttention,
                       project: (Tensor) -> Tensor) -> VisionOutliers {
        let layer = config.visionFeatureLayer
        var options = ForwardOptions()
        options.visionQueryKeyLayers = .layers([layer])
        let trace = ForwardTrace()
        var selected = tower.forward(pixels, needHiddenState: layer, options: options, trace: trace)
        let index = layer < 0 ? layer + config.visionConfig.numHiddenLayers : layer
        guard let capturedQ = trace.visionQueries[index], let capturedKey = trace.visionKeys[index] else {
            fatalError("vision q/k of layer \(layer) were not captured")
        }
        let cls = classRow(query: capturedQ, key: capturedKey, heads: config.visionConfig.numAttentionHeads, attention: attention)
        let count = Swift.min(Swift.max(1, k), cls.size(0))
        let top = cls.topK(count).indices
        if config.visionFeatureSelectStrategy == "default" {
            selected = selected.narrowed(axis: 1, start: 1, length: selected.size(1) - 1)
        }
        // As the official code: gather from the selected features (CLS already dropped for `default`).
        let gathered = selected.indexSelect(axis: 1, index: top)
        return VisionOutliers(indices: top.toArray(Int.self), clsAttention: cls, features: project(gathered))
    }

    /// The [CLS] → patch attention row [patches] of one image from a layer's full-width q and k [1, N, D].
    static func classRow(query capturedQ: Tensor, key capturedKey: Tensor, heads: Int, attention: OutlierAttention) -> Tensor {
        // Scored in f32 when the model is bf16/f16: in bf16 the [CLS] row has many ties (8 bits of
        // mantissa over 576 probabilities), so top-k would pick among equals by position.
        let (q, key) = (capturedQ.widenedForScoring, capturedKey.widenedForScoring)
        let width = q.size(-1)
        let probabilities: Tensor
        switch attention {
        case .singleHead:
            probabilities = (q.matmul(key.mT) * (1 / Double(width).squareRoot())).softmax(axis: -1)
        case .headMean:
            let d = width / heads
            let (b, n) = (q.size(0), q.size(1))
            let qh = q.reshaped(b, n, heads, d).transposed(1, 2)
            let kh = key.reshaped(b, n, heads, d).transposed(1, 2)
            probabilities = (qh.matmul(kh.mT) * (1 / Double(d).squareRoot())).softmax(axis: -1).mean(axis: 1)
        }
        return probabilities[0, 0].sliced(axis: 0, start: 1)
    }
}
