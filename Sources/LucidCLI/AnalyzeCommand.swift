import ArgumentParser
import Foundation
import LucidAnalysis
import LucidEval
import LucidGeneration
import LucidModels
import LucidPipeline
import LucidTensor
import LucidText
import LucidVision

/// `lucid analyze …`: analyses of a model's internals.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyse attention: ViT outliers vs decoder image attention (H_i, F), OPERA summary columns.",
        subcommands: [AnalyzeAttentionCommand.self]
    )
}

/// `lucid analyze attention`: per-token DAMRO overlap metrics and OPERA columns, with heatmaps.
struct AnalyzeAttentionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attention",
        abstract: "Generate a greedy response and write per-token attention analyses, figures and a contact sheet.",
        discussion: """
        Writes DIR/analysis.json (per token: H_i overlap of the top-i ViT [CLS]-attention outliers with the \
        top-i patches of the decoder's image attention, F = share of decoder image attention on the top-3 \
        outliers, image attention mass, OPERA summary column and score; means by label), \
        figures a person reads: DIR/sentence_NN.png and DIR/token_NNN.png (the image upscaled, the decoder's image \
        attention of the sentence or token beside the ViT's [CLS] attention with the top outliers boxed, the text as \
        caption, hallucinated words in red), DIR/vit_cls_attention.png, and DIR/index.html, a contact sheet of them \
        all. Words given with --hallucinated / --correct label the tokens that spell them \
        (e.g. from `lucid eval chair --per-caption`). Any vision-language family: the image span is the family's \
        (LLaVA-NeXT's packed tiles, with H_i / F on the base tile; LLaVA-OneVision's, without them; Qwen2-VL's and Qwen2.5-VL's merged grid, without \
        H_i / F as the tower has no [CLS]; InstructBLIP's query tokens, without H_i / F or figures).
        """
    )

    @Option(help: "A vision-language model (LLaVA-1.5, LLaVA-NeXT, LLaVA-OneVision, Qwen2-VL, Qwen2.5-VL or InstructBLIP directory).")
    var model: String

    @OptionGroup var prompt: PromptOptions

    @OptionGroup var imageOptions: ImageOptions

    @OptionGroup var runtime: ModelRuntimeOptions

    @Option(help: "New tokens to generate (greedy) before analysing.")
    var maxNewTokens: Int = 64

    @Option(help: "Object words the response hallucinated (comma-separated).")
    var hallucinated: String = ""

    @Option(help: "Object words the response got right (comma-separated).")
    var correct: String = ""

    @Option(help: "OPERA scale σ for the summary-column score.")
    var sigma: Double = 50

    @Option(help: "Figures for at most this many tokens (every sentence gets one).")
    var heatmaps: Int = 32

    @Option(help: "Output directory.")
    var out: String

    func validate() throws {
        guard (1...GenerationLimits.maximumNewTokens).contains(maxNewTokens) else {
            throw ValidationError("--max-new-tokens must be in 1…\(GenerationLimits.maximumNewTokens) (got \(maxNewTokens))")
        }
        guard !imageOptions.images.isEmpty else { throw ValidationError("--image is required") }
        guard imageOptions.images.count == 1 else {
            throw ValidationError("--image was given \(imageOptions.images.count) times; the attention analysis reads one image's span")
        }
    }

    func run() throws {
        let loaded = try openModel(model, runtime: runtime)
        guard let vlm = loaded.vision else { throw CLIError("\(model) is not a vision-language model") }
        let directory = ModelPaths.resolve(model)
        guard let pixels = try imageOptions.pixelValues(for: loaded, prompt: prompt.prompt).first, let imagePath = imageOptions.images.first else {
            throw CLIError("--image is required")
        }
        let tokenizer = try? openTokenizer(model)
        let ids = try prompt.tokenIDs(tokenizer: { try openTokenizer(model) }, imageCount: 1, model: loaded)
        // The family's own prompt path (M-RoPE positions for Qwen2-VL, the Q-Former for InstructBLIP).
        let response = try Decoding.generate(vlm, ids: ids, images: [pixels], method: .greedy,
                                             limits: GenerationLimits(maxNewTokens: maxNewTokens, eosTokenIDs: vlm.eosTokenIDs)).tokens
        var analysis = AttentionAnalysis()
        analysis.sigma = sigma
        let words = { (list: String) in Set(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }) }
        let decode: (Int) -> String = { id in (try? tokenizer?.decode([id], skipSpecialTokens: true)) ?? nil ?? "<\(id)>" }  // EOS: ""
        let result = try analysis.run(model: vlm, ids: ids, pixels: pixels, response: response, decode: decode,
                                      hallucinated: words(hallucinated), correct: words(correct))
        let report = result.report
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent("analysis.json")))
        let layout = result.layout
        if layout.hasGrid {
            let base = try figureImage(vlm, loaded: loaded, pixels: pixels, imagePath: imagePath, directory: directory)
            let cells = layout.rows * layout.columns
            let maps = result.tokenMaps.map { map -> [Float] in
                let values = map.to(.f32).toArray(Float.self)
                return layout.gridOffsets.map { values[$0] }
            }
            let cls = result.clsAttention.map { values -> [Float] in
                let v = values.to(.f32).toArray(Float.self)
                return v.count == cells + 1 ? Array(v.dropFirst()) : v
            }
            let figures = try AttentionFigures(report: report, clsAttention: cls, tokenMaps: maps, image: base,
                                               gridRows: layout.rows, gridColumns: layout.columns)
                .write(to: URL(fileURLWithPath: out), tokenLimit: heatmaps)
            print("analysed \(response.count) tokens → \(out)/analysis.json, \(figures.count) figures, contact sheet \(out)/index.html")
        } else {
            print("analysed \(response.count) tokens → \(out)/analysis.json (the image's \(layout.rows == 0 ? "positions are query tokens, not a picture grid" : "span has no grid"): no figures)")
        }
        if !(report.imageSpan?.outlierOverlap ?? true) {
            print("  H_i and F left out: the image's positions are not the vision tower's [CLS]-ranked patches")
        }
        for (label, means) in report.meansByLabel.sorted(by: { $0.key < $1.key }) {
            let h = means.filter { $0.key.hasPrefix("H") }.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.2f", $0.value))" }
            let f = means["F"].map { "F \(String(format: "%.3f", $0)), " } ?? ""
            print("  \(label) (\(Int(means["count"] ?? 0)) tokens): " + f + h.joined(separator: ", "))
        }
    }

    /// The picture the grid covers: LLaVA-1.5's resized crop of the file; for other families the image
    /// the model saw (LLaVA-NeXT's base tile, Qwen2-VL's smart-resized image), un-normalised.
    func figureImage(_ vlm: any VisionLanguageModel, loaded: OpenedModel, pixels: Tensor, imagePath: String, directory: String) throws -> RGBImage {
        if vlm is LlavaForConditionalGeneration {
            let config = (try? CLIPPreprocessorConfig.load(path: (directory as NSString).appendingPathComponent("preprocessor_config.json")))
                ?? .defaults(imageSize: vlm.imageSize)
            let decoded = try ImageDecoder.decode(path: imagePath)
            return try ImageError.naming(file: imagePath) { try CLIPPreprocessor(config: config).resizedAndCropped(decoded, padToSquare: imageOptions.padToSquare) }
        }
        guard let normalization = try loaded.imageNormalization() else { throw CLIError("\(model): no image processor to draw the figures with") }
        return try FloatImage(tensor: normalization.denormalize(pixels.narrowed(axis: 0, start: 0, length: 1))).rgbImage()
    }
}
