import LucidTensor

/// One image as a defence's gate (`VisionLanguageModel.imageGate`) sees it before generation: its
/// pixel values and, on demand, the projected features the prompt embeds.
///
/// `features` is computed at most once. `Decoding.prepare` embeds the features a gate computed instead
/// of running the vision tower again for the prompt, so a gate that reads them (Q-MLLM's released
/// variant) costs its reading, not a second tower pass. That is exact because every family embeds an
/// image segment as `imageFeatures(pixels)` (the `VisionLanguageModel` contract).
public final class ImageGateInput {
    /// Pixel values [1, C, H, W] in the family's form (LLaVA-NeXT's tile stack, Qwen2-VL's resized image).
    public let pixels: Tensor
    private let model: any VisionLanguageModel
    /// The features if a gate asked for them; nil otherwise.
    public private(set) var computedFeatures: Tensor?

    public init(pixels: Tensor, model: any VisionLanguageModel) {
        self.pixels = pixels
        self.model = model
    }

    /// Projected image features [1, N, D] (`model.imageFeatures(pixels)`, after any installed transform),
    /// computed on first use and kept.
    public var features: Tensor {
        if let computedFeatures { return computedFeatures }
        let features = model.imageFeatures(pixels)
        computedFeatures = features
        return features
    }
}

extension VisionLanguageModel {
    /// What the model's gate answers for pixel values [1, C, H, W] (a refusal), or nil when it lets
    /// the image through or there is no gate. Nothing is kept for the prompt; `Decoding.prepare` does that.
    public func screenImage(_ pixels: Tensor) -> String? {
        imageGate.flatMap { gate in gate(ImageGateInput(pixels: pixels, model: self)) }
    }
}
