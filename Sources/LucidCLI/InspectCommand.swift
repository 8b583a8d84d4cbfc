import ArgumentParser
import Foundation
import LucidModels
import LucidPipeline
import LucidTensor

/// `lucid inspect`: one forward pass, captured tensors written to safetensors.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Run one forward pass over a prompt and write the captured tensors to safetensors.",
        discussion: """
        Tensors are written without the batch dimension: logits [T, V]; attentions.{l} [H, T, T]; \
        hidden_states.{i} [T, D] with Hugging Face indexing (0 = embeddings, last = after the final \
        norm); vision.attentions.{l} and vision.hidden_states.{i} likewise for the vision tower. \
        Layer indices in names are non-negative. --capture all takes everything, otherwise e.g. \
        `logits,attentions:-1,hidden:10`. With --pixel-values the file must hold `pixel_values` \
        [1, 3, H, W] already preprocessed, and --input-ids must contain the image placeholder id.
        """
    )

    @Option(help: "Model: a GGUF file, a Hugging Face directory, or `smollm2`.")
    var model: String

    @OptionGroup var prompt: PromptOptions

    @OptionGroup var imageOptions: ImageOptions

    @OptionGroup var runtime: ModelRuntimeOptions

    @Option(help: "A safetensors file with a preprocessed `pixel_values` [1, 3, H, W] tensor.")
    var pixelValues: String?

    @Option(help: "What to capture (see above).")
    var capture: String = "logits"

    @Option(help: "Output safetensors path.")
    var out: String

    func validate() throws {
        if pixelValues != nil && imageOptions.image != nil { throw ValidationError("--image and --pixel-values exclude each other") }
        _ = try CaptureSpec(parsing: capture)
    }

    func run() throws {
        let spec = try CaptureSpec(parsing: capture)
        let loaded = try openModel(model, runtime: runtime)
        var images: [Tensor] = []
        if loaded.vision != nil, let pixels = try imageOptions.pixelValues(for: loaded) {
            images.append(pixels)
        } else if imageOptions.image != nil {
            throw CLIError("\(model) is a text-only model: --image needs a LLaVA model")
        }
        if let pixelValues {
            let file: SafetensorsFile
            file = try SafetensorsFile(path: pixelValues)
            guard let entry = file.entry(named: "pixel_values") else { throw CLIError("\(pixelValues): no tensor named pixel_values") }
            guard entry.shape.count == 4, entry.shape[0] == 1, entry.shape[1] == 3 else {
                throw CLIError("\(pixelValues): pixel_values has shape \(entry.shape), expected [1, 3, H, W]")
            }
            images.append(try file.loadTensor(for: entry).to(.f32))
        }
        let ids = try prompt.tokenIDs(tokenizer: { try openTokenizer(model) }, imageCount: images.count)
        let trace: ForwardTrace
        if let vlm = loaded.vision {
            if let size = images.first?.shape.last, size != vlm.imageSize {
                throw CLIError("pixel_values are \(size)×\(size) but the vision tower takes \(vlm.imageSize)")
            }
            trace = try withNoGrad { () throws(PromptError) -> ForwardTrace in
                try vlm.forward(ids: ids, images: images, cache: nil, options: spec.forwardOptions)
            }
        } else {
            let llm = loaded.model
            guard images.isEmpty else { throw CLIError("\(model) is a text-only model: --pixel-values needs a LLaVA model") }
            if let bad = ids.first(where: { $0 < 0 || $0 >= llm.vocabularySize }) {
                throw CLIError("token id \(bad) is outside the vocabulary (0..<\(llm.vocabularySize))")
            }
            trace = withNoGrad { llm.forward(tokens: Tensor(ids, shape: [1, ids.count]), cache: nil, options: spec.forwardOptions) }
        }
        var tensors: [(String, Tensor)] = []
        if let logits = trace.logits { tensors.append(("logits", logits[0])) }
        for (l, t) in trace.attentions.sorted(by: { $0.key < $1.key }) { tensors.append(("attentions.\(l)", t[0])) }
        for (i, t) in trace.hiddenStates.sorted(by: { $0.key < $1.key }) { tensors.append(("hidden_states.\(i)", t[0])) }
        for (l, t) in trace.visionAttentions.sorted(by: { $0.key < $1.key }) { tensors.append(("vision.attentions.\(l)", t[0])) }
        for (i, t) in trace.visionHiddenStates.sorted(by: { $0.key < $1.key }) { tensors.append(("vision.hidden_states.\(i)", t[0])) }
        try writeTensors(tensors, metadata: ["input_ids": ids.map(String.init).joined(separator: ","), "model": model,
                                             "capture": capture], to: out)
        FileHandle.standardError.write(Data("wrote \(tensors.count) tensors to \(out)\n".utf8))
    }
}
