import Foundation
import LucidDefense
import LucidModels
import LucidOrganisms
import LucidTensor
import LucidText
import LucidVision

/// What a family's loader returns: the decoder and the configuration facts Lucid needs around it.
public struct LoadedWeights {
    public var model: any CausalLanguageModel
    public var eosTokenIDs: [Int]
    public var hiddenSize: Int
    /// A defence the directory carries and the loader installed (Q-MLLM), if any.
    public var defense: QMLLMDefense?

    public init(model: any CausalLanguageModel, eosTokenIDs: [Int], hiddenSize: Int, defense: QMLLMDefense? = nil) {
        self.model = model
        self.eosTokenIDs = eosTokenIDs
        self.hiddenSize = hiddenSize
        self.defense = defense
    }
}

/// How to open the models of one family: which `model_type`s it covers, its loader, its image
/// processor (vision families) and its fallback chat template.
public struct ModelFamily {
    /// `model_type` values of `config.json` this family opens.
    public var modelTypes: [String]
    /// Opens a resolved path of this family.
    public var load: (_ path: String, _ options: ModelOpenOptions) throws -> LoadedWeights
    /// The pixel preprocessing of a vision model opened from `directory`; nil for text-only families.
    public var imageProcessor: ((_ directory: String, _ model: any VisionLanguageModel) throws -> CLIPPreprocessorConfig)?
    /// The chat template for a tokenizer (default: detected from the tokenizer's own template).
    public var chatTemplate: (Tokenizer) -> ChatTemplate?
    /// The model's image tensor of a decoded image, for families whose processor is more than
    /// `imageProcessor`'s CLIP steps (LLaVA-NeXT's tiles, Qwen2-VL's smart resize); nil: those steps.
    public var imagePixels: ((_ image: RGBImage, _ directory: String, _ model: any VisionLanguageModel) throws -> Tensor)?
    /// The model's image tensor of a decoded image in a prompt with several, for families whose
    /// processor treats those differently (LLaVA-OneVision: padded to a square, one base tile, as with
    /// `batch_num_images` > 1); nil: as a lone image.
    public var imagePixelsAmongSeveral: ((_ image: RGBImage, _ directory: String, _ model: any VisionLanguageModel) throws -> Tensor)?
    /// For an image encoder that reads the prompt's text (InstructBLIP's Q-Former), what gives it that
    /// text as the family's processor does; made once per opened model (it loads the tokenizer). Nil for
    /// families whose images do not depend on the text.
    public var imageInstruction: ((_ directory: String, _ model: any VisionLanguageModel) throws -> ImageInstructionReader)?
    /// An image attack's start for families whose image tensor is not one processed image (LLaVA-NeXT's
    /// tiles): the image in [0, 1] the attack perturbs and the tensor ops that make the model's image of
    /// it (`AttackImage`); nil: the processed image itself (`OpenedModel.imageAttack`).
    public var attackImage: ((_ image: RGBImage, _ directory: String, _ model: any VisionLanguageModel) throws -> AttackImage)?

    public init(modelTypes: [String], load: @escaping (_ path: String, _ options: ModelOpenOptions) throws -> LoadedWeights,
                imageProcessor: ((_ directory: String, _ model: any VisionLanguageModel) throws -> CLIPPreprocessorConfig)? = nil,
                imagePixels: ((_ image: RGBImage, _ directory: String, _ model: any VisionLanguageModel) throws -> Tensor)? = nil,
                imageInstruction: ((_ directory: String, _ model: any VisionLanguageModel) throws -> ImageInstructionReader)? = nil,
                chatTemplate: @escaping (Tokenizer) -> ChatTemplate? = { ChatTemplate.detect(for: $0) }) {
        self.modelTypes = modelTypes
        self.load = load
        self.imageProcessor = imageProcessor
        self.imagePixels = imagePixels
        self.imageInstruction = imageInstruction
        self.chatTemplate = chatTemplate
    }
}

/// Options of `ModelRegistry.open`.
public struct ModelOpenOptions {
    /// What a Q-MLLM model's patch quantiser passes backward: `.blocked` as released,
    /// `.straightThrough` for BPDA attacks (forward passes are the same either way).
    public var quantizerGradient: VectorQuantizer.Gradient
    /// The dtype and device of the weights, activations and KV caches (`--dtype`, `--device`, the
    /// manifest keys `dtype`/`device`); validated by `ModelRegistry.open` before any file is read.
    public var load: ModelLoadOptions

    public init(quantizerGradient: VectorQuantizer.Gradient = .blocked, load: ModelLoadOptions = .standard) {
        self.quantizerGradient = quantizerGradient
        self.load = load
    }
}

extension ModelFamily {
    /// Llama-architecture text models: Hugging Face `llama`, `mistral`, `qwen2` directories and GGUF files.
    public static var llama: ModelFamily {
        ModelFamily(modelTypes: LlamaForCausalLM.supportedModelTypes) { path, options in
        let model = try LlamaForCausalLM.load(path: path, options: options.load)
        return LoadedWeights(model: model, eosTokenIDs: model.config.eosTokenIDs, hiddenSize: model.config.hiddenSize)
        }
    }

    /// LLaVA-1.5 (`llava`): Hugging Face directories, Lucid organisms (frozen language model + adapter)
    /// and Q-MLLM directories (quantiser and gate installed).
    public static var llava: ModelFamily {
        ModelFamily(modelTypes: ["llava"], load: { path, options in
        let model: LlavaForConditionalGeneration
        var defense: QMLLMDefense?
        if QMLLMDirectory.isQMLLM(path) {
            let (loaded, installed) = try QMLLMDirectory.load(directory: path, options: options.load)
            installed.backward = options.quantizerGradient  // the installed transform keeps the defence alive
            (model, defense) = (loaded, installed)
        } else {
            model = try OrganismLoader.load(directory: path, options: options.load)
        }
        return LoadedWeights(model: model, eosTokenIDs: model.eosTokenIDs, hiddenSize: model.hiddenSize, defense: defense)
    }, imageProcessor: { directory, model in
        // A SigLIP tower (LLaVA-Interleave) comes with SigLIP's processor: an exact resize, no crop.
        let siglip = (model as? LlavaForConditionalGeneration)?.config.visionConfig.hasClassToken == false
        let configPath = (directory as NSString).appendingPathComponent("preprocessor_config.json")
        guard FileManager.default.fileExists(atPath: configPath) else {
            return siglip ? .siglipDefaults(imageSize: model.imageSize) : .defaults(imageSize: model.imageSize)
        }
        return siglip ? try .loadExactResize(path: configPath, defaults: .siglipDefaults(imageSize: model.imageSize))
            : try CLIPPreprocessorConfig.load(path: configPath)
    })
    }
}
