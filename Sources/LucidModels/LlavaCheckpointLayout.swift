import LucidNN

/// Key layouts of LLaVA-family checkpoints, mapped onto Lucid's module names.
///
/// Three layouts exist in the wild and all load:
/// - the Hub's (llava-hf, transformers ≤ 4.46): `vision_tower.vision_model.*`, `multi_modal_projector.*`,
///   `language_model.model.*`, `language_model.lm_head.weight`, `image_newline`;
/// - what `save_pretrained` of transformers 5.x writes: the same, but the tower without its
///   `vision_model.` level (`vision_tower.embeddings.*`, `vision_tower.encoder.*`);
/// - transformers' in-memory layout since 4.52 (`model.vision_tower.*`, `model.multi_modal_projector.*`,
///   `model.language_model.*`, `model.image_newline`, `lm_head.weight`), which some re-uploads ship.
/// Lucid's names are the Hub's.
public enum LlavaCheckpointLayout {
    /// Renames from any of the three layouts to the Hub's, applied in order to every checkpoint name.
    public static let renames: [KeyRename] = [
        .prefix("model.language_model.", "language_model.model."),
        .prefix("lm_head.", "language_model.lm_head."),
        .prefix("model.vision_tower.", "vision_tower."),
        .prefix("model.multi_modal_projector.", "multi_modal_projector."),
        .prefix("model.image_newline", "image_newline"),
        // Hub and transformers-5 towers both end up with one `vision_model.` level.
        .prefix("vision_tower.vision_model.", "vision_tower."),
        .prefix("vision_tower.", "vision_tower.vision_model."),
    ]

    /// Checkpoint names (after renames) that carry no parameter: RoPE and position-id buffers, a
    /// tied head when the text config ties it, and a SigLIP tower's pooling head (no LLaVA reads it).
    public static func ignorable(_ name: String, tiedHead: Bool) -> Bool {
        name.hasSuffix("position_ids") || name.hasSuffix("rotary_emb.inv_freq")
            || name.hasPrefix("vision_tower.vision_model.head.")
            || (tiedHead && name == "language_model.lm_head.weight")
    }
}
