import Foundation
import Testing
@testable import LucidModels

/// An explicit `null` in config.json is refused as transformers 5 refuses it, naming the key;
/// it means "not set" only where transformers reads it so (docs/security.md).
@Suite("config nulls")
struct ConfigNullTests {
    static let llava = """
    {"model_type": "llava", "image_token_index": 3, "projector_hidden_act": "gelu", "vision_feature_layer": -1,
     "text_config": {"model_type": "llama", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                     "num_attention_heads": 4, "num_key_value_heads": 4, "head_dim": 8, "rms_norm_eps": 1e-5, "rope_theta": 10000,
                     "max_position_embeddings": 128, "hidden_act": "silu", "eos_token_id": 2},
     "vision_config": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                       "image_size": 32, "patch_size": 16, "num_channels": 3, "layer_norm_eps": 1e-5, "hidden_act": "quick_gelu"}}
    """

    /// The LLaVA config above with `key` (under `section`) set to null.
    func withNull(_ section: String?, _ key: String) throws -> Data {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(Self.llava.utf8)) as? [String: Any])
        if let section {
            var inner = try #require(object[section] as? [String: Any])
            inner[key] = NSNull()
            object[section] = inner
        } else {
            object[key] = NSNull()
        }
        return try JSONSerialization.data(withJSONObject: object)
    }

    @Test func aNullValueIsAnErrorNamingItsKey() throws {
        let refused: [(String?, String)] = [
            ("text_config", "hidden_size"), ("text_config", "vocab_size"), ("text_config", "rms_norm_eps"), ("text_config", "rope_theta"),
            ("text_config", "hidden_act"), ("text_config", "tie_word_embeddings"), ("vision_config", "image_size"),
            ("vision_config", "patch_size"), ("vision_config", "layer_norm_eps"), (nil, "image_token_index"),
            (nil, "projector_hidden_act"), (nil, "vision_feature_layer"), (nil, "vision_feature_select_strategy"),
        ]
        for (section, key) in refused {
            do {
                _ = try JSONDecoder().decode(LlavaConfig.self, from: try withNull(section, key))
                Issue.record("\(section ?? "").\(key): null was accepted")
            } catch {
                let text = LlamaForCausalLM.describe(error)
                #expect(text.contains(([section, key].compactMap { $0 }).joined(separator: ".")) && text.contains("null"), "\(text)")
            }
        }
    }

    @Test func nullMeansNotSetWhereTransformersReadsItSo() throws {
        let base = try JSONDecoder().decode(LlavaConfig.self, from: Data(Self.llava.utf8))
        let heads = try JSONDecoder().decode(LlavaConfig.self, from: try withNull("text_config", "num_key_value_heads"))
        #expect(heads.textConfig.numKeyValueHeads == base.textConfig.numAttentionHeads)
        let headDim = try JSONDecoder().decode(LlavaConfig.self, from: try withNull("text_config", "head_dim"))
        #expect(headDim.textConfig.headDim == 32 / 4)
        let rope = try JSONDecoder().decode(LlavaConfig.self, from: try withNull("text_config", "rope_scaling"))
        #expect(rope.textConfig.ropeScaling == nil)
        let eos = try JSONDecoder().decode(LlavaConfig.self, from: try withNull("text_config", "eos_token_id"))
        #expect(eos.textConfig.eosTokenIDs.isEmpty)
        let vision = try JSONDecoder().decode(LlavaConfig.self, from: try withNull(nil, "vision_config"))
        #expect(vision.visionConfig == CLIPVisionConfig())
    }
}
