import Foundation
import LucidFiles
import LucidModels
import LucidNN
import LucidSupport
import LucidTensor

/// Q-MLLM on a vision-language model (LLaVA as released): a patch-level quantiser between the vision tower and the projector,
/// a semantic-level codebook on the mean of the projected image tokens, and a safety map from
/// semantic codes to categories that refuses harmful images before the language model runs.
///
/// As released (methods.md §4.2): the semantic code is only looked up, never fed to the LLM; the
/// quantisers' backward pass is blocked at inference (`backward = .blocked`), so naive gradient
/// attacks see a zero gradient. `backward = .straightThrough` is BPDA: the forward pass is
/// unchanged and the backward pass treats the quantiser as the identity.
///
/// `Configuration.variant` chooses between that released layout and the paper's description
/// (`Variant.paper`: the semantic code of the projected [CLS] embedding, the patch quantiser after the
/// projector, both by L2 distance; docs/defense.md).
public final class QMLLMDefense: Module {
    /// Which Q-MLLM is built: the released model or the paper's description of it.
    public enum Variant: String, Codable, Sendable, CaseIterable {
        /// The released model (methods.md §4.2): cosine patch codes on the vision features before the
        /// projector; the semantic code (1 − cosine) of the mean projected token.
        case released
        /// The paper's description: patch codes (L2) on the projected tokens, after the projector; the
        /// semantic code (L2) of the vision tower's [CLS] embedding, projected by the same projector.
        /// LLaVA only (it needs `projectedFeatureTransform`).
        case paper
    }

    /// Sizes, the refusal and the variant; recorded in `qmllm.json`.
    public struct Configuration: Codable, Sendable, Equatable {
        /// Patch codebooks (chunks per vision token) and codes per codebook.
        public var patchGroups: Int
        public var patchCodes: Int
        /// Semantic codebook size (128 in the released `VectorQuantizerCLS`).
        public var semanticCodes: Int
        /// β of the commitment losses (0.25, the released `commitment_cost`).
        public var commitmentCost: Double
        /// What the gate answers for an image whose semantic code maps to a harmful category.
        public var refusal: String
        /// Released (default; written only when not released, so files without the key are released) or the paper's variant.
        public var variant: Variant
        /// How patch codes are chosen; nil (not written) is the variant's own: cosine on unit chunks
        /// (released, UniTok's layout) or L2 (paper). `.l2` on the released variant is Lucid's
        /// deviation for a frozen tower that was never trained on unit chunks: raw chunks and codes,
        /// so a quantised token keeps its chunks' norms (docs/defense.md).
        public var patchDistance: VectorQuantizer.Distance?

        public init(patchGroups: Int = 8, patchCodes: Int = 512, semanticCodes: Int = 128, commitmentCost: Double = 0.25,
                    refusal: String = QMLLMDefense.defaultRefusal, variant: Variant = .released, patchDistance: VectorQuantizer.Distance? = nil) {
            self.patchGroups = patchGroups
            self.patchCodes = patchCodes
            self.semanticCodes = semanticCodes
            self.commitmentCost = commitmentCost
            self.refusal = refusal
            self.variant = variant
            self.patchDistance = patchDistance
        }

        /// The patch codes' distance in effect: `patchDistance`, else the variant's.
        public var effectivePatchDistance: VectorQuantizer.Distance { patchDistance ?? (variant == .paper ? .l2 : .cosine) }

        /// Decodes a configuration; files written before `variant` existed read as `.released`.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            patchGroups = try c.decode(Int.self, forKey: .patchGroups)
            patchCodes = try c.decode(Int.self, forKey: .patchCodes)
            semanticCodes = try c.decode(Int.self, forKey: .semanticCodes)
            commitmentCost = try c.decode(Double.self, forKey: .commitmentCost)
            refusal = try c.decode(String.self, forKey: .refusal)
            variant = try c.decodeIfPresent(Variant.self, forKey: .variant) ?? .released
            patchDistance = try c.decodeIfPresent(VectorQuantizer.Distance.self, forKey: .patchDistance)
        }

        /// Writes `variant` only for the paper variant, so the released variant's files stay as they were.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(patchGroups, forKey: .patchGroups)
            try c.encode(patchCodes, forKey: .patchCodes)
            try c.encode(semanticCodes, forKey: .semanticCodes)
            try c.encode(commitmentCost, forKey: .commitmentCost)
            try c.encode(refusal, forKey: .refusal)
            if variant != .released { try c.encode(variant, forKey: .variant) }
            try c.encodeIfPresent(patchDistance, forKey: .patchDistance)
        }
    }

    public static let defaultRefusal = "I'm sorry, but I can't help with this image: it appears to show harmful content."

    public let configuration: Configuration
    public let patch: MultiCodebookQuantizer
    public let semantic: VectorQuantizer
    /// Semantic code → category; nil until calibrated (then nothing is refused).
    public var safetyMap: SafetyCodeMap?
    /// What the backward pass of the patch quantiser sees (`.blocked` as released; `.straightThrough` = BPDA).
    public var backward: VectorQuantizer.Gradient = .blocked

    /// The vision features' width (what the released patch quantiser reads and the paper's [CLS] has).
    public let visionWidth: Int

    /// A defence for a model with `visionWidth`-wide vision features and a `textWidth`-wide language
    /// model: the patch quantiser over `visionWidth` (released) or `textWidth` (paper), the semantic
    /// codebook over `textWidth` (both variants: the paper's [CLS] is projected first).
    public init(configuration: Configuration = Configuration(), visionWidth: Int, textWidth: Int, generator: Generator) throws(DefenseError) {
        guard configuration.semanticCodes >= 2 else { throw DefenseError("the semantic codebook needs at least 2 codes") }
        self.configuration = configuration
        self.visionWidth = visionWidth
        let paper = configuration.variant == .paper
        patch = try MultiCodebookQuantizer(dimension: paper ? textWidth : visionWidth, groups: configuration.patchGroups,
                                           codesPerGroup: configuration.patchCodes, commitmentCost: configuration.commitmentCost,
                                           distance: configuration.effectivePatchDistance, generator: generator)
        semantic = VectorQuantizer(count: configuration.semanticCodes, dimension: textWidth, distance: paper ? .l2 : .cosine,
                                   commitmentCost: configuration.commitmentCost, generator: generator)
    }

    public var variant: Variant { configuration.variant }

    public var children: [(name: String, module: any Module)] { [("patch_quantizer", patch), ("semantic_quantizer", semantic)] }

    /// Makes `model` compute its image features from quantised patches (every decoder and attack then
    /// runs on the defended model): before the projector (`visionFeatureTransform`, released) or after
    /// it (`LlavaForConditionalGeneration.projectedFeatureTransform`, paper). The model keeps a
    /// reference to this defence.
    public func install(on model: any VisionLanguageModel) throws(DefenseError) {
        guard model.visionFeatureWidth == visionWidth, model.hiddenSize == semantic.dimension else {
            throw DefenseError("this Q-MLLM defence is for vision width \(visionWidth) and text width \(semantic.dimension); the model has \(model.visionFeatureWidth) and \(model.hiddenSize)")
        }
        let transform: (Tensor) -> Tensor = { [self] features in self.patch.quantize(features, gradient: self.backward).quantized }
        switch variant {
        case .released:
            model.visionFeatureTransform = transform
            (model as? LlavaForConditionalGeneration)?.projectedFeatureTransform = nil
        case .paper:
            guard let llava = model as? LlavaForConditionalGeneration else {
                throw DefenseError("the Q-MLLM paper variant quantises projected tokens, which only LLaVA-1.5 exposes (projectedFeatureTransform); \(type(of: model)) does not")
            }
            llava.visionFeatureTransform = nil
            llava.projectedFeatureTransform = transform
        }
    }

    /// The semantic code of projected image features [B, N, D_text] (mean over tokens, nearest code;
    /// the released reading).
    public func semanticCodes(_ features: Tensor) -> [Int] { semantic.nearest(features.mean(axis: 1)) }

    /// What the gate quantises of projected image features [B, N, D_text]: the mean token per image
    /// ([B, D], `.mean`, as released) or every token ([B·N, D], `.tokens`), image by image.
    public func gateRows(_ features: Tensor, reading: SafetyCodeMap.Reading) -> Tensor {
        reading == .mean ? features.mean(axis: 1) : features.reshaped(-1, features.size(2))
    }

    /// The codes the gate reads per image of projected features [B, N, D_text] (one per row of `gateRows`).
    public func gateCodes(_ features: Tensor, reading: SafetyCodeMap.Reading) -> [[Int]] {
        let codes = semantic.nearest(gateRows(features, reading: reading))
        let perImage = reading == .mean ? 1 : features.size(1)
        return stride(from: 0, to: codes.count, by: perImage).map { Array(codes[$0..<Swift.min(codes.count, $0 + perImage)]) }
    }

    /// Why the paper variant has no token reading.
    public static let paperTokenReadingRefusal = "the Q-MLLM paper variant reads one semantic vector per image (the projected [CLS] embedding); there are no per-token semantic codes, so the token reading (--gate tokens) applies to the released variant only"

    /// The paper variant's semantic input: the vision tower's [CLS] embedding through the model's projector,
    /// [B, D_text] (differentiable; the patch quantiser does not touch it).
    public func projectedClassEmbedding(_ model: any VisionLanguageModel, pixels: Tensor) throws -> Tensor {
        guard let llava = model as? LlavaForConditionalGeneration else {
            throw DefenseError("the Q-MLLM paper variant projects the [CLS] embedding with LLaVA-1.5's projector; \(type(of: model)) has none")
        }
        return llava.projector(try llava.visionClassEmbedding(pixels))
    }

    /// What the gate quantises of pixel values [B, C, H, W] on a model this defence is installed on
    /// (differentiable): released, `gateRows(model.imageFeatures(pixels), reading:)`; paper, the
    /// projected [CLS] embedding, one row per image (`.mean` only: `paperTokenReadingRefusal`).
    public func gateRows(_ model: any VisionLanguageModel, pixels: Tensor, reading: SafetyCodeMap.Reading) throws -> Tensor {
        switch variant {
        case .released:
            return gateRows(model.imageFeatures(pixels), reading: reading)
        case .paper:
            guard reading == .mean else { throw DefenseError(Self.paperTokenReadingRefusal) }
            return try projectedClassEmbedding(model, pixels: pixels)
        }
    }

    /// The codes the gate reads per image of pixel values [B, C, H, W] on a model this defence is installed on.
    public func gateCodes(_ model: any VisionLanguageModel, pixels: Tensor, reading: SafetyCodeMap.Reading) throws -> [[Int]] {
        try gateCodes(model, pixels: pixels, features: { model.imageFeatures(pixels) }, reading: reading)
    }

    /// `gateCodes(_:pixels:reading:)` with the released variant's projected features from `features`.
    func gateCodes(_ model: any VisionLanguageModel, pixels: Tensor, features: () -> Tensor, reading: SafetyCodeMap.Reading) throws -> [[Int]] {
        switch variant {
        case .released:
            return gateCodes(features(), reading: reading)
        case .paper:
            return semantic.nearest(try gateRows(model, pixels: pixels, reading: reading)).map { [$0] }
        }
    }

    /// What the gate decided for one image.
    public struct Verdict: Codable, Sendable, Equatable {
        /// The deciding code: the first harmful one, else the first read (the mean token's for `.mean`).
        public var code: Int
        /// The safety map's category of `code` ("benign" without a map).
        public var category: String
        public var harmful: Bool
    }

    /// Screens pixel values [B, C, H, W] on a model this defence is installed on. The paper variant on a
    /// model without a class embedding, or a map with a reading the variant does not have, refuses every
    /// image (a gate that cannot read does not let images through).
    public func screen(_ model: any VisionLanguageModel, pixels: Tensor) -> [Verdict] {
        screen(model, pixels: pixels, features: { model.imageFeatures(pixels) })
    }

    /// Screens one image as the gate sees it; the released variant reads `image.features`, which the
    /// prompt then embeds (`Decoding.prepare`).
    public func screen(_ model: any VisionLanguageModel, image: ImageGateInput) -> Verdict {
        screen(model, pixels: image.pixels, features: { image.features }).first ?? Verdict(code: -1, category: "unreadable", harmful: true)
    }

    func screen(_ model: any VisionLanguageModel, pixels: Tensor, features: () -> Tensor) -> [Verdict] {
        let reading = safetyMap?.reading ?? .mean
        guard let codes = try? withNoGrad({ () throws -> [[Int]] in try gateCodes(model, pixels: pixels, features: features, reading: reading) }) else {
            return [Verdict](repeating: Verdict(code: -1, category: "unreadable", harmful: true), count: pixels.size(0))
        }
        return codes.map { read in
            let first = read.first ?? 0
            guard let map = safetyMap else { return Verdict(code: first, category: "benign", harmful: false) }
            let code = read.first(where: map.isHarmful) ?? first
            let category = map.category(of: code)
            return Verdict(code: code, category: map.categories[category], harmful: category != 0)
        }
    }

    // MARK: Files

    /// Saved next to a LLaVA directory: quantiser weights and the configuration + safety map.
    public static let weightsFile = "qmllm.safetensors"
    public static let configurationFile = "qmllm.json"

    struct Document: Codable {
        var configuration: Configuration
        var safetyMap: SafetyCodeMap?
        var visionWidth: Int
        var textWidth: Int
    }

    /// Writes `qmllm.safetensors` and `qmllm.json` into `directory`.
    public func save(to directory: URL) throws {
        let items = try namedParameters().map { try SafetensorsWriter.Item(name: $0.name, tensor: $0.parameter.value.to(.f32)) }
        try SafetensorsWriter.write(items, metadata: ["format": "lucid-qmllm"], to: directory.appendingPathComponent(Self.weightsFile).path)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let document = Document(configuration: configuration, safetyMap: safetyMap, visionWidth: visionWidth, textWidth: semantic.dimension)
        try encoder.encode(document).write(to: directory.appendingPathComponent(Self.configurationFile), options: .atomic)
    }

    /// Whether `directory` holds a Q-MLLM defence.
    public static func exists(in directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(configurationFile).path)
    }

    /// Reads a defence written by `save(to:)`.
    public static func load(from directory: URL) throws -> QMLLMDefense {
        let jsonURL = directory.appendingPathComponent(configurationFile)
        let document: Document
        do { document = try JSONDecoder.records().decode(Document.self, from: Data(try SafeFile.read(jsonURL.path, maxBytes: 16 << 20))) } catch {
            throw DefenseError("\(jsonURL.path): not a Q-MLLM configuration (\(error))")
        }
        let defense = try QMLLMDefense(configuration: document.configuration, visionWidth: document.visionWidth, textWidth: document.textWidth,
                                       generator: Generator(seed: 0))
        let file = try SafetensorsFile(path: directory.appendingPathComponent(weightsFile).path)
        try withNoGrad { () throws in
            for (name, parameter) in defense.namedParameters() {
                let tensor = try file.loadTensor(named: name)
                guard tensor.shape == parameter.shape else {
                    throw DefenseError("\(weightsFile): '\(name)' has shape \(tensor.shape), expected \(parameter.shape)")
                }
                parameter.value = tensor.to(.f32)
            }
        }
        if document.configuration.variant == .paper, document.safetyMap?.reading == .tokens {
            throw DefenseError("\(jsonURL.path): \(paperTokenReadingRefusal)")
        }
        defense.safetyMap = document.safetyMap
        return defense
    }
}

extension QMLLMDefense.Configuration {
    /// snake_case keys (docs/json.md); files with the camelCase keys of before read through `JSONDecoder.records()`.
    enum CodingKeys: String, CodingKey {
        case patchGroups = "patch_groups", patchCodes = "patch_codes", semanticCodes = "semantic_codes", commitmentCost = "commitment_cost"
        case refusal, variant, patchDistance = "patch_distance"
    }
}

extension QMLLMDefense.Document {
    /// snake_case keys (docs/json.md); files with the camelCase keys of before read through `JSONDecoder.records()`.
    enum CodingKeys: String, CodingKey {
        case configuration, safetyMap = "safety_map", visionWidth = "vision_width", textWidth = "text_width"
    }
}
