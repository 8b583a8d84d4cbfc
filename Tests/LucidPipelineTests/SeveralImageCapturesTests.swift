import Foundation
import Testing
@testable import LucidModels
@testable import LucidPipeline
@testable import LucidTensor
import LucidVision

/// A prompt with several images keeps each image's vision-tower captures apart (`ForwardTrace.imageTraces`),
/// where the tower's trace used to hold only the last image's: each image's captures equal those of that
/// image's tower pass alone, through the seam (LLaVA's `embed` and the shared `PromptLayout.embed` of the
/// other families) and through the families' own prompt paths (Qwen2-VL's `[Qwen2VLImage]`, LLaVA-NeXT's
/// `[LlavaNextImage]`).
@Suite("vision captures of several images", .serialized)
struct SeveralImageCapturesTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("LucidModelsTests/Fixtures")

    /// (fixture folder, prompt with one placeholder per image for two images)
    static let cases: [(String, [Int])] = [
        ("llava-siglip", [1, 17, 149, 33, 149, 45]),
        ("llava-onevision", [1, 17, 149, 33, 149, 45]),
        ("qwen2-vl", [1, 17, 141, 140, 142, 33, 141, 140, 142, 45]),
    ]

    static var captures: ForwardOptions {
        var options = ForwardOptions()
        options.visionAttentionLayers = .all
        options.visionHiddenStates = .all
        return options
    }

    @Test(arguments: cases.map(\.0))
    func eachImageKeepsItsOwnTowerCaptures(_ folder: String) throws {
        let ids = try #require(Self.cases.first { $0.0 == folder }).1
        let directory = Self.fixtures.appendingPathComponent(folder).path
        let opened = try ModelRegistry.standard.open(directory + "/model")
        let model = try #require(opened.vision)
        let images = try opened.pixelValues(imageFiles: ["wide", "tall"].map { directory + "/\($0).png" }, padToSquare: false)
        let trace = try withNoGrad { () throws(PromptError) -> ForwardTrace in
            try model.forward(ids: ids, images: images, cache: nil, options: Self.captures)
        }
        #expect(trace.visionAttentions.isEmpty && trace.visionHiddenStates.isEmpty)
        #expect(trace.imageTraces.count == 2)
        let prompt = try model.promptImages(images)
        for (index, (pixels, captured)) in zip(prompt, trace.imageTraces).enumerated() {
            let alone = ForwardTrace()
            _ = withNoGrad { model.imageFeatures(pixels, options: Self.captures, trace: alone) }
            try Self.expectSame(captured, alone, "\(folder) image \(index)")
        }
        // The two images differ, so their captures do.
        let first = try #require(trace.imageTraces[0].visionHiddenStates[0]), second = try #require(trace.imageTraces[1].visionHiddenStates[0])
        #expect(first.shape != second.shape || first.maxAbsDifference(second) > 0)

        // One image: the trace's own dictionaries, no per-image traces.
        let loneImage = try opened.pixelValues(imageFiles: [directory + "/wide.png"], padToSquare: false)[0]
        let lone = try withNoGrad { () throws(PromptError) -> ForwardTrace in
            try model.forward(ids: Array(ids.prefix(ids.firstIndex(of: 33) ?? ids.count)) + [45], images: [loneImage], cache: nil,
                              options: Self.captures)
        }
        #expect(!lone.visionAttentions.isEmpty && lone.imageTraces.isEmpty)
    }

    /// Every capture of `alone` is in `captured`, bit for bit, and there are some of each kind.
    static func expectSame(_ captured: ForwardTrace, _ alone: ForwardTrace, _ label: String) throws {
        #expect(!alone.visionHiddenStates.isEmpty && captured.visionHiddenStates.keys.sorted() == alone.visionHiddenStates.keys.sorted(), "\(label)")
        #expect(!alone.visionAttentions.isEmpty && captured.visionAttentions.keys.sorted() == alone.visionAttentions.keys.sorted(), "\(label)")
        for (layer, expected) in alone.visionHiddenStates {
            let got = try #require(captured.visionHiddenStates[layer])
            #expect(got.shape == expected.shape && got.maxAbsDifference(expected) == 0, "\(label) hidden_states.\(layer)")
        }
        for (layer, expected) in alone.visionAttentions {
            let got = try #require(captured.visionAttentions[layer])
            #expect(got.shape == expected.shape && got.maxAbsDifference(expected) == 0, "\(label) attentions.\(layer)")
        }
    }

    @Test func qwenAndNextFamilyPromptPathsKeepEachImagesCaptures() throws {
        let qwenDirectory = Self.fixtures.appendingPathComponent("qwen2-vl").path
        let qwen = try Qwen2VLForConditionalGeneration.load(directory: qwenDirectory + "/model")
        let processor = try Qwen2VLImageProcessor.load(path: qwenDirectory + "/model/preprocessor_config.json")
        let qwenImages = try ["wide", "tall"].map { name -> Qwen2VLImage in
            let prepared = try processor.pixelValues(try ImageDecoder.decode(path: qwenDirectory + "/\(name).png"))
            return Qwen2VLImage(patches: prepared.patches, grid: Qwen2VLGrid(t: prepared.grid.t, h: prepared.grid.h, w: prepared.grid.w))
        }
        let qwenTrace = try withNoGrad { () throws(PromptError) -> ForwardTrace in
            try qwen.forward(ids: [1, 17, 141, 140, 142, 33, 141, 140, 142, 45], images: qwenImages, cache: nil, options: Self.captures)
        }
        #expect(qwenTrace.visionHiddenStates.isEmpty && qwenTrace.imageTraces.count == 2)
        for (index, image) in qwenImages.enumerated() {
            let alone = ForwardTrace()
            _ = try withNoGrad { () throws(PromptError) -> Tensor in try qwen.imageFeatures(image, options: Self.captures, trace: alone) }
            try Self.expectSame(qwenTrace.imageTraces[index], alone, "qwen2-vl image \(index)")
        }

        let nextDirectory = Self.fixtures.appendingPathComponent("llava-next").path
        let next = try LlavaNextForConditionalGeneration.load(directory: nextDirectory + "/model")
        let tiler = try LlavaNextImageProcessor.load(path: nextDirectory + "/model/preprocessor_config.json")
        let nextImages = try ["wide", "tall"].map { name -> LlavaNextImage in
            let prepared = try tiler.pixelValues(try ImageDecoder.decode(path: nextDirectory + "/\(name).png"))
            return LlavaNextImage(tiles: Tensor.cat(prepared.tiles.map { $0.tensor() }, axis: 0), height: prepared.height, width: prepared.width)
        }
        let nextTrace = try withNoGrad { () throws(PromptError) -> ForwardTrace in
            try next.forward(ids: [1, 17, 149, 33, 149, 45], images: nextImages, cache: nil, options: Self.captures)
        }
        #expect(nextTrace.visionHiddenStates.isEmpty && nextTrace.imageTraces.count == 2)
        for (index, image) in nextImages.enumerated() {
            let alone = ForwardTrace()
            _ = try withNoGrad { () throws(PromptError) -> Tensor in try next.imageFeatures(image, options: Self.captures, trace: alone) }
            try Self.expectSame(nextTrace.imageTraces[index], alone, "llava-next image \(index)")
        }
    }

    /// An image the gate already encoded comes as features: it keeps its place in `imageTraces` (empty), so
    /// `imageTraces[k]` stays the prompt's image k.
    @Test func anImageGivenAsFeaturesKeepsItsPlace() throws {
        let directory = Self.fixtures.appendingPathComponent("llava-siglip").path
        let opened = try ModelRegistry.standard.open(directory + "/model")
        let model = try #require(opened.vision)
        let images = try opened.pixelValues(imageFiles: ["wide", "tall"].map { directory + "/\($0).png" }, padToSquare: false)
        let features = withNoGrad { model.imageFeatures(images[0], options: ForwardOptions(), trace: ForwardTrace()) }
        let trace = ForwardTrace()
        _ = try withNoGrad { () throws(PromptError) -> Tensor in
            try model.embed([.tokens([1, 17]), .imageFeatures(features), .tokens([33]), .image(images[1]), .tokens([45])], options: Self.captures, trace: trace)
        }
        #expect(trace.visionHiddenStates.isEmpty && trace.imageTraces.count == 2)
        #expect(trace.imageTraces[0].visionHiddenStates.isEmpty && !trace.imageTraces[1].visionHiddenStates.isEmpty)
    }
}
