import LucidModels
import LucidSupport
import LucidTensor
import LucidText
import LucidVision

extension ImageAttackContext {
    /// What every image attack starts from: the clean image file at the tower's size in [0, 1]
    /// [1, 3, S, S], the context for `prompt` with one image, and the end-of-sequence ids (the
    /// model's and the tokenizer's).
    ///
    /// `preprocessor` resizes and normalises as the model's image processor does (default: the
    /// CLIPImageProcessor defaults at the tower's size); it must give S×S images. `template` renders the
    /// prompt (default: the one detected from the tokenizer). `OpenedModel.imageAttack` passes the
    /// family's own.
    /// - Throws: `AttackError` when the preprocessor gives another size than the tower takes.
    public static func open(model: any VisionLanguageModel, tokenizer: Tokenizer, image: String, prompt: String,
                            preprocessor: CLIPPreprocessorConfig? = nil,
                            template: ChatTemplate? = nil) throws -> (clean: Tensor, context: ImageAttackContext, eos: [Int]) {
        let config = preprocessor ?? CLIPPreprocessorConfig.defaults(imageSize: model.imageSize)
        let decoded = try ImageDecoder.decode(path: image)
        let clean = try ImageError.naming(file: image) { try CLIPPreprocessor(config: config).unnormalized(decoded).tensor() }
        guard clean.size(2) == model.imageSize && clean.size(3) == model.imageSize else {
            throw AttackError("\(image): preprocessing gives a \(clean.size(2))×\(clean.size(3)) image but the attack works at the tower's \(model.imageSize)×\(model.imageSize)")
        }
        let ids = try tokenizer.encode(chat: [.user(prompt, images: 1)], template: template)
        // In order (the model's first, as `OpenedModel.stopTokenIDs`).
        let eos = (model.eosTokenIDs + [tokenizer.eosID].compactMap { $0 }).uniqueInOrder()
        return (clean, ImageAttackContext(model: model, preprocessor: config, promptIDs: ids), eos)
    }
}
