import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidNN
@testable import LucidPipeline
@testable import LucidTensor
import LucidVision

/// LLaVA-NeXT, LLaVA-OneVision, Qwen2-VL, Qwen2.5-VL and InstructBLIP through `ModelRegistry.standard`: saved tiny checkpoints open
/// by `model_type`, images go through each family's processor, and `--pixel-values` files of the HF
/// processor's outputs become the model's image tensors (or clear errors).
@Suite("registry families")
struct FamilyRegistryTests {
    /// A directory with the family's `config.json` and the model's weights under Lucid's names.
    func save(_ family: Family, _ model: any VisionLanguageModel & Module) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("family-\(family.rawValue)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try Data(family.configJSON(vocabulary: 300, image: 3).utf8).write(to: url.appendingPathComponent("config.json"))
        let items = try model.namedParameters().map { try SafetensorsWriter.Item(name: $0.name, tensor: $0.parameter.value) }
        try SafetensorsWriter.write(items, to: url.appendingPathComponent("model.safetensors").path)
        return url.path
    }

    func integers(_ name: String, _ values: [Int], shape: [Int]) -> SafetensorsWriter.Item {
        SafetensorsWriter.Item(name: name, dtype: .int64, shape: shape, bytes: values.map { Int64($0).littleEndian }.withUnsafeBytes { Array($0) })
    }

    @Test(arguments: Family.allCases)
    func aSavedCheckpointOpensByModelTypeAndReadsAnImage(_ family: Family) throws {
        let model = try family.model()
        let path = try save(family, model)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let opened = try ModelRegistry.standard.open(path)
        #expect(opened.modelType == family.rawValue)
        #expect(opened.model.llamaDecoder?.fusedAttention == false)
        var fused = ModelLoadOptions()
        fused.fusedAttention = true
        #expect(try ModelRegistry.standard.open(path, options: ModelOpenOptions(load: fused)).model.llamaDecoder?.fusedAttention == true)
        var explicit = ModelLoadOptions(dtype: .bf16)
        explicit.fusedAttention = false
        #expect(try ModelRegistry.standard.open(path, options: ModelOpenOptions(load: explicit)).model.llamaDecoder?.fusedAttention == false)
        let vision = try #require(opened.vision)
        let pixels = Family.normalization.normalize(try family.image01(model))
        if let next = vision as? LlavaNextForConditionalGeneration { next.originalImageSize = (40, 56) }
        if let blip = vision as? InstructBlipForConditionalGeneration { blip.qformerInstruction = [5, 17, 23] }
        let ids = [1, 40, 3, 42]
        let logits = { (m: any VisionLanguageModel) throws -> Tensor in
            try #require(try withNoGrad { () throws(PromptError) -> ForwardTrace in
                try m.forward(ids: ids, images: [pixels], cache: nil, options: .logitsOnly)
            }.logits)
        }
        #expect(try logits(vision).maxAbsDifference(try logits(model)) == 0)
        // `--image`: the family's own processor (transformers' defaults without preprocessor_config.json).
        let png = (path as NSString).appendingPathComponent("image.png")
        let values = (0..<(40 * 56 * 3)).map { UInt8(($0 * 37) % 251) }
        try ImageEncoder.writePNG(try RGBImage(width: 56, height: 40, pixels: values), to: png)
        let read = try opened.pixelValues(image: png, padToSquare: false)
        try vision.checkImage(read)
        let result = try Decoding.generate(vision, ids: ids, images: [read], method: .greedy, limits: GenerationLimits(maxNewTokens: 3))
        #expect(result.tokens.count == 3)
        if family.isAnyres { let size = (vision as? LlavaNextForConditionalGeneration)?.originalImageSize
            #expect(size?.height == 40 && size?.width == 56) }
    }

    @Test(arguments: Family.allCases)
    func processorOutputFilesBecomeTheModelsImage(_ family: Family) throws {
        let model = try family.model()
        let image = Family.normalization.normalize(try family.image01(model))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pixels-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var items: [SafetensorsWriter.Item] = []
        let missing: String
        switch family {
        case .llavaNext, .llavaOnevision:
            items = [try .init(name: "pixel_values", tensor: image.unsqueezed(axis: 0)), integers("image_sizes", [40, 56], shape: [1, 2])]
            missing = "image_sizes"
        case .qwen2VL, .qwen25VL:
            let qwen = try #require(model as? Qwen2VLForConditionalGeneration)
            items = [try .init(name: "pixel_values", tensor: qwen.patches(of: image)), integers("image_grid_thw", [1, 4, 6], shape: [1, 3])]
            missing = "image_grid_thw"
        case .llavaSiglip:
            items = [try .init(name: "pixel_values", tensor: image)]
            missing = ""
        case .instructBlip:
            items = [try .init(name: "pixel_values", tensor: image), integers("qformer_input_ids", [5, 17, 23, 0], shape: [1, 4]),
                     integers("qformer_attention_mask", [1, 1, 1, 0], shape: [1, 4])]
            missing = ""
        }
        try SafetensorsWriter.write(items, to: path)
        let outputs = try ProcessorOutputs.load(path: path)
        let images = try outputs.images(for: model)
        #expect(images.count == 1 && images[0].maxAbsDifference(image) == 0)
        if let blip = model as? InstructBlipForConditionalGeneration { #expect(blip.qformerInstruction == [5, 17, 23]) }
        if let next = model as? LlavaNextForConditionalGeneration { #expect(next.originalImageSize.height == 40 && next.originalImageSize.width == 56) }
        // Without the family's extra tensor the file is refused, naming it.
        if !missing.isEmpty {
            try SafetensorsWriter.write([items[0]], to: path)
            #expect { _ = try ProcessorOutputs.load(path: path).images(for: model) } throws: { "\($0)".contains(missing) && "\($0)".contains(path) }
        }
        // A wrong shape is refused before any tensor op.
        try SafetensorsWriter.write([try .init(name: "pixel_values", tensor: Tensor.zeros([2, 3, 5]))], to: path)
        #expect { _ = try ProcessorOutputs.load(path: path).images(for: model) } throws: { "\($0)".contains("pixel_values") || "\($0)".contains("image_") }
    }
}
