import Foundation
import LucidFiles
import LucidNN
import LucidTensor

/// Hyper-parameters of a LLaVA-1.5 model (Hugging Face `LlavaConfig`; defaults as transformers'), with a
/// CLIP tower or a SigLIP one (LLaVA-Interleave: `siglip_vision_model`, `full` strategy, no class token).
public struct LlavaConfig: Codable, Sendable, Equatable {
    public var visionConfig: CLIPVisionConfig
    public var textConfig: LlamaConfig
    public var imageTokenIndex: Int
    public var projectorHiddenAct: String
    /// Hidden-state index of the vision tower whose output feeds the projector (−2 in LLaVA-1.5).
    public var visionFeatureLayer: Int
    /// `default` drops the first token (CLIP's CLS), `full` keeps them all.
    public var visionFeatureSelectStrategy: String

    public init(visionConfig: CLIPVisionConfig, textConfig: LlamaConfig, imageTokenIndex: Int = 32000,
                projectorHiddenAct: String = "gelu", visionFeatureLayer: Int = -2, visionFeatureSelectStrategy: String = "default") {
        self.visionConfig = visionConfig
        self.textConfig = textConfig
        self.imageTokenIndex = imageTokenIndex
        self.projectorHiddenAct = projectorHiddenAct
        self.visionFeatureLayer = visionFeatureLayer
        self.visionFeatureSelectStrategy = visionFeatureSelectStrategy
    }

    enum CodingKeys: String, CodingKey {
        case visionConfig = "vision_config", textConfig = "text_config", imageTokenIndex = "image_token_index"
        case projectorHiddenAct = "projector_hidden_act", visionFeatureLayer = "vision_feature_layer"
        case visionFeatureSelectStrategy = "vision_feature_select_strategy"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(visionConfig: try c.decodeIfPresent(CLIPVisionConfig.self, forKey: .visionConfig) ?? CLIPVisionConfig(),
                  textConfig: try c.decode(LlamaConfig.self, forKey: .textConfig),
                  imageTokenIndex: try c.decodeIfPresentNonNull(Int.self, forKey: .imageTokenIndex) ?? 32000,
                  projectorHiddenAct: try c.decodeIfPresentNonNull(String.self, forKey: .projectorHiddenAct) ?? "gelu",
                  visionFeatureLayer: try c.decodeIfPresentNonNull(Int.self, forKey: .visionFeatureLayer) ?? -2,
                  visionFeatureSelectStrategy: try c.decodeIfPresentNonNull(String.self, forKey: .visionFeatureSelectStrategy) ?? "default")
    }

    /// Image features per image after selection: the tower's tokens (patches, plus CLIP's CLS), less
    /// the first under `default` (transformers drops it whatever it is).
    public var imageFeatureCount: Int {
        visionConfig.patchCount + (visionConfig.hasClassToken ? 1 : 0) - (visionFeatureSelectStrategy == "default" ? 1 : 0)
    }

    /// The checks every LLaVA family shares: the tower, the decoder, the activation, the placeholder,
    /// the select strategy and the feature layer.
    public func validate() throws(ModelConfigError) {
        try visionConfig.validate()
        try textConfig.validate()
        try requireActivation(projectorHiddenAct, key: "projector_hidden_act")
        // The placeholder is a vocabulary id or the one appended after it (Lucid's organisms use vocab_size).
        guard (0...textConfig.vocabSize).contains(imageTokenIndex) else {
            throw ModelConfigError("image_token_index \(imageTokenIndex) is outside 0…\(textConfig.vocabSize) (the vocabulary and one appended placeholder)")
        }
        guard ["default", "full"].contains(visionFeatureSelectStrategy) else {
            throw ModelConfigError("vision_feature_select_strategy '\(visionFeatureSelectStrategy)' is not 'default' or 'full'")
        }
        let layers = visionConfig.numHiddenLayers
        guard visionFeatureLayer >= -(layers + 1) && visionFeatureLayer <= layers else {
            throw ModelConfigError("vision_feature_layer \(visionFeatureLayer) is outside the tower's \(layers + 1) hidden states")
        }
    }
}

/// The two-layer MLP that maps vision features into the language model's embedding space.
public final class LlavaProjector: Module {
    public let linear1: Linear
    public let linear2: Linear
    let act: String

    init(visionHidden: Int, textHidden: Int, act: String, bias: Bool = true) {
        linear1 = Linear(inFeatures: visionHidden, outFeatures: textHidden, bias: bias)
        linear2 = Linear(inFeatures: textHidden, outFeatures: textHidden, bias: bias)
        self.act = act
    }

    public var children: [(name: String, module: any Module)] { [("linear_1", linear1), ("linear_2", linear2)] }

    public func callAsFunction(_ x: Tensor) -> Tensor { linear2(activation(act, linear1(x))) }
}

/// One piece of a multimodal prompt.
public enum PromptSegment {
    /// Text token ids.
    case tokens([Int])
    /// Pixel values [1, C, H, W] (normalised), encoded by the vision tower and projector.
    case image(Tensor)
    /// Projected image features [N, D] computed elsewhere (e.g. DAMRO's outlier-only tokens, Q-MLLM's quantised ones).
    case imageFeatures(Tensor)
    /// Raw input embeddings [N, D].
    case embeddings(Tensor)
}

/// A prompt that cannot be assembled.
public enum PromptError: Error, CustomStringConvertible, Equatable {
    case imageWithoutPlaceholder(images: Int)
    case placeholderWithoutImage(placeholders: Int)
    case placeholderCount(found: Int, expected: String)
    case tokenOutOfRange(id: Int, vocabularySize: Int)
    /// Pixel values that do not fit the model (wrong tile count or shape, an image size with no tiling).
    case invalidImage(reason: String)
    /// A method the model's family cannot run, and why (DAMRO on a tower without a class token).
    case unsupported(reason: String)

    public var description: String {
        switch self {
        case .imageWithoutPlaceholder(let images):
            return "\(images) image(s) given but the prompt has no image placeholder token (the model config's image_token_index: does the tokenizer or chat template produce it?)"
        case .placeholderWithoutImage(let n):
            return "the prompt has \(n) image placeholder token(s) but no image was given"
        case .placeholderCount(let found, let expected):
            return "the prompt has \(found) image placeholder token(s); expected \(expected)"
        case .tokenOutOfRange(let id, let size): return "token id \(id) is outside the vocabulary (0..<\(size))"
        case .invalidImage(let reason), .unsupported(let reason): return reason
        }
    }
}

/// A LLaVA-1.5 model (Hugging Face `LlavaForConditionalGeneration`: `vision_tower`,
/// `multi_modal_projector`, `language_model`).
public final class LlavaForConditionalGeneration: Module, VisionLanguageModel, LanguageModelBacked {
    public let config: LlavaConfig
    public let visionTower: CLIPVisionModel
    public let projector: LlavaProjector
    public let languageModel: LlamaForCausalLM
    /// Applied to the selected vision features [B, N, D_vision] before the projector wherever
    /// image features are computed (generation, attacks, training); nil: none. Q-MLLM's patch-level
    /// quantiser installs itself here, so every decoder and attack runs on the defended model.
    public var visionFeatureTransform: ((Tensor) -> Tensor)?
    /// Screens each image [1, C, H, W] before the language model runs: a non-nil answer is given
    /// instead of generating (Q-MLLM's safety gate). nil: every image is answered.
    public var imageGate: ((ImageGateInput) -> String?)?
    /// Applied to the projected image tokens [B, N, D_text] (after the projector, before the language
    /// model) wherever image features are computed; nil: none. The Q-MLLM paper variant's patch
    /// quantiser installs itself here (the released one uses `visionFeatureTransform`).
    public var projectedFeatureTransform: ((Tensor) -> Tensor)?

    public init(_ config: LlavaConfig) throws(ModelConfigError) {
        try config.validate()
        self.config = config
        visionTower = try CLIPVisionModel(config.visionConfig)
        projector = LlavaProjector(visionHidden: config.visionConfig.hiddenSize, textHidden: config.textConfig.hiddenSize,
                                   act: config.projectorHiddenAct)
        languageModel = try LlamaForCausalLM(config.textConfig)
    }

    /// A model around an existing language model (e.g. a frozen SmolLM2 loaded from GGUF), with a
    /// fresh vision tower and projector; `config.textConfig` must describe `languageModel`.
    public init(_ config: LlavaConfig, languageModel: LlamaForCausalLM) throws(ModelConfigError) {
        try config.validate()
        guard languageModel.config.hiddenSize == config.textConfig.hiddenSize,
              languageModel.config.vocabSize == config.textConfig.vocabSize else {
            throw ModelConfigError("the language model (hidden \(languageModel.config.hiddenSize), vocabulary \(languageModel.config.vocabSize)) does not match text_config (hidden \(config.textConfig.hiddenSize), vocabulary \(config.textConfig.vocabSize))")
        }
        self.config = config
        visionTower = try CLIPVisionModel(config.visionConfig)
        projector = LlavaProjector(visionHidden: config.visionConfig.hiddenSize, textHidden: config.textConfig.hiddenSize,
                                   act: config.projectorHiddenAct)
        self.languageModel = languageModel
    }

    public var children: [(name: String, module: any Module)] {
        [("vision_tower", visionTower), ("multi_modal_projector", projector), ("language_model", languageModel)]
    }

    public var imagePlaceholderID: Int { config.imageTokenIndex }
    public var imageFeatureCount: Int { config.imageFeatureCount }
    public var imageSize: Int { config.visionConfig.imageSize }
    public var visionPatchCount: Int { config.visionConfig.patchCount }
    public var imageFeaturesIncludeClassToken: Bool { config.visionFeatureSelectStrategy == "full" && config.visionConfig.hasClassToken }
    public var visionFeatureWidth: Int { config.visionConfig.hiddenSize }
    public var hiddenSize: Int { config.textConfig.hiddenSize }
    public var eosTokenIDs: [Int] { config.textConfig.eosTokenIDs }

    /// Projected image features [B, N, D_text] for pixel values [B, C, H, W] (differentiable).
    public func imageFeatures(_ pixels: Tensor, options: ForwardOptions, trace: ForwardTrace) -> Tensor {
        project(selectedVisionFeatures(pixels, options: options, trace: trace))
    }

    /// The vision features the projector reads: hidden state `visionFeatureLayer`, without the first
    /// token (CLIP's CLS) under the "default" strategy, [B, N, D_vision].
    public func selectedVisionFeatures(_ pixels: Tensor, options: ForwardOptions, trace: ForwardTrace) -> Tensor {
        let selected = visionTower.forward(pixels, needHiddenState: config.visionFeatureLayer, options: options, trace: trace)
        return config.visionFeatureSelectStrategy == "default" ? selected.narrowed(axis: 1, start: 1, length: selected.size(1) - 1) : selected
    }

    /// Projector of selected vision features (after `visionFeatureTransform`, then `projectedFeatureTransform`).
    public func project(_ selected: Tensor) -> Tensor {
        let projected = projector(visionFeatureTransform.map { $0(selected) } ?? selected)
        return projectedFeatureTransform.map { $0(projected) } ?? projected
    }

    /// The [CLS] token (position 0) of the hidden state `visionFeatureLayer`, [B, D_vision]: the same
    /// tower pass as the patches the projector reads, whatever the selection strategy. Refused for a
    /// SigLIP tower, which has no class token.
    public func visionClassEmbedding(_ pixels: Tensor, options: ForwardOptions, trace: ForwardTrace) throws(PromptError) -> Tensor {
        guard config.visionConfig.hasClassToken else {
            throw .unsupported(reason: "this LLaVA's SigLIP vision tower has no [CLS] token (Q-MLLM's paper variant quantises it)")
        }
        return visionTower.forward(pixels, needHiddenState: config.visionFeatureLayer, options: options, trace: trace).selected(axis: 1, index: 0)
    }

    /// Input embeddings [1, T, D] for a list of segments (images encoded here).
    public func embed(_ segments: [PromptSegment], options: ForwardOptions, trace: ForwardTrace) throws(PromptError) -> Tensor {
        try PromptLayout.embed(segments, vocabularySize: vocabularySize, trace: trace, embedTokens: { languageModel.embed($0) }) {
            (pixels, own) throws(PromptError) -> Tensor in imageFeatures(pixels, options: options, trace: own)
        }
    }

    /// The square patch grid of the features (after CLIP's class token where `full` keeps it); for a
    /// SigLIP tower the cells are patches but no [CLS] ranks them, and under `default` (first patch
    /// dropped) there is no square grid.
    public func imageSpanLayout(of pixels: Tensor) throws(PromptError) -> ImageSpanLayout {
        let side = config.visionConfig.gridSize
        guard config.visionConfig.hasClassToken else {
            guard config.imageFeatureCount == side * side else { return .noGrid }
            return ImageSpanLayout(rows: side, columns: side, gridOffsets: Array(0..<(side * side)), cellsAreVisionPatches: false)
        }
        return .patches(side: side, offset: imageFeaturesIncludeClassToken ? 1 : 0)
    }

    /// Splits token ids at image placeholders and pairs them with images.
    ///
    /// Both conventions are accepted: one placeholder per image (expanded to N features, LLaVA-1.5
    /// and transformers ≤ 4.46), or N consecutive placeholders per image (newer processors).
    public func segments(ids: [Int], images: [Tensor]) throws(PromptError) -> [PromptSegment] {
        PromptLayout.segments(try PromptLayout.split(ids, placeholder: config.imageTokenIndex, counts: featureCounts(images.count)), images: images)
    }

    /// Where each image's features sit in the embedded sequence (either placeholder convention).
    public func imageSpans(ids: [Int], imageCount: Int) throws(PromptError) -> [Range<Int>] {
        let counts = featureCounts(imageCount)
        return PromptLayout.spans(try PromptLayout.split(ids, placeholder: config.imageTokenIndex, counts: counts), counts: counts)
    }

    /// `imageFeatureCount` for each of `imageCount` images.
    private func featureCounts(_ imageCount: Int) -> [Int] { [Int](repeating: config.imageFeatureCount, count: imageCount) }

    /// One forward pass over a multimodal prompt (token ids with placeholders + images), filling the
    /// trace with LLM and vision captures.
    public func forward(ids: [Int], images: [Tensor], cache: KVCache?, options: ForwardOptions) throws(PromptError) -> ForwardTrace {
        let trace = ForwardTrace()
        let embeddings = try embed(try segments(ids: ids, images: images), options: options, trace: trace)
        return decode(embeddings, cache: cache, options: options, into: trace)
    }
}

extension LlavaForConditionalGeneration {
    /// Loads a Hugging Face `llava-hf` directory (`config.json` with `model_type: llava` + safetensors in
    /// any of the layouts `LlavaCheckpointLayout` lists).
    public static func load(directory: String, dtype: DType = .f32) throws -> LlavaForConditionalGeneration {
        try load(directory: directory, options: ModelLoadOptions(dtype: dtype))
    }

    /// Loads a `llava-hf` directory with its weights in `options.dtype` (validated first); layers are
    /// built without random initialisation and each weight goes from the mapped file into that dtype.
    public static func load(directory: String, options: ModelLoadOptions) throws -> LlavaForConditionalGeneration {
        try options.validate()
        let (config, path) = try HuggingFaceDirectory.config(LlavaConfig.self, directory: directory, modelType: "llava")
        let tied = config.textConfig.tieWordEmbeddings
        return try HuggingFaceDirectory.build(directory: directory, configPath: path, options: options,
                                              renames: LlavaCheckpointLayout.renames,
                                              ignoring: { LlavaCheckpointLayout.ignorable($0, tiedHead: tied) }) {
            () throws(ModelConfigError) in try LlavaForConditionalGeneration(config)
        }
    }
}
