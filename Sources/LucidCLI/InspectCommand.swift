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
        norm); vision.attentions.{l} [H, N, N] and vision.hidden_states.{i} [N, D] likewise for the vision \
        tower (LLaVA-NeXT and LLaVA-OneVision keep a leading axis of tiles; Qwen2-VL's patches are in the processor's order). \
        Layer indices in names are non-negative. --capture all takes everything, otherwise e.g. \
        `logits,attentions:-1,hidden:10`. --pixel-values takes a safetensors file of the Hugging Face \
        processor's outputs under their names (pixel_values; image_sizes for LLaVA-NeXT and LLaVA-OneVision, image_grid_thw \
        for Qwen2-VL, qformer_input_ids for InstructBLIP), with --input-ids holding the processor's ids. With several \
        images (--image repeated, or a processor's outputs of several), each image's tower captures are \
        image.{k}.vision.attentions.{l} and image.{k}.vision.hidden_states.{i}, k counting from 0 in prompt order.
        """
    )

    @Option(help: "Model: a GGUF file, a Hugging Face directory or repository id in the local hub cache (org/name[@revision]), a bundled organism, or `smollm2`.")
    var model: String

    @OptionGroup var prompt: PromptOptions

    @OptionGroup var imageOptions: ImageOptions

    @OptionGroup var runtime: ModelRuntimeOptions

    @Option(help: "A safetensors file of the HF processor's outputs (pixel_values and the family's extras).")
    var pixelValues: String?

    @Option(help: "What to capture (see above).")
    var capture: String = "logits"

    @Option(help: "Output safetensors path.")
    var out: String

    func validate() throws {
        if pixelValues != nil && !imageOptions.images.isEmpty { throw ValidationError("--image and --pixel-values exclude each other") }
        _ = try CaptureSpec(parsing: capture)
    }

    func run() throws {
        let spec = try CaptureSpec(parsing: capture)
        let loaded = try openModel(model, runtime: runtime)
        var images: [Tensor] = []
        if loaded.vision != nil {
            images = try imageOptions.pixelValues(for: loaded, prompt: prompt.prompt)
        } else if !imageOptions.images.isEmpty {
            throw CLIError("\(model) is a text-only model: --image needs a vision-language model")
        }
        if let pixelValues {
            guard let vlm = loaded.vision else { throw CLIError("\(model) is a text-only model: --pixel-values needs a vision-language model") }
            images += try ProcessorOutputs.load(path: pixelValues).images(for: vlm)
        }
        let ids = try prompt.tokenIDs(tokenizer: { try openTokenizer(model) }, imageCount: images.count, model: loaded)
        let trace: ForwardTrace
        if let vlm = loaded.vision {
            trace = try withNoGrad { () throws(PromptError) -> ForwardTrace in
                try vlm.forward(ids: ids, images: images, cache: nil, options: spec.forwardOptions)
            }
        } else {
            let llm = loaded.model
            guard images.isEmpty else { throw CLIError("\(model) is a text-only model: --pixel-values needs a vision-language model") }
            if let bad = ids.first(where: { $0 < 0 || $0 >= llm.vocabularySize }) {
                throw CLIError("token id \(bad) is outside the vocabulary (0..<\(llm.vocabularySize))")
            }
            trace = withNoGrad { llm.forward(tokens: Tensor(ids, shape: [1, ids.count]), cache: nil, options: spec.forwardOptions) }
        }
        var tensors: [(String, Tensor)] = []
        if let logits = trace.logits { tensors.append(("logits", logits[0])) }
        for (l, t) in trace.attentions.sorted(by: { $0.key < $1.key }) { tensors.append(("attentions.\(l)", t[0])) }
        for (i, t) in trace.hiddenStates.sorted(by: { $0.key < $1.key }) { tensors.append(("hidden_states.\(i)", t[0])) }
        // The tower's leading axis is dropped for one tile; LLaVA-NeXT's tiles are all kept. Several
        // images: each image's captures under `image.{k}.` (k from 0, prompt order).
        func vision(_ t: Tensor) -> Tensor { t.size(0) == 1 ? t[0] : t }
        for (prefix, captured) in [("", trace)] + trace.imageTraces.enumerated().map({ ("image.\($0.offset).", $0.element) }) {
            for (l, t) in captured.visionAttentions.sorted(by: { $0.key < $1.key }) { tensors.append(("\(prefix)vision.attentions.\(l)", vision(t))) }
            for (i, t) in captured.visionHiddenStates.sorted(by: { $0.key < $1.key }) { tensors.append(("\(prefix)vision.hidden_states.\(i)", vision(t))) }
        }
        try writeTensors(tensors, metadata: ["input_ids": ids.map(String.init).joined(separator: ","), "model": model,
                                             "capture": capture], to: out)
        FileHandle.standardError.write(Data("wrote \(tensors.count) tensors to \(out)\n".utf8))
    }
}
