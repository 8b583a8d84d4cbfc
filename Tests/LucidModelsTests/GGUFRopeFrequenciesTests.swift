import Foundation
import Testing
@testable import LucidModels
@testable import LucidNN
@testable import LucidTensor

/// Llama 3.1–3.3 GGUF files: llama.cpp stores the `llama3` RoPE scaling as `rope_freqs.weight`, one divisor per
/// rotary frequency. The fixture `llama31-rope/model.gguf` is the `llama31-rope` checkpoint written as llama.cpp's
/// converter writes it (scripts/make_llama31_gguf_fixture.py); transformers' goldens of the safetensors are the reference.
@Suite("GGUF rope_freqs")
struct GGUFRopeFrequenciesTests {
    static let directory = Fixtures.path("llama", "llama31-rope")
    static let gguf = (directory as NSString).appendingPathComponent("model.gguf")

    @Test func aLlama31GGUFGivesTransformersLogitsOfItsSafetensorsCheckpoint() throws {
        let model = try LlamaForCausalLM.load(path: Self.gguf)
        let golden = try Fixtures.golden(Self.directory)
        let ids = try golden.loadTensor(named: "input_ids")
        let output = withNoGrad { model.forward(tokens: ids, cache: nil, options: .logitsOnly) }
        expectMatches(output.logits, try golden.loadTensor(named: "logits"), tolerance: 1e-4, "logits")
        // The same model without the divisors is far from them: the file's scaling is what reaches the logits.
        var plain = model.config
        plain.ropeScaling = nil
        let unscaled = try LlamaForCausalLM(plain)
        try unscaled.load(from: LlamaGGUF(file: try GGUFFile(path: Self.gguf), config: plain))
        let logits = try #require(withNoGrad { unscaled.forward(tokens: ids, cache: nil, options: .logitsOnly).logits })
        #expect(maxAbs(logits, try golden.loadTensor(named: "logits")) > 1e-2)
    }

    /// The divisors give the frequencies transformers' llama3 formula gives from the config (f32 rounding apart).
    @Test func theDivisorsAreTheLlama3ScalingOfTheConfig() throws {
        let fromGGUF = try LlamaGGUF.config(from: try GGUFFile(path: Self.gguf))
        guard case .frequencyDivisors(let divisors) = fromGGUF.ropeScaling else {
            Issue.record("rope_freqs.weight was not read: \(String(describing: fromGGUF.ropeScaling))")
            return
        }
        #expect(divisors.count == 8)
        let hf = try LlamaForCausalLM.load(path: (Self.directory as NSString).appendingPathComponent("model")).config
        let plain: [Float] = (0..<8).map { Float(1 / pow(hf.ropeTheta, Double(2 * $0) / 16)) }
        let expected = try #require(hf.ropeScaling).scaled(plain)
        for (a, b) in zip(RopeScaling.frequencyDivisors(divisors).scaled(plain), expected) { #expect(abs(a - b) <= 1e-6 * b) }
        #expect(fromGGUF.headDim == hf.headDim && fromGGUF.numKeyValueHeads == hf.numKeyValueHeads)
    }

    /// A zero, negative or non-finite divisor is refused when the file is opened, naming it.
    @Test(arguments: [Float(0), -2, .nan, .infinity])
    func aBadDivisorIsRefusedByName(_ value: Float) throws {
        let file = try GGUFFile(path: Self.gguf)
        let info = try #require(file.tensor(named: "rope_freqs.weight"))
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.gguf)))
        withUnsafeBytes(of: value.bitPattern.littleEndian) { raw in
            for (index, byte) in raw.enumerated() { bytes[file.dataStart + info.offset + 4 + index] = byte }
        }
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-rope-freqs-\(UUID().uuidString).gguf")
        try Data(bytes).write(to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        #expect { _ = try LlamaForCausalLM.load(path: copy.path) } throws: { error in
            "\(error)".contains("rope_freqs divisor 1 is") && "\(error)".contains(copy.path)
        }
    }

    @Test func divisorsOfAnotherCountAreRefusedAndHaveNoTransformersConfig() throws {
        var config = try LlamaGGUF.config(from: try GGUFFile(path: Self.gguf))
        config.ropeScaling = .frequencyDivisors([1, 2, 3])
        #expect(throws: ModelConfigError("rope_freqs has 3 divisors; head_dim 16 needs 8")) { try config.validate() }
        // A transformers config cannot say them: writing one is an error, not a config without its scaling.
        config.ropeScaling = .frequencyDivisors([Float](repeating: 2, count: 8))
        #expect(throws: EncodingError.self) { _ = try JSONEncoder().encode(config) }
    }

    /// Divisors beside `linear` metadata, or not one row, are refused before any weight is read.
    @Test(arguments: [(true, [8]), (false, [4, 2])])
    func divisorsBesideLinearScalingOrNotOneRowAreRefused(_ linear: Bool, _ dims: [Int]) throws {
        var bytes = Array("GGUF".utf8)
        func u32(_ v: UInt32) { bytes += withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func u64(_ v: UInt64) { bytes += withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
        let integers = [("block_count", 1), ("embedding_length", 64), ("feed_forward_length", 96), ("attention.head_count", 4),
                        ("vocab_size", 97)]
        u32(3); u64(1); u64(UInt64(1 + integers.count + (linear ? 2 : 0)))
        string("general.architecture"); u32(8); string("llama")
        for (key, value) in integers { string("llama." + key); u32(4); u32(UInt32(value)) }
        if linear {
            string("llama.rope.scaling.type"); u32(8); string("linear")
            string("llama.rope.scaling.factor"); u32(6); u32(Float(2).bitPattern)
        }
        string("rope_freqs.weight"); u32(UInt32(dims.count)); dims.forEach { u64(UInt64($0)) }; u32(0); u64(0)
        while bytes.count % 32 != 0 { bytes.append(0) }
        for _ in 0..<8 { u32(Float(2).bitPattern) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-rope-freqs-\(UUID().uuidString).gguf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect { _ = try LlamaGGUF.config(from: try GGUFFile(path: path)) } throws: { error in
            "\(error)".contains(linear ? "both rope_freqs.weight and rope scaling 'linear'" : "rope_freqs.weight has shape [2, 4]")
        }
    }
}
