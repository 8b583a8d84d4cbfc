import Foundation
import LucidDefense
import LucidModels
import LucidSupport
import LucidTensor
import LucidText
import LucidVision

/// A model opened through `ModelRegistry`: the decoder every method drives, its vision side when it
/// has one, and what surrounds it (tokenizer, image processor, chat template, defence).
public final class OpenedModel {
    /// The name or path it was opened from, and the path that resolved to.
    public let name: String
    public let path: String
    /// `model_type` of its configuration (`peft`, `gguf` or `unknown` where there is none).
    public let modelType: String
    public let model: any CausalLanguageModel
    /// End-of-sequence ids of the configuration and the width of the language model.
    public let eosTokenIDs: [Int]
    public let hiddenSize: Int
    /// The defence its directory carries (Q-MLLM), installed on `model`.
    public let defense: QMLLMDefense?
    let family: ModelFamily
    /// `family.imageInstruction`'s reader, made on first use.
    var instructionReader: ImageInstructionReader?

    init(name: String, path: String, modelType: String, family: ModelFamily, weights: LoadedWeights) {
        self.name = name
        self.path = path
        self.modelType = modelType
        self.family = family
        model = weights.model
        eosTokenIDs = weights.eosTokenIDs
        hiddenSize = weights.hiddenSize
        defense = weights.defense
    }

    /// The vision-language side, nil for text-only models.
    public var vision: (any VisionLanguageModel)? { model as? any VisionLanguageModel }

    /// The ids that end a generation: the configuration's, then the tokenizer's end-of-sequence id, each once,
    /// in that order (the first is the model's own end of sequence; a `Set` would order them anew each run).
    public func stopTokenIDs(tokenizer: Tokenizer?) -> [Int] {
        (eosTokenIDs + [tokenizer?.eosID].compactMap { $0 }).uniqueInOrder()
    }

    /// The chat template of the family for `tokenizer` (nil when none is known).
    public func chatTemplate(for tokenizer: Tokenizer) -> ChatTemplate? { family.chatTemplate(tokenizer) }

    /// The normalisation (mean, std) of the family's image processor, nil for text-only models.
    public func imageNormalization() throws -> CLIPPreprocessorConfig? {
        guard let vision, let imageProcessor = family.imageProcessor else { return nil }
        return try imageProcessor(path, vision)
    }

    /// Normalised pixel values [1, 3, S, S] of the image file at `image` for the vision tower.
    public func pixelValues(image: String, padToSquare: Bool) throws -> Tensor {
        guard let vision else { throw ModelOpenError("\(name) is a text-only model: images need a vision-language model") }
        return try family.pixelValues(image: image, for: vision, directory: path, padToSquare: padToSquare)
    }

    /// Normalised pixel values [1, 3, S, S] of an already decoded image (e.g. a server's data URL).
    public func pixelValues(decoded image: RGBImage, padToSquare: Bool) throws -> Tensor {
        guard let vision else { throw ModelOpenError("\(name) is a text-only model: images need a vision-language model") }
        return try family.pixelValues(decoded: image, for: vision, directory: path, padToSquare: padToSquare)
    }

    /// The most images one prompt takes (`lucid serve` caps a request lower: `ServerLimits.maxImagesPerRequest`):
    /// each is decoded and held before the prompt's length is checked, so the count is bounded first.
    public static let maximumImagesPerPrompt = 64

    /// The pixel values of one prompt's image files, as `pixelValues(prompt:padToSquare:)` gives them
    /// decoded; an image error names its file. More than `maximumImagesPerPrompt` files are refused
    /// before any is read.
    public func pixelValues(imageFiles paths: [String], padToSquare: Bool) throws -> [Tensor] {
        if paths.isEmpty { return [] }
        guard let vision else { throw ModelOpenError("\(name) is a text-only model: images need a vision-language model") }
        guard paths.count <= Self.maximumImagesPerPrompt else {
            throw ModelOpenError("\(paths.count) images: a prompt takes at most \(Self.maximumImagesPerPrompt)")
        }
        return try paths.map { path in
            let decoded = try ImageDecoder.decode(path: path)
            return try ImageError.naming(file: path) {
                try family.pixelValues(decoded: decoded, for: vision, directory: self.path, padToSquare: padToSquare, amongSeveral: paths.count > 1)
            }
        }
    }

    /// The pixel values of one prompt's decoded images: each as `pixelValues(decoded:padToSquare:)` gives
    /// a lone image, or, with several, as the family's processor gives an image among several
    /// (`ModelFamily.imagePixelsAmongSeveral`: LLaVA-OneVision's padded base tile).
    public func pixelValues(prompt images: [RGBImage], padToSquare: Bool) throws -> [Tensor] {
        if images.isEmpty { return [] }
        guard let vision else { throw ModelOpenError("\(name) is a text-only model: images need a vision-language model") }
        return try images.map {
            try family.pixelValues(decoded: $0, for: vision, directory: path, padToSquare: padToSquare, amongSeveral: images.count > 1)
        }
    }
}

extension ModelFamily {
    /// Normalised pixel values [1, 3, S, S] of the image file at `image` for `vision`, opened from `directory`.
    public func pixelValues(image: String, for vision: any VisionLanguageModel, directory: String, padToSquare: Bool) throws -> Tensor {
        let decoded = try ImageDecoder.decode(path: image)
        return try ImageError.naming(file: image) { try pixelValues(decoded: decoded, for: vision, directory: directory, padToSquare: padToSquare) }
    }

    /// Normalised pixel values of a decoded image for `vision`, opened from `directory`: [1, 3, S, S], or
    /// the family's own image tensor (`imagePixels`; `amongSeveral`: of an image in a prompt with several,
    /// `imagePixelsAmongSeveral` where the family has it).
    public func pixelValues(decoded image: RGBImage, for vision: any VisionLanguageModel, directory: String, padToSquare: Bool,
                            amongSeveral: Bool = false) throws -> Tensor {
        if let imagePixels {
            if padToSquare { throw ModelOpenError("\(directory): --pad-to-square is LLaVA-1.5's preprocessing; this family has its own") }
            let pixels = try ((amongSeveral ? imagePixelsAmongSeveral : nil) ?? imagePixels)(image, directory, vision)
            do { try vision.checkImage(pixels) } catch { throw ModelOpenError("\(directory): \(error)") }
            return pixels
        }
        guard let imageProcessor else { throw ModelOpenError("\(directory): this model family reads no images") }
        let config = try imageProcessor(directory, vision)
        let size = vision.imageSize
        let pixels = try CLIPPreprocessor(config: config).pixelTensor(image, padToSquare: padToSquare)
        guard pixels.size(2) == size && pixels.size(3) == size else {
            throw ModelOpenError("\((directory as NSString).appendingPathComponent("preprocessor_config.json")): preprocessing gives \(pixels.size(2))×\(pixels.size(3)) images but the vision tower takes \(size)×\(size)")
        }
        return pixels
    }
}
