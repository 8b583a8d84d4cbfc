import ArgumentParser
import Foundation
import LucidModels
import LucidPipeline
import LucidTensor
import LucidVision

/// Image options shared by `generate` and `inspect`.
struct ImageOptions: ParsableArguments {
    @Option(name: .customLong("image"), help: "An image (PNG or JPEG) for a vision-language model; the prompt gets one image placeholder. Once: several images in a prompt come from --pixel-values (a processor's outputs) or lucid serve.")
    var images: [String] = []

    /// The one `--image` (a repeated flag is refused in `validate`, not silently overridden).
    var image: String? { images.first }

    @Flag(help: "Pad the image to a square with the mean colour before resizing (original LLaVA-1.5), instead of the HF processor's resize + centre crop.")
    var padToSquare = false

    /// Normalised pixel values [1, 3, S, S] for `model`'s vision tower, or nil without --image. With
    /// an image, an encoder that reads the prompt (InstructBLIP's Q-Former) gets `prompt`, as the
    /// family's processor gives it; standard error says when it cannot.
    func pixelValues(for model: OpenedModel, prompt: String?) throws -> Tensor? {
        guard let image else { return nil }
        let pixels = try Self.pixelValues(image: image, for: model, padToSquare: padToSquare)
        if let prompt {
            if case .missingTokenizer(let path) = try model.setImageInstruction(prompt) {
                warn("\(path) is missing: the Q-Former reads no instruction (transformers' processor would give it the prompt)")
            }
        } else if model.readsImageInstruction {
            warn("with --input-ids the Q-Former reads no instruction; give --prompt, or --pixel-values with qformer_input_ids")
        }
        return pixels
    }

    func validate() throws {
        guard images.count <= 1 else {
            throw ValidationError("--image was given \(images.count) times; a prompt here takes one image (several: --pixel-values with a processor's outputs, or lucid serve)")
        }
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
