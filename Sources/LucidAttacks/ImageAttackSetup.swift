import LucidModels
import LucidTensor
import LucidText
import LucidVision

extension ImageAttackContext {
    /// What every image attack starts from: the clean image file at the tower's size in [0, 1]
    /// [1, 3, S, S], the context for `prompt` with one image in the tokenizer's chat template, and
    /// the end-of-sequence ids (the model's and the tokenizer's).
    public static func open(model: any VisionLanguageModel, tokenizer: Tokenizer, image: String,
                            prompt: String) throws -> (clean: Tensor, context: ImageAttackContext, eos: [Int]) {
        let config = CLIPPreprocessorConfig.defaults(imageSize: model.imageSize)
        let decoded = try ImageDecoder.decode(path: image)
        let clean = try ImageError.naming(file: image) { try CLIPPreprocessor(config: config).unnormalized(decoded).tensor() }
        let ids = try tokenizer.encode(chat: [.user(prompt, images: 1)])
        let eos = Array(Set(model.eosTokenIDs + [tokenizer.eosID].compactMap { $0 }))
        return (clean, ImageAttackContext(model: model, preprocessor: config, promptIDs: ids), eos)
    }
}
