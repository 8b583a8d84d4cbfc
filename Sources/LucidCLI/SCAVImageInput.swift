import Foundation
import LucidModels
import LucidPipeline
import LucidTensor

/// SCAV on a vision-language model's decoder: one image paired with every instruction.
enum SCAVImageInput {
    /// Turns templated ids holding one image placeholder into input embeddings with `image`'s
    /// features spliced in; nil without an image. Refuses an image for a text-only model.
    static func embedder(loaded: OpenedModel, model: String, image: String?) throws -> (([Int]) throws -> Tensor)? {
        guard let image else { return nil }
        guard let vlm = loaded.vision else {
            throw CLIError("--image needs a vision-language model; \(model) is a text-only model")
        }
        let pixels = try ImageOptions.pixelValues(image: image, for: loaded, padToSquare: false)
        return { ids in try withNoGrad { () throws(PromptError) -> Tensor in try vlm.embed(ids: ids, images: [pixels]) } }
    }
}
