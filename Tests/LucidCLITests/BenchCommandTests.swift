import ArgumentParser
import Foundation
import Testing
@testable import LucidCLI
@testable import LucidTensor

/// `lucid bench bandwidth` and `lucid bench llava` as commands: argument validation and output shape
/// (the measurements themselves: LucidBenchTests). No timing thresholds: the numbers depend on the machine.
@Suite("bench bandwidth and llava", .serialized)
struct BenchCommandTests {
    @Test func bandwidthRefusesBuffersThatFitInCacheAndBadCounts() {
        for arguments in [["--megabytes", "8"], ["--megabytes", "20000"], ["--repeats", "0"], ["--repeats", "101"],
                          ["--threads", "0"], ["--threads", "1", "--threads", "-2"]] {
            #expect(throws: (any Error).self, "\(arguments)") { try LucidCommand.parseAsRoot(["bench", "bandwidth"] + arguments) }
        }
        #expect((try? LucidCommand.parseAsRoot(["bench", "bandwidth", "--megabytes", "64", "--repeats", "2", "--threads", "1"])) != nil)
    }

    /// `bench linear`: bf16 rows stop below 32 (from 32 the shim's widened product, not libtorch's
    /// linear, would be the reference), f32 rows start at 2, and shapes are named.
    @Test func linearRefusesRowsOutsideTheDtypesRangeAndUnknownShapes() throws {
        for arguments in [["--rows", "32", "--dtype", "bf16"], ["--rows", "0", "--dtype", "bf16"], ["--rows", "1"], ["--rows", "33"],
                          ["--dtype", "f16"], ["--shapes", "llama-13b"], ["--pool-mb", "8"], ["--seconds", "0"]] {
            #expect(throws: (any Error).self, "\(arguments)") { try LucidCommand.parseAsRoot(["bench", "linear"] + arguments) }
        }
        let bf16 = try #require(try LucidCommand.parseAsRoot(["bench", "linear", "--dtype", "bf16", "--rows", "1", "--rows", "31",
                                                              "--shapes", "llama-7b"]) as? LinearBenchCommand)
        #expect(bf16.dtype == .bf16 && bf16.rows == [1, 31] && bf16.shapes == .llama7b)
    }

    /// A bf16 table has a column per bf16 kernel (never the scalar level, which is libtorch's
    /// linear, the reference column) and a row per shape and row count.
    @Test func linearPrintsABF16TableAgainstLibtorchsLinear() throws {
        let result = try LucidProcess.run(["bench", "linear", "--dtype", "bf16", "--rows", "2", "--seconds", "0.01", "--pool-mb", "16"])
        #expect(result.status == 0, "\(result.err)")
        let lines = result.out.split(separator: "\n").map(String.init)
        #expect(lines.first?.contains("libtorch linear ms") == true && lines.first?.contains("scalar") == false, "\(result.out)")
        #expect(lines.filter { $0.hasPrefix("| 576 → 1536 | 2 | ") || $0.hasPrefix("| 1536 → 576 | 2 | ") || $0.hasPrefix("| 576 → 49152 | 2 | ") }.count == 3,
                "\(result.out)")
    }

    @Test func bandwidthMeasuresEachThreadCountOnceWithBestNoWorseThanMedian() throws {
        let result = try LucidProcess.run(["bench", "bandwidth", "--megabytes", "64", "--repeats", "3",
                                           "--threads", "1", "--threads", "2", "--json"])
        #expect(result.status == 0, "\(result.err)")
        let rows = try #require(try LucidProcess.json(result.out)["measurements"] as? [[String: Any]])
        #expect(rows.map { $0["threads"] as? Int } == [1, 2])
        for row in rows {
            #expect(row["bytes"] as? Int == 64 << 20)
            #expect(row["repeats"] as? Int == 3)
            let best = try #require(row["read_bytes_per_second"] as? Double)
            let median = try #require(row["median_read_bytes_per_second"] as? Double)
            #expect(best > 0 && best.isFinite && median > 0 && best >= median)
        }
    }

    @Test func bandwidthTablePrintsARowPerThreadCount() throws {
        let result = try LucidProcess.run(["bench", "bandwidth", "--megabytes", "64", "--repeats", "1", "--threads", "1"])
        #expect(result.status == 0, "\(result.err)")
        let rows = result.out.split(separator: "\n").filter { $0.hasPrefix("| 1 | 64 | ") }
        #expect(rows.count == 1, "\(result.out)")
    }

    // MARK: bench llava on the tiny LLaVA fixture (16 image tokens, vocabulary 96, placeholder 90)

    var llava: String { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("LucidModelsTests/Fixtures/llava/llava-a/model").path }

    /// Writes inputs (ids with 16 placeholders, 28-px pixels) and a reference JSON into a new folder.
    func writeInputs(dtype: String = "f32", device: String? = nil, pixels: Bool = true) throws -> (folder: URL, inputs: String, reference: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-llava-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var ids: [Int64] = [1, 5, 6]
        ids += [Int64](repeating: 90, count: 16)
        ids += [7, 8, 9]
        let idBytes: [UInt8] = ids.withUnsafeBytes { Array($0) }
        var items = [SafetensorsWriter.Item(name: "input_ids", dtype: .int64, shape: [1, ids.count], bytes: idBytes)]
        if pixels {
            let values: [Float] = (0..<(3 * 28 * 28)).map { (index: Int) -> Float in Float(index % 17 - 8) / 8 }
            let pixelBytes: [UInt8] = values.withUnsafeBytes { Array($0) }
            items.append(SafetensorsWriter.Item(name: "pixel_values", dtype: .float32, shape: [1, 3, 28, 28], bytes: pixelBytes))
        }
        let inputs = folder.appendingPathComponent("inputs.safetensors").path
        try SafetensorsWriter.write(items, to: inputs)
        let reference = folder.appendingPathComponent("reference.json").path
        let json = """
        {"threads": 1, "dtype": "\(dtype)", "prompt_tokens": \(ids.count), "new_tokens": 4, "tokens": [3, 3, 3, 3],
         "load_seconds": 0.5, "prefill_seconds": 0.25, "decode_tokens_per_second": 100.0, "weight_bytes": 119872,
         "peak_rss_bytes": 400000000\(device.map { #", "device": "\#($0)""# } ?? "")}
        """
        try Data(json.utf8).write(to: URL(fileURLWithPath: reference))
        return (folder, inputs, reference)
    }

    @Test func llavaReportsBothSidesWithRatiosAndTheReadLimit() throws {
        let (folder, inputs, reference) = try writeInputs()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try LucidProcess.run(["bench", "llava", "--model", llava, "--inputs", inputs, "--reference", reference, "--json"])
        #expect(result.status == 0, "\(result.err)")
        let report = try LucidProcess.json(result.out)
        #expect(report["prompt_tokens"] as? Int == 22)
        #expect(report["new_tokens"] as? Int == 4)
        #expect(report["dtype"] as? String == "f32")
        let lucid = try #require(report["lucid"] as? [String: Any])
        let transformers = try #require(report["transformers"] as? [String: Any])
        #expect(transformers["prefill_seconds"] as? Double == 0.25)
        #expect(transformers["decode_tokens_per_second"] as? Double == 100)
        for key in ["load_seconds", "prefill_seconds", "decode_tokens_per_second", "peak_rss_over_weight_bytes", "share_of_read_limit"] {
            let value = try #require(lucid[key] as? Double, "\(key)")
            #expect(value > 0 && value.isFinite, "\(key)")
        }
        let prefill = try #require(lucid["prefill_seconds"] as? Double)
        let image = try #require(report["lucid_image_seconds"] as? Double)
        #expect(image > 0 && image < prefill, "the image part is inside the prefill")
        #expect(abs(try #require(report["prefill_ratio"] as? Double) - 0.25 / prefill) < 1e-9)
        let decode = try #require(lucid["decode_tokens_per_second"] as? Double)
        #expect(abs(try #require(report["decode_ratio"] as? Double) - decode / 100) < 1e-9)
        #expect(report["same_tokens_as_reference"] is Bool)
        let weights = try #require(report["weight_bytes"] as? Int)
        #expect(weights > 0)
        #expect(try #require(report["decode_weight_bytes_per_token"] as? Int) < weights, "the vision tower is not read per token")
    }

    @Test func llavaRefusesAReferenceOfAnotherDTypeAndInputsWithoutPixels() throws {
        let other = try writeInputs(dtype: "bf16")
        defer { try? FileManager.default.removeItem(at: other.folder) }
        let mismatch = try LucidProcess.run(["bench", "llava", "--model", llava, "--inputs", other.inputs, "--reference", other.reference])
        #expect(mismatch.status != 0)
        #expect(mismatch.err.contains("the reference was measured in bf16 but Lucid would run in f32"), "\(mismatch.err)")

        let onGPU = try writeInputs(device: "cuda")
        defer { try? FileManager.default.removeItem(at: onGPU.folder) }
        let elsewhere = try LucidProcess.run(["bench", "llava", "--model", llava, "--inputs", onGPU.inputs, "--reference", onGPU.reference])
        #expect(elsewhere.status != 0)
        #expect(elsewhere.err.contains("the reference was measured on cuda but Lucid would run on cpu"), "\(elsewhere.err)")

        let noPixels = try writeInputs(pixels: false)
        defer { try? FileManager.default.removeItem(at: noPixels.folder) }
        let missing = try LucidProcess.run(["bench", "llava", "--model", llava, "--inputs", noPixels.inputs, "--reference", noPixels.reference])
        #expect(missing.status != 0)
        #expect(missing.err.contains("pixel_values"), "\(missing.err)")
    }

    @Test func llavaValidatesCounts() {
        for arguments in [["--new-tokens", "1"], ["--threads", "0"]] {
            #expect(throws: (any Error).self, "\(arguments)") {
                try LucidCommand.parseAsRoot(["bench", "llava", "--model", "m", "--inputs", "i", "--reference", "r"] + arguments)
            }
        }
    }
}
