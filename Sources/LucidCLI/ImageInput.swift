import ArgumentParser
import Foundation
import LucidModels
import LucidPipeline
import LucidTensor
import LucidVision

/// Image options shared by `generate` and `inspect`.
struct ImageOptions: ParsableArguments {
    @Option(name: .customLong("image"), help: "An image (PNG or JPEG) for a vision-language model; the prompt gets one image placeholder per --image, in order. Repeat it for several images in one prompt (LLaVA-1.5 and SigLIP LLaVA, LLaVA-OneVision, Qwen2-VL, Qwen2.5-VL; not LLaVA-NeXT or InstructBLIP), each preprocessed as the family's processor does an image among several.")
    var images: [String] = []

    @Flag(help: "Pad the image to a square with the mean colour before resizing (original LLaVA-1.5), instead of the HF processor's resize + centre crop.")
    var padToSquare = false

    /// The pixel values of every --image for `model`'s vision tower, in order (none without --image).
    /// With images, an encoder that reads the prompt (InstructBLIP's Q-Former) gets `prompt`, as the
    /// family's processor gives it; standard error says when it cannot.
    func pixelValues(for model: OpenedModel, prompt: String?) throws -> [Tensor] {
        if images.isEmpty { return [] }
        let pixels = try model.pixelValues(imageFiles: images, padToSquare: padToSquare)
        if let prompt {
            if case .missingTokenizer(let path) = try model.setImageInstruction(prompt) {
                warn("\(path) is missing: the Q-Former reads no instruction (transformers' processor would give it the prompt)")
            }
        } else if model.readsImageInstruction {
            warn("with --input-ids the Q-Former reads no instruction; give --prompt, or --pixel-values with qformer_input_ids")
        }
        return pixels
    }

    private func warn(_ text: String) { FileHandle.standardError.write(Data("lucid: \(text)\n".utf8)) }

    /// Normalised pixel values [1, 3, S, S] of the image at `image` for `model`'s vision tower.
    static func pixelValues(image: String, for model: OpenedModel, padToSquare: Bool) throws -> Tensor {
        try model.pixelValues(image: image, padToSquare: padToSquare)
    }

    /// The same for a LLaVA model opened from `directory` outside the registry.
    static func pixelValues(image: String, for model: any VisionLanguageModel, directory: String, padToSquare: Bool) throws -> Tensor {
        try ModelFamily.llava.pixelValues(image: image, for: model, directory: directory, padToSquare: padToSquare)
    }
}
