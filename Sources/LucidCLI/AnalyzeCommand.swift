import ArgumentParser
import Foundation
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
        (e.g. from `lucid eval chair --per-caption`).
        """
    )

    @Option(help: "A LLaVA model directory.")
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
        guard imageOptions.image != nil else { throw ValidationError("--image is required") }
    }

    func run() throws {
        let loaded = try openModel(model, runtime: runtime)
        guard let vlm = loaded.vision else { throw CLIError("\(model) is not a LLaVA model") }
        let directory = ModelPaths.resolve(model)
        guard let pixels = try imageOptions.pixelValues(for: loaded), let imagePath = imageOptions.image else {
            throw CLIError("--image is required")
        }
        let tokenizer = try? openTokenizer(model)
        let ids = try prompt.tokenIDs(tokenizer: { try openTokenizer(model) }, imageCount: 1)
        let embeddings = try withNoGrad { () throws(PromptError) -> Tensor in try vlm.embed(ids: ids, images: [pixels]) }
        let eos = vlm.eosTokenIDs
        let response = try GenerationDriver(model: vlm).generate(.embeddings(embeddings), strategy: .greedy,
                                                                 limits: GenerationLimits(maxNewTokens: maxNewTokens, eosTokenIDs: eos)).tokens
        var analysis = AttentionAnalysis()
        analysis.sigma = sigma
        let words = { (list: String) in Set(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }) }
        let decode: (Int) -> String = { id in (try? tokenizer?.decode([id], skipSpecialTokens: true)) ?? nil ?? "<\(id)>" }  // EOS: ""
        let (report, cls, maps) = try analysis.run(model: vlm, ids: ids, pixels: pixels, response: response, decode: decode,
                                                   hallucinated: words(hallucinated), correct: words(correct))
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent("analysis.json")))
        let grid = Int(Double(vlm.visionPatchCount).squareRoot())
        let config = (try? CLIPPreprocessorConfig.load(path: (directory as NSString).appendingPathComponent("preprocessor_config.json")))
            ?? .defaults(imageSize: vlm.imageSize)
        let decoded = try ImageDecoder.decode(path: imagePath)
        let base = try ImageError.naming(file: imagePath) { try CLIPPreprocessor(config: config).resizedAndCropped(decoded, padToSquare: imageOptions.padToSquare) }
        func patches(_ values: Tensor) -> [Float] {
            let v = values.to(.f32).toArray(Float.self)
            return v.count == grid * grid + 1 ? Array(v.dropFirst()) : v
        }
        let figures = try AttentionFigures(report: report, clsAttention: patches(cls), tokenMaps: maps.map(patches), image: base, grid: grid)
            .write(to: URL(fileURLWithPath: out), tokenLimit: heatmaps)
        print("analysed \(response.count) tokens → \(out)/analysis.json, \(figures.count) figures, contact sheet \(out)/index.html")
        for (label, means) in report.meansByLabel.sorted(by: { $0.key < $1.key }) {
            let h = means.filter { $0.key.hasPrefix("H") }.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.2f", $0.value))" }
            print("  \(label) (\(Int(means["count"] ?? 0)) tokens): F \(String(format: "%.3f", means["F"] ?? 0)), " + h.joined(separator: ", "))
        }
    }
}
