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
public final class QMLLMDefense: Module {
    /// Sizes and the refusal; recorded in `qmllm.json`.
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

        public init(patchGroups: Int = 8, patchCodes: Int = 512, semanticCodes: Int = 128, commitmentCost: Double = 0.25,
                    refusal: String = QMLLMDefense.defaultRefusal) {
            self.patchGroups = patchGroups
            self.patchCodes = patchCodes
            self.semanticCodes = semanticCodes
            self.commitmentCost = commitmentCost
            self.refusal = refusal
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

    public init(configuration: Configuration = Configuration(), visionWidth: Int, textWidth: Int, generator: Generator) throws(DefenseError) {
        guard configuration.semanticCodes >= 2 else { throw DefenseError("the semantic codebook needs at least 2 codes") }
        self.configuration = configuration
        patch = try MultiCodebookQuantizer(dimension: visionWidth, groups: configuration.patchGroups, codesPerGroup: configuration.patchCodes,
                                           commitmentCost: configuration.commitmentCost, generator: generator)
        semantic = VectorQuantizer(count: configuration.semanticCodes, dimension: textWidth, distance: .cosine,
                                   commitmentCost: configuration.commitmentCost, generator: generator)
    }

    public var children: [(name: String, module: any Module)] { [("patch_quantizer", patch), ("semantic_quantizer", semantic)] }

    /// Makes `model` compute its image features from quantised patches (every decoder and attack then
    /// runs on the defended model). The model keeps a reference to this defence.
    public func install(on model: any VisionLanguageModel) throws(DefenseError) {
        guard model.visionFeatureWidth == patch.dimension, model.hiddenSize == semantic.dimension else {
            throw DefenseError("this Q-MLLM defence is for vision width \(patch.dimension) and text width \(semantic.dimension); the model has \(model.visionFeatureWidth) and \(model.hiddenSize)")
        }
        model.visionFeatureTransform = { [self] features in self.patch.quantize(features, gradient: self.backward).quantized }
    }

    /// The semantic code of projected image features [B, N, D_text] (mean over tokens, nearest code).
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

    /// What the gate decided for one image.
    public struct Verdict: Codable, Sendable, Equatable {
        /// The deciding code: the first harmful one, else the first read (the mean token's for `.mean`).
        public var code: Int
        /// The safety map's category of `code` ("benign" without a map).
        public var category: String
        public var harmful: Bool
    }

    /// Screens pixel values [B, C, H, W] on a model this defence is installed on.
    public func screen(_ model: any VisionLanguageModel, pixels: Tensor) -> [Verdict] {
        let reading = safetyMap?.reading ?? .mean
        let codes = withNoGrad { gateCodes(model.imageFeatures(pixels), reading: reading) }
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
        let document = Document(configuration: configuration, safetyMap: safetyMap, visionWidth: patch.dimension, textWidth: semantic.dimension)
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
        defense.safetyMap = document.safetyMap
        return defense
    }
}

extension QMLLMDefense.Configuration {
    /// snake_case keys (docs/json.md); files with the camelCase keys of before read through `JSONDecoder.records()`.
    enum CodingKeys: String, CodingKey {
        case patchGroups = "patch_groups", patchCodes = "patch_codes", semanticCodes = "semantic_codes", commitmentCost = "commitment_cost"
        case refusal
    }
}

extension QMLLMDefense.Document {
    /// snake_case keys (docs/json.md); files with the camelCase keys of before read through `JSONDecoder.records()`.
    enum CodingKeys: String, CodingKey {
        case configuration, safetyMap = "safety_map", visionWidth = "vision_width", textWidth = "text_width"
    }
}
