import LucidAttacks
import LucidModels
import LucidTensor
import LucidText
import LucidVision

/// What an image attack on an opened model starts from (`OpenedModel.imageAttack`).
public struct ImageAttackStart {
    /// The clean image in [0, 1], [1, 3, H, W], as the processor prepares it (LLaVA-NeXT: fitted to its canvas).
    public let clean: Tensor
    /// The prompt with one image, in the family's chat template, and the family's normalisation.
    public let context: ImageAttackContext
    /// The ids that end a response (`OpenedModel.stopTokenIDs`).
    public let eos: [Int]
    /// What the image encoder reads of the prompt (InstructBLIP's Q-Former), set for the attack.
    public let instruction: ImageInstruction
}

extension OpenedModel {
    /// The start of an image attack on `image` with `prompt`, prepared as generation prepares them: the
    /// family's chat template (InstructBLIP's processor format where its tokenizer has none), the image
    /// through the family's processor (resize, and a SigLIP tower's mean and std, not CLIP's), the
    /// prompt as InstructBLIP's Q-Former instruction, and the same stop ids.
    ///
    /// The attack perturbs the processed image in [0, 1] (its normalised form undone), so at ε = 0 it
    /// feeds the model exactly generation's pixel values, and the PNG it writes reloads to them
    /// (LLaVA-1.5 at the tower's side, InstructBLIP's exact resize, Qwen2-VL's `smart_resize` size).
    /// LLaVA-NeXT and OneVision perturb the image resized to its canvas, and the family's tensor ops
    /// make the tile stack of it (`ModelFamily.attackImage`, `ImageAttackContext.imageTransform`).
    /// `template` renders the prompt instead of the family's (a manifest entry's `template:`).
    /// - Throws: `ModelOpenError` for a text-only model, an unknown template or a processor that does
    ///   not rescale by 1/255; image errors.
    public func imageAttack(tokenizer: Tokenizer, image: String, prompt: String, template: ChatTemplate? = nil) throws -> ImageAttackStart {
        guard let vision else { throw ModelOpenError("\(name) is a text-only model: image attacks need a vision-language model") }
        guard let template = template ?? chatTemplate(for: tokenizer) else {
            throw ModelOpenError("\(name): cannot tell the model's chat template (\(ChatTemplate.undetectedReason(for: tokenizer)))")
        }
        guard let normalization = try imageNormalization() else { throw ModelOpenError("\(name): this model family reads no images") }
        // The attack's variable is the image in [0, 1]: 8-bit pixels rescaled by 1/255, as every released processor does.
        guard normalization.doRescale, abs(normalization.rescaleFactor * 255 - 1) < 1e-6 else {
            throw ModelOpenError("\(name): its processor rescales pixels by \(normalization.doRescale ? normalization.rescaleFactor : 1), not 1/255; "
                                 + "image attacks work on pixels in [0, 1]")
        }
        let clean: Tensor, transform: ((Tensor) -> Tensor)?
        if let attackImage = family.attackImage {
            let decoded = try ImageDecoder.decode(path: image)
            let start = try ImageError.naming(file: image) { try attackImage(decoded, path, vision) }
            (clean, transform) = (start.clean, start.transform)
        } else {
            let pixels = try pixelValues(image: image, padToSquare: false)
            guard pixels.rank == 4, pixels.size(0) == 1 else {
                throw ModelOpenError("\(name): its processor makes \(pixels.size(0)) images of one (\(modelType)), and the family gives no attack image")
            }
            (clean, transform) = (withNoGrad { normalization.denormalize(pixels).clamped(min: 0, max: 1) }, nil)
        }
        let instruction = try setImageInstruction(prompt)
        let pixels = withNoGrad {
            ImageAttackContext(model: vision, preprocessor: normalization, promptIDs: [], imageTransform: transform).modelImage(clean)
        }
        do { try vision.checkImage(pixels) } catch { throw ModelOpenError("\(image): \(error)") }
        // The placeholder expanded to the image's run of features, as the processors write it: the
        // attack's positions then follow this image's size (Qwen2-VL's grid, NeXT's tiles), not the tower's square.
        let count = try vision.imageFeatureCount(of: pixels)
        let ids = try tokenizer.encode(chat: [.user(prompt, images: 1)], template: template).flatMap {
            $0 == vision.imagePlaceholderID ? [Int](repeating: $0, count: count) : [$0]
        }
        let context = ImageAttackContext(model: vision, preprocessor: normalization, promptIDs: ids, imageTransform: transform)
        return ImageAttackStart(clean: clean, context: context, eos: stopTokenIDs(tokenizer: tokenizer), instruction: instruction)
    }
}
