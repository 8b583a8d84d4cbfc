import Foundation
import LucidModels
import LucidText
import LucidTensor
import LucidVision

/// The families beside LLaVA-1.5 that `ModelRegistry.standard` opens by `model_type`: each loads a
/// Hugging Face directory, reads images with its own processor (`preprocessor_config.json`, or the
/// transformers defaults for the model's tower when there is none) and takes the tokenizer's chat template.
extension ModelFamily {
    /// LLaVA-NeXT (`llava_next`): anyres tiles; `--image` sets the model's `originalImageSize`.
    public static var llavaNext: ModelFamily {
        anyresFamily(modelType: LlavaNextConfig.Variant.llavaNext.rawValue) { directory, model in
            let path = (directory as NSString).appendingPathComponent("preprocessor_config.json")
            if FileManager.default.fileExists(atPath: path) { return try LlavaNextImageProcessor.load(path: path) }
            return try LlavaNextImageProcessor(config: .defaults(imageSize: model.imageSize),
                                               gridPinpoints: model.config.imageGridPinpoints.compactMap {
                                                   $0.count == 2 ? LlavaNextImageProcessor.GridPinpoint(height: $0[0], width: $0[1]) : nil
                                               })
        }
    }

    /// LLaVA-OneVision (`llava_onevision`): LLaVA-NeXT's anyres path with a SigLIP tower, OneVision's
    /// processor (exact resize, no crop) and the `anyres_max_N` downsizing; `--image` sets `originalImageSize`.
    public static var llavaOnevision: ModelFamily {
        let processor = { (directory: String, model: LlavaNextForConditionalGeneration) throws -> LlavaNextImageProcessor in
            let path = (directory as NSString).appendingPathComponent("preprocessor_config.json")
            if FileManager.default.fileExists(atPath: path) { return try LlavaNextImageProcessor.loadOnevision(path: path) }
            return try LlavaNextImageProcessor.onevisionDefaults(imageSize: model.imageSize)
        }
        var family = anyresFamily(modelType: LlavaNextConfig.Variant.llavaOnevision.rawValue, processor: processor)
        // transformers' processor with `batch_num_images` > 1: `pad_to_square` with the mean colour, then
        // the per-tile steps, no anyres tiles; the model encodes that one tile.
        family.imagePixelsAmongSeveral = { image, directory, model in
            guard let next = model as? LlavaNextForConditionalGeneration else { throw ModelOpenError("\(directory): not a llava_onevision model") }
            return try processor(directory, next).clip.pixelTensor(image, padToSquare: true)
        }
        return family
    }

    /// A family of `LlavaNextForConditionalGeneration` whose images go through `processor`.
    static func anyresFamily(modelType: String,
                             processor: @escaping (String, LlavaNextForConditionalGeneration) throws -> LlavaNextImageProcessor) -> ModelFamily {
        var family = ModelFamily(modelTypes: [modelType], load: { path, options in
            let model = try LlavaNextForConditionalGeneration.load(directory: path, options: options.load)
            return LoadedWeights(model: model, eosTokenIDs: model.eosTokenIDs, hiddenSize: model.hiddenSize)
        }, imageProcessor: { directory, model in
            guard let next = model as? LlavaNextForConditionalGeneration else { return .defaults(imageSize: model.imageSize) }
            return try processor(directory, next).clip.config
        }, imagePixels: { image, directory, model in
            guard let next = model as? LlavaNextForConditionalGeneration else { throw ModelOpenError("\(directory): not a \(modelType) model") }
            let prepared = try processor(directory, next).pixelValues(image)
            next.originalImageSize = (prepared.height, prepared.width)
            return Tensor.cat(prepared.tiles.map { $0.tensor() }, axis: 0)
        })
        family.attackImage = { image, directory, model in
            guard let next = model as? LlavaNextForConditionalGeneration else { throw ModelOpenError("\(directory): not a \(modelType) model") }
            return try anyresAttackImage(processor(directory, next), image: image, model: next)
        }
        return family
    }

    /// Qwen2-VL (`qwen2_vl`): `smart_resize`d images, patches flattened inside the model.
    public static var qwen2VL: ModelFamily { qwenFamily(modelType: Qwen2VLVisionConfig.Variant.qwen2VL.rawValue) }

    /// Qwen2.5-VL (`qwen2_5_vl`): Qwen2-VL's loader, processor and prompt path; the model reads its
    /// own tower (RMSNorm, gated MLP, window attention) from `config.json`.
    public static var qwen25VL: ModelFamily { qwenFamily(modelType: Qwen2VLVisionConfig.Variant.qwen25VL.rawValue) }

    /// The Qwen2-VL-style family of `modelType`.
    static func qwenFamily(modelType: String) -> ModelFamily {
        ModelFamily(modelTypes: [modelType], load: { path, options in
            let model = try Qwen2VLForConditionalGeneration.load(directory: path, options: options.load)
            return LoadedWeights(model: model, eosTokenIDs: model.eosTokenIDs, hiddenSize: model.hiddenSize)
        }, imageProcessor: { directory, _ in
            try qwenProcessor(directory).clip
        }, imagePixels: { image, directory, model in
            guard let qwen = model as? Qwen2VLForConditionalGeneration else { throw ModelOpenError("\(directory): not a Qwen2-VL or Qwen2.5-VL model") }
            let prepared = try qwenProcessor(directory).pixelValues(image)
            return try qwen.image(fromPatches: prepared.patches, grid: Qwen2VLGrid(t: prepared.grid.t, h: prepared.grid.h, w: prepared.grid.w))
        })
    }

    /// InstructBLIP (`instructblip`, Llama-family decoders): BLIP's exact resize, no crop. The Q-Former
    /// instruction is the prompt's text through `qformer_tokenizer/` (`OpenedModel.setImageInstruction`),
    /// or what a `--pixel-values` file carries; empty until one of them sets it. Prompts: the model's
    /// own chat template where its tokenizer has one, else InstructBLIP's processor format (`instructblip`).
    public static var instructBlip: ModelFamily {
        ModelFamily(modelTypes: ["instructblip"], load: { path, options in
            let model = try InstructBlipForConditionalGeneration.load(directory: path, options: options.load)
            return LoadedWeights(model: model, eosTokenIDs: model.eosTokenIDs, hiddenSize: model.hiddenSize)
        }, imageProcessor: { directory, model in
            let path = (directory as NSString).appendingPathComponent("preprocessor_config.json")
            if FileManager.default.fileExists(atPath: path) { return try CLIPPreprocessorConfig.loadBlip(path: path) }
            var config = CLIPPreprocessorConfig.defaults(imageSize: model.imageSize)
            config.size = .exact(height: model.imageSize, width: model.imageSize)
            config.doCenterCrop = false
            return config
        }, imageInstruction: instructBlipInstruction, chatTemplate: { ChatTemplate.detect(for: $0) ?? .instructBlip })
    }

    /// A directory's Qwen2-VL processor (Qwen2.5-VL ships the same one), or transformers' defaults without a config.
    static func qwenProcessor(_ directory: String) throws -> Qwen2VLImageProcessor {
        let path = (directory as NSString).appendingPathComponent("preprocessor_config.json")
        return FileManager.default.fileExists(atPath: path) ? try Qwen2VLImageProcessor.load(path: path) : try Qwen2VLImageProcessor()
    }
}
