import Foundation
import Testing
@testable import LucidModels
@testable import LucidPipeline
@testable import LucidTensor
import LucidVision

/// `VisionLanguageModel.expandedIDs` against the `input_ids` transformers' processors write for a prompt
/// with two images (the several-images fixtures: `input_ids` holds one placeholder per image,
/// `expanded_input_ids` the processor's runs): LLaVA-OneVision (each image's base tile and newline),
/// Qwen2-VL and Qwen2.5-VL (each image's merged grid), from the processor outputs and from Lucid's own
/// processor reading the same PNGs, as the server's `/tokenize` does.
@Suite("prompts with their image placeholders expanded as the processors write them")
struct ExpandedPromptTests {
    struct Family: Sendable, CustomTestStringConvertible {
        let folder: String
        /// The PNGs the fixture script gave the processor, in order.
        let pictures: [String]
        var testDescription: String { folder }
    }

    static let families = [Family(folder: "llava-onevision", pictures: ["wide", "tall"]), Family(folder: "qwen2-vl", pictures: ["wide", "tall"]),
                           Family(folder: "qwen2.5-vl", pictures: ["large", "wide"])]
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("LucidModelsTests/Fixtures")

    @Test(arguments: families)
    func theExpandedPromptIsTheProcessorsInputIDs(_ family: Family) throws {
        let directory = Self.fixtures.appendingPathComponent(family.folder).path
        let goldenPath = directory + "/multi_image.safetensors"
        let golden = try SafetensorsFile(path: goldenPath)
        let opened = try ModelRegistry.standard.open(directory + "/model")
        let model = try #require(opened.vision)
        let ids = try golden.loadTensor(named: "input_ids").toArray(Int.self)
        let expanded = try golden.loadTensor(named: "expanded_input_ids").toArray(Int.self)
        #expect(ids.count < expanded.count)

        let outputs = try ProcessorOutputs.load(path: goldenPath).images(for: model)
        let decoded = try family.pictures.map { try ImageDecoder.decode(path: directory + "/\($0).png") }
        let read = try opened.pixelValues(prompt: decoded, padToSquare: false)
        for (source, images) in [("processor outputs", outputs), ("Lucid's processor", read)] {
            #expect(try model.expandedIDs(ids: ids, images: images) == expanded, "\(source)")
            #expect(try model.expandedIDs(ids: expanded, images: images) == expanded, "\(source): runs already expanded come back as given")
            #expect(try model.embeddedLength(ids: ids, images: images) == expanded.count, "\(source)")
        }
    }

    @Test func aPromptWhosePlaceholdersDoNotFitItsImagesIsRefused() throws {
        let directory = Self.fixtures.appendingPathComponent("qwen2-vl").path
        let goldenPath = directory + "/multi_image.safetensors"
        let model = try #require(try ModelRegistry.standard.open(directory + "/model").vision)
        let images = try ProcessorOutputs.load(path: goldenPath).images(for: model)
        let ids = try SafetensorsFile(path: goldenPath).loadTensor(named: "input_ids").toArray(Int.self)
        let placeholder = model.imagePlaceholderID
        #expect(throws: PromptError.self) { try model.expandedIDs(ids: ids, images: Array(images.prefix(1))) }
        #expect(throws: PromptError.self) { try model.expandedIDs(ids: ids + [placeholder], images: images) }
        #expect(throws: PromptError.self) { try model.expandedIDs(ids: ids.filter { $0 != placeholder }, images: images) }
        #expect(try model.expandedIDs(ids: ids.filter { $0 != placeholder }, images: []) == ids.filter { $0 != placeholder })
    }
}
