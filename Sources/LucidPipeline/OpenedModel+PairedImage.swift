import LucidAttacks
import LucidModels

extension OpenedModel {
    /// The image file at `image` paired with every instruction of a SCAV run: the family's pixel values,
    /// and each instruction given to the image encoder as generation gives it the prompt
    /// (InstructBLIP's Q-Former; a checkpoint without `qformer_tokenizer/` reads none, as
    /// `setImageInstruction` says).
    /// - Throws: `ModelOpenError` for a text-only model; image errors naming the file.
    public func pairedImage(_ image: String) throws -> PairedImage {
        guard let vision else { throw ModelOpenError("\(name) is a text-only model: --image needs a vision-language model") }
        let pixels = try pixelValues(image: image, padToSquare: false)
        let reads = readsImageInstruction
        return PairedImage(model: vision, pixels: pixels, readInstruction: reads ? { [self] in _ = try self.setImageInstruction($0) } : nil)
    }
}
