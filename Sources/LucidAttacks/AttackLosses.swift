import Foundation
import LucidGeneration
import LucidModels
import LucidTensor
import LucidVision

/// Differentiable losses of image attacks on a vision-language model, for `PixelPGD`.
public struct ImageAttackContext {
    public let model: any VisionLanguageModel
    /// Normalisation of [0, 1] pixels for the vision tower.
    public let preprocessor: CLIPPreprocessorConfig
    /// Prompt token ids with the placeholder(s) of one image (either convention of `segments`).
    public let promptIDs: [Int]
    /// What the processor makes of the attacked image in [0, 1] before normalising it, where that is more
    /// than the image itself (LLaVA-NeXT's tile stack, cut and resized by tensor ops); nil: the image.
    public var imageTransform: ((Tensor) -> Tensor)?

    public init(model: any VisionLanguageModel, preprocessor: CLIPPreprocessorConfig, promptIDs: [Int],
                imageTransform: ((Tensor) -> Tensor)? = nil) {
        self.model = model
        self.preprocessor = preprocessor
        self.promptIDs = promptIDs
        self.imageTransform = imageTransform
    }

    /// The model's image tensor for the attacked image `pixels01` in [0, 1]: `imageTransform`, then
    /// `preprocessor.normalize` (differentiable).
    public func modelImage(_ pixels01: Tensor) -> Tensor { preprocessor.normalize(imageTransform?(pixels01) ?? pixels01) }

    /// Input embeddings [1, T, D] of prompt + `continuation` with the image `pixels01` in [0, 1].
    public func embeddings(_ pixels01: Tensor, continuation: [Int] = []) throws -> Tensor {
        let segments = try model.segments(ids: promptIDs + continuation, images: [modelImage(pixels01)])
        return try model.embed(segments)
    }

    /// One forward pass over prompt + `continuation` with the image `pixels01` in [0, 1], at the
    /// model's own positions (M-RoPE for Qwen2-VL).
    public func forward(_ pixels01: Tensor, continuation: [Int] = [], options: ForwardOptions) throws -> ForwardTrace {
        let ids = promptIDs + continuation
        let pixels = modelImage(pixels01)
        var positioned = options
        positioned.positions = try model.ropePositions(ids: ids, images: [pixels])
        return model.forward(embeddings: try model.embed(try model.segments(ids: ids, images: [pixels])), cache: nil, options: positioned)
    }

    /// The prefill of prompt + `continuation` under `pixels01` for a generation driver (positioned where
    /// the model places its prompt explicitly).
    public func prefill(_ pixels01: Tensor, continuation: [Int] = []) throws -> Prefill {
        let ids = promptIDs + continuation
        let pixels = modelImage(pixels01)
        let embeddings = try model.embed(try model.segments(ids: ids, images: [pixels]))
        return try model.ropePositions(ids: ids, images: [pixels]).map { Prefill.positionedEmbeddings(embeddings, positions: $0) } ?? Prefill.embeddings(embeddings)
    }

    /// Number of input positions (image features + prompt text) before any continuation, whether the
    /// prompt holds one placeholder for the image or one per image feature (families whose count
    /// depends on the image need the expanded run).
    public var inputLength: Int {
        let placeholders = promptIDs.reduce(0) { $0 + ($1 == model.imagePlaceholderID ? 1 : 0) }
        if placeholders > 0, let length = try? model.embeddedLength(ids: promptIDs, imageCount: 1) { return length }
        return promptIDs.count - placeholders + (placeholders > 0 ? model.imageFeatureCount : 0)
    }

    /// Targeted-text loss: −mean log p(target | image, prompt) (the PGD baseline that maximises a string's likelihood).
    public func targetedTextLoss(_ pixels01: Tensor, target: [Int]) throws -> Tensor {
        guard !target.isEmpty else { throw AttackError("the target text is empty") }
        let trace = try forward(pixels01, continuation: target, options: ForwardOptions(logits: .all))
        guard let logits = trace.logits else { throw AttackError("no logits") }
        let start = inputLength - 1
        // f32 when the model is bf16/f16 (differentiable cast): the loss and its gradient stay sound in bf16.
        let predicted = logits.narrowed(axis: 1, start: start, length: target.count).reshaped(-1, logits.size(-1)).widenedForScoring
        let labels = Tensor(target.map(Int64.init), shape: [target.count]).to(predicted.device)
        return -predicted.logSoftmax(axis: -1).gather(axis: -1, index: labels.unsqueezed(axis: -1)).mean()
    }
}

/// Mirage's attention-sink loss (Wang et al., USENIX Security 2025) for one round.
///
/// With the current response appended to the prompt, at decoder layer `layer`: h̄_g = mean hidden
/// state over the input positions (image + prompt); the potential sink idx = argmax over response
/// positions of cos(h_i, h̄_g); L = mean_{i ≥ idx} −log a_{i,idx} + α·max(0, σ − cos(h_idx, h̄_g)).
/// Hidden states are the output of decoder layer `layer`; attention is that layer's, reduced over
/// heads by `heads` (unspecified in the paper; mean by default).
public struct MirageSinkLoss {
    public var layer: Int
    public var alpha: Double
    public var sigma: Double
    public var heads: HeadReduction

    public init(layer: Int, alpha: Double = 1, sigma: Double = 0.5, heads: HeadReduction = .mean) {
        self.layer = layer
        self.alpha = alpha
        self.sigma = sigma
        self.heads = heads
    }

    /// Loss and the chosen sink (response offset) for `response` tokens under image `pixels01`.
    public func callAsFunction(_ context: ImageAttackContext, pixels01: Tensor, response: [Int]) throws -> (loss: Tensor, sink: Int, similarity: Double) {
        guard response.count >= 2 else { throw AttackError("the response is too short to place a sink (\(response.count) tokens)") }
        let layers = context.model.layerCount
        let index = layer < 0 ? layer + layers : layer
        guard (0..<layers).contains(index) else { throw AttackError("layer \(layer) is outside the model's \(layers) decoder layers") }
        let options = ForwardOptions(attentionLayers: .layers([index]), attentionReduction: heads, hiddenStates: .layers([index + 1]), logits: .none)
        let trace = try context.forward(pixels01, continuation: response, options: options)
        guard let capturedAttention = trace.attentions[index], let capturedHidden = trace.hiddenStates[index + 1] else { throw AttackError("no attention captured") }
        // The cosine, the mean state and −log a are computed in f32 when the model is bf16/f16
        // (the casts are differentiable, so the gradient reaches the f32 pixels through them).
        let (attention, hidden) = (capturedAttention.widenedForScoring, capturedHidden.widenedForScoring)
        let inputs = context.inputLength
        let total = hidden.size(1)
        let states = hidden.selected(axis: 0, index: 0)  // [T, D]
        let global = states.narrowed(axis: 0, start: 0, length: inputs).mean(axis: 0, keepDims: true)
        let responseStates = states.narrowed(axis: 0, start: inputs, length: total - inputs)
        let cosine = (responseStates * global).sum(axis: -1) / (responseStates.square().sum(axis: -1).sqrt() * global.square().sum().sqrt() + 1e-12)
        let offset = Int(withNoGrad { cosine.argmax().item() })
        let sink = inputs + offset
        // Rows sink…T−1 of the (head-reduced) attention, column sink; mean over heads if kept.
        let rows = attention.selected(axis: 0, index: 0).narrowed(axis: 1, start: sink, length: total - sink)  // [H', R, S]
        let column = rows.narrowed(axis: 2, start: sink, length: 1)
        let attentionLoss = -(column.clamped(min: 1e-12).log()).mean()
        let similarity = cosine.narrowed(axis: 0, start: offset, length: 1).sum()
        let hinge = (sigma - similarity).clamped(min: 0)
        return (attentionLoss + hinge * alpha, offset, similarity.item())
    }
}
