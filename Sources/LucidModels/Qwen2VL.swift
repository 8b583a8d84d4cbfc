import Foundation
import LucidNN
import LucidTensor

/// One image as Qwen2-VL takes it: the processor's flattened patches and their grid.
public struct Qwen2VLImage {
    /// Flattened patches [t·h·w, C·T·P·P] (`pixel_values`).
    public var patches: Tensor
    /// The patch grid (`image_grid_thw`).
    public var grid: Qwen2VLGrid

    public init(patches: Tensor, grid: Qwen2VLGrid) {
        self.patches = patches
        self.grid = grid
    }
}

/// A Qwen2-VL model (Hugging Face `Qwen2VLForConditionalGeneration`: `visual` + a Qwen2 decoder).
///
/// Images keep their aspect ratio and resolution (the processor's `smart_resize`); the tower embeds
/// 14-px patches with 2-D RoPE, attends within each image and merges 2 × 2 patches into one language-
/// model input. The decoder uses M-RoPE: text positions advance by one on all three rows; an image's
/// features take (t, row, column) positions from where the text stopped, and the text after it
/// continues from the largest position + 1 (`get_rope_index`).
///
/// Also Qwen2.5-VL (`Qwen2_5_VLForConditionalGeneration`, `config.visionConfig.variant == .qwen25VL`):
/// the same decoder, M-RoPE, processor and merger wiring, with the tower's RMSNorm, gated SiLU MLP and
/// window attention (`Qwen25VLWindows`); its image positions are Qwen2-VL's for still images.
public final class Qwen2VLForConditionalGeneration: Module, LanguageModelBacked {
    public let config: Qwen2VLConfig
    public let visual: Qwen2VLVisionModel
    public let languageModel: LlamaForCausalLM
    /// Applied to the tower's patch features [1, N, D_vision] before the 2 × 2 merger (Q-MLLM's
    /// quantiser); nil: none.
    public var visionFeatureTransform: ((Tensor) -> Tensor)?
    /// Screens an image [1, 3, H, W] before generation (Q-MLLM's gate); nil: none.
    public var imageGate: ((ImageGateInput) -> String?)?

    public init(_ config: Qwen2VLConfig) throws(ModelConfigError) {
        try config.validate()
        self.config = config
        visual = try Qwen2VLVisionModel(config.visionConfig)
        languageModel = try LlamaForCausalLM(config.textConfig)
    }

    public var children: [(name: String, module: any Module)] { [("visual", visual), ("language_model", languageModel)] }

    public var imagePlaceholderID: Int { config.imageTokenID }

    /// "Qwen2-VL" or "Qwen2.5-VL", for messages.
    public var familyName: String { config.visionConfig.variant == .qwen25VL ? "Qwen2.5-VL" : "Qwen2-VL" }

    /// Language-model inputs an image becomes (t·h·w / merge²).
    public func imageFeatureCount(_ grid: Qwen2VLGrid) -> Int {
        let m = config.visionConfig.spatialMergeSize
        return grid.t * (grid.h / m) * (grid.w / m)
    }

    /// Checks an image's patches against its grid.
    func check(_ image: Qwen2VLImage) throws(PromptError) {
        let m = config.visionConfig.spatialMergeSize
        let g = image.grid
        guard g.isWithinBounds, g.h >= m, g.w >= m, g.h % m == 0, g.w % m == 0 else {
            throw .invalidImage(reason: "image grid (t \(g.t), h \(g.h), w \(g.w)) is not a positive multiple of the \(m)x\(m) merge")
        }
        let expected = [g.patchCount, config.visionConfig.patchValues]
        guard image.patches.shape == expected else {
            throw .invalidImage(reason: "a grid of (\(g.t), \(g.h), \(g.w)) needs patches \(expected), got \(image.patches.shape)")
        }
    }

    /// Merged image features [N, D] of one image (differentiable in its patches).
    public func imageFeatures(_ image: Qwen2VLImage, options: ForwardOptions = ForwardOptions(),
                              trace: ForwardTrace = ForwardTrace()) throws(PromptError) -> Tensor {
        try check(image)
        let encoded = visual.encode(image.patches, grids: [image.grid], options: options, trace: trace)
        return project(encoded.unsqueezed(axis: 0)).selected(axis: 0, index: 0)
    }

    /// A prompt laid out for the decoder: ids with each image's placeholder expanded, image runs.
    struct Layout {
        var ids: [Int]
        /// (first index, image) of each image run in `ids`.
        var runs: [(start: Int, image: Int)]
    }

    /// Expands placeholders: one `<|image_pad|>` per image, or each image's full run (what the
    /// transformers processor writes) — the same layout either way.
    func layout(ids: [Int], grids: [Qwen2VLGrid]) throws(PromptError) -> Layout {
        let placeholder = imagePlaceholderID
        let counts = grids.map { imageFeatureCount($0) }
        let found = ids.reduce(0) { $0 + ($1 == placeholder ? 1 : 0) }
        if grids.isEmpty, found > 0 { throw .placeholderWithoutImage(placeholders: found) }
        if !grids.isEmpty, found == 0 { throw .imageWithoutPlaceholder(images: grids.count) }
        let expanded = found != grids.count
        guard !expanded || found == counts.reduce(0, +) else {
            throw .placeholderCount(found: found, expected: "\(grids.count) (one per image) or \(counts.reduce(0, +)) (\(counts) per image)")
        }
        var result = Layout(ids: [], runs: [])
        var index = 0
        while index < ids.count {
            guard ids[index] == placeholder else {
                result.ids.append(ids[index])
                index += 1
                continue
            }
            let image = result.runs.count
            let span = expanded ? counts[image] : 1
            guard index + span <= ids.count, ids[index..<(index + span)].allSatisfy({ $0 == placeholder }) else {
                throw .placeholderCount(found: found, expected: "runs of \(counts) consecutive placeholders")
            }
            result.runs.append((result.ids.count, image))
            result.ids += [Int](repeating: placeholder, count: counts[image])
            index += span
        }
        return result
    }

    /// M-RoPE positions [3, 1, T] of a prompt (transformers' `get_rope_index`), and the rope delta.
    public func positionIDs(ids: [Int], images: [Qwen2VLImage]) throws(PromptError) -> (positions: Tensor, delta: Int) {
        try positionIDs(ids: ids, grids: images.map(\.grid))
    }

    /// M-RoPE positions [3, 1, T] and the rope delta of a prompt whose images have `grids`.
    func positionIDs(ids: [Int], grids: [Qwen2VLGrid]) throws(PromptError) -> (positions: Tensor, delta: Int) {
        let laid = try layout(ids: ids, grids: grids)
        let m = config.visionConfig.spatialMergeSize
        var rows: [[Int]] = [[], [], []]
        var current = 0
        var index = 0
        func text(upTo end: Int) {
            while index < end {
                for row in 0..<3 { rows[row].append(current) }
                current += 1
                index += 1
            }
        }
        for run in laid.runs {
            text(upTo: run.start)
            let grid = grids[run.image]
            for t in 0..<grid.t {
                for h in 0..<(grid.h / m) {
                    for w in 0..<(grid.w / m) {
                        rows[0].append(current + t)
                        rows[1].append(current + h)
                        rows[2].append(current + w)
                    }
                }
            }
            index += imageFeatureCount(grid)
            current += Swift.max(grid.h, grid.w) / m
        }
        text(upTo: laid.ids.count)
        let largest = rows.flatMap { $0 }.max() ?? -1
        return (Tensor(rows.flatMap { $0 }, shape: [3, 1, laid.ids.count]), largest + 1 - laid.ids.count)
    }

    /// Input embeddings [1, T, D] of token ids with image placeholders and their images.
    public func embed(ids: [Int], images: [Qwen2VLImage], options: ForwardOptions = ForwardOptions(),
                      trace: ForwardTrace = ForwardTrace()) throws(PromptError) -> Tensor {
        let laid = try layout(ids: ids, grids: images.map(\.grid))
        var pieces: [Tensor] = []
        var cursor = 0
        func text(upTo end: Int) throws(PromptError) {
            guard end > cursor else { return }
            let run = Array(laid.ids[cursor..<end])
            if let bad = run.first(where: { $0 < 0 || $0 >= vocabularySize }) {
                throw .tokenOutOfRange(id: bad, vocabularySize: vocabularySize)
            }
            pieces.append(languageModel.embed(Tensor(run, shape: [1, run.count])))
            cursor = end
        }
        for run in laid.runs {
            try text(upTo: run.start)
            let features = try imageFeatures(images[run.image], options: options, trace: trace.visionTrace(imageCount: images.count))
            pieces.append(features.unsqueezed(axis: 0))
            cursor += features.size(0)
        }
        try text(upTo: laid.ids.count)
        return Tensor.cat(pieces, axis: 1)
    }

    /// One forward pass over a multimodal prompt with M-RoPE positions; with a cache, later tokens
    /// continue after the largest position (the cache's `positionOffset`).
    public func forward(ids: [Int], images: [Qwen2VLImage], cache: KVCache?, options: ForwardOptions) throws(PromptError) -> ForwardTrace {
        let trace = ForwardTrace()
        let embeddings = try embed(ids: ids, images: images, options: options, trace: trace)
        var withPositions = options
        withPositions.positions = try positionIDs(ids: ids, images: images).positions
        return decode(embeddings, cache: cache, options: withPositions, into: trace)
    }
}

extension Qwen2VLForConditionalGeneration {
    /// Checkpoint names of the Hub (`model.*`, `visual.*`, `lm_head.*`; also what transformers 5.x
    /// saves) and of transformers' in-memory layout (`model.language_model.*`, `model.visual.*`).
    public static let checkpointRenames: [KeyRename] = [
        .prefix("model.language_model.", "language_model.model."),
        .prefix("model.visual.", "visual."),
        .prefix("model.", "language_model.model."),
        .prefix("lm_head.", "language_model.lm_head."),
    ]

    /// Loads a Hugging Face Qwen2-VL or Qwen2.5-VL directory (`model_type: qwen2_vl` or `qwen2_5_vl`),
    /// weights in `options.dtype`, without random initialisation.
    public static func load(directory: String, options: ModelLoadOptions = ModelLoadOptions()) throws -> Qwen2VLForConditionalGeneration {
        try options.validate()
        let (config, path) = try HuggingFaceDirectory.config(Qwen2VLConfig.self, directory: directory, modelTypes: Qwen2VLConfig.modelTypes)
        let tied = config.textConfig.tieWordEmbeddings
        return try HuggingFaceDirectory.build(directory: directory, configPath: path, options: options, renames: checkpointRenames,
                                              ignoring: { $0.hasSuffix("rotary_emb.inv_freq") || (tied && $0 == "language_model.lm_head.weight") }) {
            () throws(ModelConfigError) in try Qwen2VLForConditionalGeneration(config)
        }
    }
}
