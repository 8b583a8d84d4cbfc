import ArgumentParser
import Foundation
import LucidModels
import LucidTensor
import LucidVision

/// Image options shared by `generate` and `inspect`.
struct ImageOptions: ParsableArguments {
    @Option(help: "An image (PNG or JPEG) for a vision-language model; the prompt gets one image placeholder.")
    var image: String?

    @Flag(help: "Pad the image to a square with the mean colour before resizing (original LLaVA-1.5), instead of the HF processor's resize + centre crop.")
    var padToSquare = false

    /// Normalised pixel values [1, 3, S, S] for `model`'s vision tower, or nil without --image.
    func pixelValues(for model: any VisionLanguageModel, directory: String) throws -> Tensor? {
        guard let image else { return nil }
        return try Self.pixelValues(image: image, for: model, directory: directory, padToSquare: padToSquare)
    }

    /// Normalised pixel values [1, 3, S, S] of the image at `image` for `model`'s vision tower.
    static func pixelValues(image: String, for model: any VisionLanguageModel, directory: String, padToSquare: Bool) throws -> Tensor {
        let size = model.imageSize
        let configPath = (directory as NSString).appendingPathComponent("preprocessor_config.json")
        let config: CLIPPreprocessorConfig
        do {
            config = FileManager.default.fileExists(atPath: configPath)
                ? try CLIPPreprocessorConfig.load(path: configPath) : .defaults(imageSize: size)
            let processor = try CLIPPreprocessor(config: config)
            let decoded = try ImageDecoder.decode(path: image)
            let pixels = try processor.pixelTensor(decoded, padToSquare: padToSquare)
            guard pixels.size(2) == size && pixels.size(3) == size else {
                throw CLIError("\(configPath): preprocessing gives \(pixels.size(2))×\(pixels.size(3)) images but the vision tower takes \(size)×\(size)")
            }
            return pixels
        } catch let error as ImageError {
            throw CLIError(error.description)
        }
    }
}
