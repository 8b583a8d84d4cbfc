import Foundation
import Testing
@testable import LucidTensor

/// Reads the real SmolLM2-135M-Instruct Q4_1 GGUF named by `LUCID_SMOLLM2_GGUF`.
///
/// Uses `LUCID_SMOLLM2_GGUF`, else the set-up location; fails (never skips) when the file is missing.
@Suite struct SmolLM2GGUFTests {
    static let variable = "LUCID_SMOLLM2_GGUF"

    func openFile() throws -> GGUFFile? {
        let environment = ProcessInfo.processInfo.environment
        let path = environment[Self.variable].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["LUCID_CACHE"] ?? (NSHomeDirectory() + "/.cache/lucid")) + "/models/SmolLM2-135M-Instruct.Q4_1.gguf")
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("SmolLM2 GGUF not found at \(path): run scripts/setup.sh or set \(Self.variable)")
            return nil
        }
        let start = Date()
        let file = try GGUFFile(path: path)
        print("SmolLM2: parsed header, metadata and \(file.tensors.count) tensor infos in "
              + String(format: "%.4f", Date().timeIntervalSince(start)) + " s")
        return file
    }

    @Test func headerAndMetadata() throws {
        guard let file = try openFile() else { return }
        #expect(file.version == 3)
        #expect(file.tensors.count == 272)
        #expect(file.alignment == 32)
        #expect(file.metadata["general.architecture"]?.string == "llama")
        #expect(file.metadata["llama.block_count"]?.int == 30)
        #expect(file.metadata["llama.embedding_length"]?.int == 576)
        #expect(file.metadata["llama.attention.head_count"]?.int == 9)
        #expect(file.metadata["llama.attention.head_count_kv"]?.int == 3)
        #expect(file.metadata["llama.feed_forward_length"]?.int == 1536)
        let tokens = try #require(file.metadata["tokenizer.ggml.tokens"]?.stringArray)
        #expect(tokens.count == 49152)
        #expect(file.metadata["tokenizer.ggml.model"]?.string == "gpt2")
        let types = Set(file.tensors.map(\.type))
        #expect(types.isSubset(of: [.f32, .q4_1, .q8_0]), "unexpected types \(types)")
        #expect(types.contains(.q4_1))
    }

    @Test func tokenEmbedding() throws {
        guard let file = try openFile() else { return }
        let embedding = try #require(file.tensor(named: "token_embd.weight"))
        #expect(embedding.shape == [49152, 576])
        #expect(embedding.ggmlDims == [576, 49152])
        let values = try file.dequantize(embedding)
        #expect(values.count == 49152 * 576)
        #expect(values.allSatisfy { $0.isFinite })
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
        #expect(abs(mean) < 0.05)
        #expect(variance.squareRoot() > 0.01 && variance.squareRoot() < 1.0)
    }

    @Test func dequantiseEveryTensor() throws {
        guard let file = try openFile() else { return }
        let start = Date()
        var total = 0
        for tensor in file.tensors {
            let values = try file.dequantize(tensor)
            #expect(values.count == tensor.elementCount)
            var sum = 0.0, sumSquares = 0.0, finite = true
            for value in values {
                finite = finite && value.isFinite
                sum += Double(value)
                sumSquares += Double(value) * Double(value)
            }
            #expect(finite, "\(tensor.name) has non-finite values")
            let mean = sum / Double(values.count)
            let std = (sumSquares / Double(values.count) - mean * mean).squareRoot()
            #expect(std.isFinite && abs(mean) < 10, "\(tensor.name): mean \(mean) std \(std)")
            if tensor.name.hasSuffix("_norm.weight") {
                #expect(mean > 0, "\(tensor.name): norm weights should be mostly positive")
            } else if tensor.shape.count == 2 {
                #expect(std > 1e-4, "\(tensor.name): matrix with zero spread")
            }
            total += values.count
        }
        #expect(total > 100_000_000 && total < 200_000_000)
        print("SmolLM2: dequantised \(file.tensors.count) tensors, \(total) values in "
              + String(format: "%.3f", Date().timeIntervalSince(start)) + " s")
    }
}

extension SmolLM2GGUFTests {
    @Test func embeddingAndNormsLoadAsTensors() throws {
        guard let file = try openFile() else { return }
        let embedding = try file.loadTensor(named: "token_embd.weight")
        #expect(embedding.shape == [49152, 576])
        #expect(embedding.dtype == .f32)
        #expect(embedding.isFinite().all().boolValue)
        let std = embedding.standardDeviation().item()
        #expect(std > 0.01 && std < 1)
        let norm = try file.loadTensor(named: "output_norm.weight")
        #expect(norm.shape == [576])
        // Row 1 of the embedding equals the dequantised Q8_0 values at the same place.
        let info = try #require(file.tensors.first { $0.name == "token_embd.weight" })
        let all = try file.dequantize(info)
        #expect(embedding[1].toArray(Float.self) == Array(all[576..<1152]))
    }
}
