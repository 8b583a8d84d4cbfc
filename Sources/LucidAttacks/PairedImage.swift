import LucidGeneration
import LucidModels
import LucidTensor

/// One image paired with every instruction of a SCAV run (probe training and the steering attack):
/// each templated prompt's input embeddings with the image's features, at the model's own positions
/// (Qwen2-VL's M-RoPE), after the image encoder has read the instruction where its family does
/// (InstructBLIP's Q-Former).
public struct PairedImage {
    public let model: any VisionLanguageModel
    /// Normalised pixel values of the image, as the family's processor gives them.
    public let pixels: Tensor
    /// Gives the image encoder an instruction's text before its image is embedded (nil: the family
    /// reads none); `OpenedModel.pairedImage` sets it for InstructBLIP.
    public var readInstruction: ((String) throws -> Void)?

    public init(model: any VisionLanguageModel, pixels: Tensor, readInstruction: ((String) throws -> Void)? = nil) {
        self.model = model
        self.pixels = pixels
        self.readInstruction = readInstruction
    }

    /// What the model's gate answers for the image (Q-MLLM's refusal), or nil when it lets it through
    /// or there is no gate: generation would refuse every instruction paired with it.
    public func gateRefusal() -> String? { withNoGrad { model.screenImage(pixels) } }

    /// The prefill of `ids` (the templated `instruction` with one image placeholder): embeddings, with
    /// their positions where the model places the prompt explicitly.
    public func prefill(ids: [Int], instruction: String) throws -> Prefill {
        try readInstruction?(instruction)
        let embeddings = try withNoGrad { () throws(PromptError) -> Tensor in try model.embed(ids: ids, images: [pixels]) }
        guard let positions = try model.ropePositions(ids: ids, images: [pixels]) else { return .embeddings(embeddings) }
        return .positionedEmbeddings(embeddings, positions: positions)
    }
}
