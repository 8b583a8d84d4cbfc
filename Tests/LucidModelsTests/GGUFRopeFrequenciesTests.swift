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
        var file = MiniGGUF(metadata: MiniGGUF.llamaHeader, tensors: [("rope_freqs.weight", dims, [Float](repeating: 2, count: 8))])
        if linear { file.metadata += [("llama.rope.scaling.type", .string("linear")), ("llama.rope.scaling.factor", .f32(2))] }
        let path = try file.write()
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect { _ = try LlamaGGUF.config(from: try GGUFFile(path: path)) } throws: { error in
            "\(error)".contains(linear ? "both rope_freqs.weight and rope scaling 'linear'" : "rope_freqs.weight has shape [2, 4]")
        }
    }
}
