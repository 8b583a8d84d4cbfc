import Foundation
import Testing
@testable import LucidBench
import LucidModels
import LucidTensor

/// The measurements behind `lucid bench`: thread settings, references and their refusals, the bytes a
/// decoded token reads, and the reports' arithmetic. No timing thresholds: the numbers depend on the machine.
@Suite("bench measurements", .serialized)
struct BenchMeasurementTests {
    @Test func threadSettingsAreTwoCountsInRange() {
        #expect(ThreadSetting("1:2")?.intraOp == 1)
        #expect(ThreadSetting("1:2")?.blas == 2)
        #expect(ThreadSetting("3:4")?.description == "3:4")
        for text in ["0:1", "1:0", "two", "1:2:3", "1", "1025:1", "-1:1", ""] { #expect(ThreadSetting(text) == nil, "\(text)") }
    }

    func temporaryFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-ref-\(UUID().uuidString).json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func referencesThatCannotBeReadOrAreForeignAreRefusedNamingTheFile() throws {
        let missing = "/nonexistent/bench-reference.json"
        #expect(throws: BenchError.self) { try GenerateBenchmark.Reference.load(path: missing) }
        do { _ = try GenerateBenchmark.Reference.load(path: missing) } catch {
            guard case .unreadable(let path, _) = error else { Issue.record("\(error)"); return }
            #expect(path == missing)
        }
        let foreign = try temporaryFile(#"{"threads": 1}"#)
        defer { try? FileManager.default.removeItem(atPath: foreign) }
        let loads: [(String, () throws -> Void)] = [
            ("bench_generate_reference.py", { _ = try GenerateBenchmark.Reference.load(path: foreign) }),
            ("bench_llava_reference.py", { _ = try LlavaBenchmark.Reference.load(path: foreign) }),
            ("bench_reference.py", { _ = try OpsBenchmarkResults.load(path: foreign) }),
        ]
        for (script, load) in loads {
            do {
                try load()
                Issue.record("\(script): a foreign reference was accepted")
            } catch {
                guard case .notReferenceOutput(let path, let named, _)? = error as? BenchError else { Issue.record("\(error)"); continue }
                #expect(path == foreign && named == script)
                #expect("\(error)".hasPrefix("'\(foreign)' is not \(script) output"))
            }
        }
    }

    @Test func aReferenceOfAnotherDTypeIsRefused() throws {
        let path = try temporaryFile("""
        {"threads": "1:1", "prompt_ids": [1, 2], "new_tokens": 4, "tokens": [3], "prefill_tokens_per_second": 10,
         "decode_tokens_per_second": 5, "peak_rss_bytes": 1000}
        """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reference = try GenerateBenchmark.Reference.load(path: path)
        #expect(reference.dtype == nil)
        try reference.check(dtype: .f32)  // no dtype: the script's f32
        #expect(throws: BenchError.dtypeMismatch(reference: "f32", lucid: DType.bf16.description)) { try reference.check(dtype: .bf16) }
        #expect("\(BenchError.dtypeMismatch(reference: "bf16", lucid: "f32"))".hasPrefix("the reference was measured in bf16 but Lucid would run in f32"))
    }

    @Test func theLlavaReferenceKeepsTransformersSideAsOneSide() throws {
        let path = try temporaryFile("""
        {"threads": 2, "dtype": "bf16", "prompt_tokens": 22, "new_tokens": 4, "tokens": [3, 3], "load_seconds": 0.5,
         "prefill_seconds": 0.25, "decode_tokens_per_second": 100.0, "weight_bytes": 119872, "peak_rss_bytes": 400000000}
        """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reference = try LlavaBenchmark.Reference.load(path: path)
        #expect(reference.measured == LlavaBenchReport.Side(loadSeconds: 0.5, prefillSeconds: 0.25, decodeTokensPerSecond: 100,
                                                             peakRSSBytes: 400_000_000))
        #expect(reference.threads == 2 && reference.promptTokens == 22 && reference.newTokens == 4 && reference.weightBytes == 119_872)
        #expect(throws: BenchError.self) { try reference.check(dtype: .f32) }
    }

    @Test func llavaInputsOfTheWrongShapeAreRefused() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-inputs-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let ids: [Int64] = [1, 2, 3]
        let pixels = [Float](repeating: 0, count: 3 * 4 * 4)
        try SafetensorsWriter.write([
            .init(name: "input_ids", dtype: .int64, shape: [3], bytes: ids.withUnsafeBytes { Array($0) }),
            .init(name: "pixel_values", dtype: .float32, shape: [1, 3, 4, 4], bytes: pixels.withUnsafeBytes { Array($0) }),
        ], to: path)
        #expect(throws: BenchError.badInputs(path: path, reason: "input_ids must have shape [1, T] (got [3])")) {
            _ = try LlavaBenchmark.readInputs(path)
        }
    }

    @Test func readBandwidthIsMeasuredOncePerThreadCountAndReported() throws {
        let results = MemoryBandwidth.measureRead(threadCounts: [1, 2], bytes: 64 << 20, repeats: 3)
        #expect(results.map(\.threads) == [1, 2])
        for r in results {
            #expect(r.bytes == 64 << 20 && r.repeats == 3)
            #expect(r.bestSeconds > 0 && r.bestSeconds <= r.medianSeconds)
        }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try MemoryBandwidth.json(results).utf8)) as? [String: Any])
        let rows = try #require(json["measurements"] as? [[String: Any]])
        #expect(rows.count == 2)
        // JSON text carries the measured double to within its last digits, not always bit for bit.
        let written = try #require(rows.first?["read_bytes_per_second"] as? Double)
        #expect(abs(written - results[0].bytesPerSecond) <= 1e-9 * results[0].bytesPerSecond)
        let table = MemoryBandwidth.table(results).split(separator: "\n")
        #expect(table.filter { $0.hasPrefix("| 1 | 64 | ") || $0.hasPrefix("| 2 | 64 | ") }.count == 2)
    }

    @Test func anUntiedEmbeddingCountsOnlyTheRowADecodeStepReads() throws {
        func model(tied: Bool) throws -> LlamaForCausalLM {
            try LlamaForCausalLM(LlamaConfig(vocabSize: 50, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 1,
                                             numAttentionHeads: 2, tieWordEmbeddings: tied))
        }
        func all(_ m: LlamaForCausalLM) -> Int { m.namedParameters().reduce(0) { $0 + $1.parameter.value.count * 4 } }
        let tied = try model(tied: true), untied = try model(tied: false)
        #expect(DecodeTraffic.weightBytesPerToken(tied) == all(tied))
        #expect(DecodeTraffic.weightBytesPerToken(untied) == all(untied) - 50 * 16 * 4 + 16 * 4)
    }

    @Test func opsTableComparesWithAReferenceWhoseBLASThreadsAreUnknown() {
        func config(_ threads: Int, blas: Int, gflops: Double) -> OpsBenchmarkResults.Config {
            .init(threads: threads, blasThreads: blas, matmulGFLOPS: ["512": gflops], smallAddMicroseconds: 1)
        }
        let lucid = OpsBenchmarkResults(implementation: "lucid", torch: "2.13.0", blas: "mkl", configs: [config(1, blas: 2, gflops: 90)])
        let wheel = OpsBenchmarkResults(implementation: "pytorch-python", torch: "2.13.0", blas: "unknown", configs: [config(1, blas: -1, gflops: 45)])
        #expect(lucid.table(reference: wheel).contains("| 1 (BLAS 2) | matmul 512² GFLOP/s | 90.0 | 45.0 | 2.00 |"), "\(lucid.table(reference: wheel))")
        let other = OpsBenchmarkResults(implementation: "pytorch-python", torch: "2.13.0", blas: "openblas", configs: [config(1, blas: 1, gflops: 45)])
        #expect(lucid.table(reference: other).contains("| 1 (BLAS 2) | matmul 512² GFLOP/s | 90.0 | – | – |"))
    }

    @Test func aGenerateRunReplaysTheReferencePromptAndReportsBothSides() throws {
        let model = try LlamaForCausalLM(LlamaConfig(vocabSize: 50, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 1,
                                                     numAttentionHeads: 2))
        let path = try temporaryFile("""
        {"threads": "1:1", "prompt_ids": [1, 2, 3, 4, 5], "new_tokens": 6, "tokens": [], "prefill_tokens_per_second": 400,
         "decode_tokens_per_second": 20, "peak_rss_bytes": 1048576, "dtype": "f32"}
        """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reference = try GenerateBenchmark.Reference.load(path: path)
        let threads = try #require(ThreadSetting("1:1"))
        let report = try GenerateBenchmark.run(model, reference: reference, newTokens: 6, repeats: 1, dtype: .f32, threads: threads)
        #expect(report.newTokens == 6 && report.weightBytesPerToken == DecodeTraffic.weightBytesPerToken(model))
        #expect(report.decodeTokensPerSecond > 0 && report.decodeTokensPerSecond.isFinite)
        #expect(!report.sameTokens && report.firstDifference == 0, "6 tokens decoded, the reference recorded none")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try report.jsonString().utf8)) as? [String: Any])
        #expect(json["prompt_tokens"] as? Int == 5 && json["first_token_difference"] as? Int == 0)
        #expect(json["threads"] as? String == "1:1")
        #expect(abs(try #require(json["decode_ratio"] as? Double) - report.decodeTokensPerSecond / 20) < 1e-9)
        #expect(abs(try #require(json["share_of_read_limit"] as? Double) - report.decodeTokensPerSecond / report.readLimit) < 1e-9)
        let table = report.table(model: "smollm2")
        #expect(table.hasPrefix("SmolLM2 greedy decode, f32, batch 1: 5-token prompt, 6 new tokens, threads 1:1"))
        #expect(table.contains(String(format: "| decode tokens/s | %.1f | 20.0 | %.2f |", report.decodeTokensPerSecond,
                                      report.decodeTokensPerSecond / 20)))
    }

    @Test func theLlavaReportsRatiosSayLucidIsFasterAboveOne() throws {
        let lucid = LlavaBenchReport.Side(loadSeconds: 1, prefillSeconds: 0.5, decodeTokensPerSecond: 8, peakRSSBytes: 2_000)
        let transformers = LlavaBenchReport.Side(loadSeconds: 2, prefillSeconds: 1, decodeTokensPerSecond: 4, peakRSSBytes: 3_000)
        let report = LlavaBenchReport(promptTokens: 22, newTokens: 4, threads: 1, dtype: "f32", weightBytes: 1_000,
                                      decodeWeightBytesPerToken: 500, readBytesPerSecond: 8_000, lucid: lucid, transformers: transformers,
                                      sameTokens: true, decodeLimitTokensPerSecond: 16, lucidImageSeconds: 0.125)
        #expect(report.decodeRatio == 2 && report.prefillRatio == 2)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try report.jsonString().utf8)) as? [String: Any])
        let side = try #require(json["lucid"] as? [String: Any])
        #expect(side["peak_rss_over_weight_bytes"] as? Double == 2)
        #expect(side["share_of_read_limit"] as? Double == 0.5)
        #expect(report.table(model: "m").contains("| decode tokens/s | 8.000 | 4.000 | 2.00 |"))
    }
}
