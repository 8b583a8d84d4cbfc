import Foundation
import Testing
@testable import LucidBench
import LucidModels
import LucidTensor

/// `LlavaBenchmark.run` on a tiled model (LLaVA-OneVision's fixture, scripts/make_llava_onevision_fixtures.py):
/// the inputs file holds transformers' processor outputs for `wide` (tiles and image_sizes) and the prompt with
/// its placeholder expanded, and the reference's tokens are transformers' 8 greedy tokens, which the bench
/// must reproduce. No timing is asserted.
@Suite("bench llava on a tiled model")
struct TiledLlavaBenchTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("LucidModelsTests/Fixtures/llava-onevision").path

    /// Writes the inputs and a reference with transformers' greedy tokens; returns their paths and the folder.
    func write(imageSizes: Bool = true) throws -> (folder: URL, inputs: String, reference: LlavaBenchmark.Reference) {
        let golden = try SafetensorsFile(path: Self.fixture + "/golden.safetensors")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-tiled-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let count = try golden.loadTensor(named: "wide.image_features").size(0)
        let prompt = try golden.loadTensor(named: "wide.input_ids").toArray(Int.self)
        let at = try #require(prompt.firstIndex(of: 149))
        let ids = (prompt[..<at] + [Int](repeating: 149, count: count) + prompt[(at + 1)...]).map { Int64($0).littleEndian }
        let sizes = try golden.loadTensor(named: "processor.wide.image_sizes").toArray(Int.self).map { Int64($0).littleEndian }
        var items = [SafetensorsWriter.Item(name: "input_ids", dtype: .int64, shape: [1, ids.count], bytes: ids.withUnsafeBytes { Array($0) }),
                     try SafetensorsWriter.Item(name: "pixel_values",
                                                tensor: try golden.loadTensor(named: "processor.wide.pixel_values").unsqueezed(axis: 0))]
        if imageSizes {
            items.append(SafetensorsWriter.Item(name: "image_sizes", dtype: .int64, shape: [1, 2], bytes: sizes.withUnsafeBytes { Array($0) }))
        }
        let inputs = folder.appendingPathComponent("inputs.safetensors").path
        try SafetensorsWriter.write(items, to: inputs)
        let greedy = try golden.loadTensor(named: "wide.greedy").toArray(Int.self)
        let json = """
        {"threads": 1, "dtype": "f32", "prompt_tokens": \(ids.count), "new_tokens": 8, "tokens": \(greedy),
         "load_seconds": 0.5, "prefill_seconds": 0.25, "decode_tokens_per_second": 100.0, "weight_bytes": 1, "peak_rss_bytes": 1}
        """
        let reference = try JSONDecoder().decode(LlavaBenchmark.Reference.self, from: Data(json.utf8))
        return (folder, inputs, reference)
    }

    @Test func aTiledModelDecodesTransformersTokensFromTheReferenceInputs() throws {
        let (folder, inputs, reference) = try write()
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = try LlavaBenchmark.run(directory: Self.fixture + "/model", options: ModelLoadOptions(), inputs: inputs,
                                            reference: reference, newTokens: 8, threads: 1)
        #expect(report.sameTokens && report.promptTokens == reference.promptTokens)
        #expect(report.lucidImageSeconds > 0 && report.decodeWeightBytesPerToken < report.weightBytes)
    }

    @Test func tiledInputsNeedTheirImageSizeAndATiledModel() throws {
        let (folder, inputs, reference) = try write(imageSizes: false)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect { _ = try LlavaBenchmark.run(directory: Self.fixture + "/model", options: ModelLoadOptions(), inputs: inputs,
                                             reference: reference, newTokens: 8, threads: 1) } throws: { "\($0)".contains("pixel_values") }
        let tiled = try write()
        defer { try? FileManager.default.removeItem(at: tiled.folder) }
        let plain = URL(fileURLWithPath: Self.fixture).deletingLastPathComponent().appendingPathComponent("llava-siglip/model").path
        #expect { _ = try LlavaBenchmark.run(directory: plain, options: ModelLoadOptions(), inputs: tiled.inputs,
                                             reference: tiled.reference, newTokens: 8, threads: 1) } throws: { "\($0)".contains("llava_onevision") }
    }
}
