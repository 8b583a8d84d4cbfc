import Foundation
import Testing
@testable import LucidModels
@testable import LucidPipeline
@testable import LucidTensor

/// A prompt with several images keeps each image's vision-tower captures apart (`ForwardTrace.imageTraces`),
/// where the tower's trace used to hold only the last image's: on the three embedding paths (LLaVA's own,
/// the shared one of LLaVA-NeXT/OneVision and InstructBLIP, Qwen2-VL's), each image's captures equal those
/// of that image's tower pass alone.
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
            #expect(!alone.visionAttentions.isEmpty && captured.visionAttentions.keys.sorted() == alone.visionAttentions.keys.sorted())
            #expect(captured.visionHiddenStates.keys.sorted() == alone.visionHiddenStates.keys.sorted())
            for (layer, expected) in alone.visionAttentions {
                let got = try #require(captured.visionAttentions[layer])
                #expect(got.shape == expected.shape && got.maxAbsDifference(expected) == 0, "\(folder) image \(index) attentions.\(layer)")
            }
            for (layer, expected) in alone.visionHiddenStates {
                let got = try #require(captured.visionHiddenStates[layer])
                #expect(got.shape == expected.shape && got.maxAbsDifference(expected) == 0, "\(folder) image \(index) hidden_states.\(layer)")
            }
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
}
