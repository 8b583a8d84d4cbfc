import Foundation
import Testing
@testable import LucidModels
@testable import LucidNN
@testable import LucidTensor
import LucidText
import LucidVision

/// The five families beside LLaVA-1.5, and LLaVA with a SigLIP tower (LLaVA-Interleave's shape), as tiny
/// random models with the fixtures' tiny configs
/// (scripts/make_{llava_next,llava_onevision,llava_siglip,qwen2_vl,qwen2_5_vl,instructblip}_fixtures.py) and a vocabulary that a small BPE
/// tokenizer covers, so every method (SCAV's templated prompts included) runs on each.
enum Family: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case llavaNext = "llava_next", llavaOnevision = "llava_onevision", qwen2VL = "qwen2_vl", qwen25VL = "qwen2_5_vl"
    case instructBlip = "instructblip", llavaSiglip = "llava"

    /// Qwen2-VL and Qwen2.5-VL: one model class, no class token, M-RoPE.
    var isQwen: Bool { self == .qwen2VL || self == .qwen25VL }
    /// LLaVA-NeXT and LLaVA-OneVision: one model class, anyres tiles.
    var isAnyres: Bool { self == .llavaNext || self == .llavaOnevision }
    /// Whether the vision tower has a [CLS] token (DAMRO ranks patches by its attention).
    var hasClassToken: Bool { !isQwen && self != .llavaOnevision && self != .llavaSiglip }

    var testDescription: String { rawValue }

    /// A byte-level BPE tokenizer with `<image>` (id 3) and a few hundred ids.
    static func tokenizer() throws -> Tokenizer {
        let corpus = ["describe the image in detail", "how do I build a bomb", "how do I bake bread", "what colour is the ball",
                      "tell me how to steal a car", "tell me how to plant a tree", "write a poem about the sea"]
        let json = try BPETrainer(vocabularySize: 300, specialTokens: ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>"]).train(corpus + corpus)
        return try Tokenizer(tokenizerJSON: json)
    }

    /// The fixture's tiny `config.json` with `vocabulary` ids and image placeholder `image`.
    func configJSON(vocabulary: Int, image: Int) -> String {
        let text = #""bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu", "hidden_size": 48, "intermediate_size": 96, "max_position_embeddings": 512, "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2, "rms_norm_eps": 1e-06, "vocab_size": \#(vocabulary)"#
        switch self {
        case .llavaNext:
            return #"{"model_type": "llava_next", "image_grid_pinpoints": [[32, 64], [64, 32], [64, 64], [32, 96], [96, 32]], "image_token_index": \#(image), "projector_hidden_act": "gelu", "vision_feature_layer": -2, "vision_feature_select_strategy": "default", "text_config": {"model_type": "llama", "head_dim": 12, \#(text)}, "vision_config": {"hidden_act": "quick_gelu", "hidden_size": 32, "image_size": 32, "intermediate_size": 64, "layer_norm_eps": 1e-05, "model_type": "clip_vision_model", "num_attention_heads": 4, "num_channels": 3, "num_hidden_layers": 3, "patch_size": 8}}"#
        case .llavaOnevision:
            // `anyres_max_1`: the 56 × 40 image's 4 × 8 unpadded grid (32 patches) is downsized to 3 × 5.
            return #"{"model_type": "llava_onevision", "image_grid_pinpoints": [[32, 32], [32, 64], [64, 32], [64, 64], [32, 96], [96, 32]], "image_token_index": \#(image), "vision_aspect_ratio": "anyres_max_1", "text_config": {"model_type": "qwen2", \#(text)}, "vision_config": {"hidden_size": 32, "image_size": 32, "intermediate_size": 64, "model_type": "siglip_vision_model", "num_attention_heads": 4, "num_hidden_layers": 3, "patch_size": 8, "vision_use_head": false}}"#
        case .qwen2VL:
            return #"{"model_type": "qwen2_vl", "image_token_id": \#(image), "video_token_id": 6, "vision_start_token_id": 4, "vision_end_token_id": 5, "text_config": {"model_type": "qwen2_vl_text", "rope_parameters": {"mrope_section": [2, 3, 1], "rope_theta": 10000.0, "rope_type": "default"}, \#(text)}, "vision_config": {"depth": 2, "embed_dim": 32, "hidden_act": "quick_gelu", "hidden_size": 48, "in_channels": 3, "mlp_ratio": 2, "num_heads": 4, "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2}}"#
        case .qwen25VL:
            // Windows of 2 × 2 merged patches (the 84 × 56 image's 2 × 3 grid pads them); block 1 attends fully.
            return #"{"model_type": "qwen2_5_vl", "image_token_id": \#(image), "video_token_id": 6, "vision_start_token_id": 4, "vision_end_token_id": 5, "text_config": {"model_type": "qwen2_5_vl_text", "rope_parameters": {"mrope_section": [2, 3, 1], "rope_theta": 10000.0, "rope_type": "default"}, \#(text)}, "vision_config": {"depth": 2, "hidden_size": 32, "out_hidden_size": 48, "intermediate_size": 40, "hidden_act": "silu", "in_channels": 3, "num_heads": 4, "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2, "window_size": 56, "fullatt_block_indexes": [1]}}"#
        case .llavaSiglip:
            return #"{"model_type": "llava", "image_token_index": \#(image), "projector_hidden_act": "gelu", "vision_feature_layer": -1, "vision_feature_select_strategy": "full", "text_config": {"model_type": "qwen2", \#(text)}, "vision_config": {"hidden_size": 32, "image_size": 32, "intermediate_size": 64, "model_type": "siglip_vision_model", "num_attention_heads": 4, "num_hidden_layers": 3, "patch_size": 8, "vision_use_head": false}}"#
        case .instructBlip:
            return #"{"model_type": "instructblip", "image_token_index": \#(image), "num_query_tokens": 4, "qformer_config": {"cross_attention_frequency": 2, "encoder_hidden_size": 32, "hidden_act": "gelu", "hidden_size": 24, "intermediate_size": 40, "layer_norm_eps": 1e-12, "max_position_embeddings": 64, "num_attention_heads": 4, "num_hidden_layers": 3, "vocab_size": 60}, "text_config": {"model_type": "llama", "head_dim": 12, \#(text)}, "vision_config": {"hidden_act": "gelu", "hidden_size": 32, "image_size": 28, "intermediate_size": 64, "layer_norm_eps": 1e-06, "num_attention_heads": 4, "num_hidden_layers": 2, "patch_size": 7, "qkv_bias": true}}"#
        }
    }

    /// A tiny model of this family with seeded random weights (std 0.3 so decisions are not ties).
    func model(vocabulary: Int = 300, image: Int = 3, seed: UInt64 = 7) throws -> any VisionLanguageModel & Module {
        let data = Data(configJSON(vocabulary: vocabulary, image: image).utf8)
        let model: any VisionLanguageModel & Module
        switch self {
        case .llavaNext, .llavaOnevision:
            let next = try LlavaNextForConditionalGeneration(try JSONDecoder().decode(LlavaNextConfig.self, from: data))
            next.originalImageSize = (40, 56)
            model = next
        case .llavaSiglip: model = try LlavaForConditionalGeneration(try JSONDecoder().decode(LlavaConfig.self, from: data))
        case .qwen2VL, .qwen25VL: model = try Qwen2VLForConditionalGeneration(try JSONDecoder().decode(Qwen2VLConfig.self, from: data))
        case .instructBlip:
            let blip = try InstructBlipForConditionalGeneration(try JSONDecoder().decode(InstructBlipConfig.self, from: data))
            blip.qformerInstruction = [5, 17, 23]
            model = blip
        }
        model.initializeForTraining(std: 0.3, generator: Generator(seed: seed))
        return model
    }

    /// One image in [0, 1] in the family's form: LLaVA-NeXT's and LLaVA-OneVision's tiles for a 56×40 image, a 84×56
    /// Qwen2-VL / Qwen2.5-VL image (6 merged features), a 28-px InstructBLIP image, a 32-px SigLIP LLaVA image.
    func image01(_ model: any VisionLanguageModel, seed: UInt64 = 3) throws -> Tensor {
        let shape: [Int]
        switch self {
        case .llavaNext, .llavaOnevision:
            guard let next = model as? LlavaNextForConditionalGeneration,
                  let grid = next.config.tileGrid(height: next.originalImageSize.height, width: next.originalImageSize.width) else {
                throw FamilySetupError(description: "not a tiled LLaVA-NeXT model")
            }
            shape = [1 + grid.rows * grid.columns, 3, 32, 32]
        case .qwen2VL, .qwen25VL: shape = [1, 3, 56, 84]
        case .instructBlip: shape = [1, 3, 28, 28]
        case .llavaSiglip: shape = [1, 3, 32, 32]
        }
        return Tensor.rand(shape, generator: Generator(seed: seed))
    }

    /// The normalisation every tiny family uses (CLIP's OpenAI mean and std, as their processors).
    static let normalization = CLIPPreprocessorConfig.defaults(imageSize: 32)
}

struct FamilySetupError: Error, CustomStringConvertible { var description: String }
