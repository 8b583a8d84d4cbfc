import Foundation
import Testing
@testable import LucidModels
@testable import LucidNN
@testable import LucidTensor

/// Long-context RoPE scaling (`rope_scaling` / `rope_parameters`): what configs Lucid reads, what it refuses,
/// and that the scaling reaches the logits (the conformance itself is in `LlamaConformanceTests`).
@Suite("RoPE scaling")
struct RopeScalingTests {
    static func config(_ json: String) throws -> LlamaConfig {
        try JSONDecoder().decode(LlamaConfig.self, from: Data(json.utf8))
    }

    @Test func llama3ScalingIsReadFromTransformers4AndTransformers5Configs() throws {
        let legacy = try Self.config("""
            {"rope_theta": 500000, "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
             "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}
            """)
        let expected = RopeScaling.llama3(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4,
                                          originalMaxPositionEmbeddings: 8192)
        #expect(legacy.ropeScaling == expected && legacy.ropeTheta == 500000)
        let v5 = try Self.config("""
            {"rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
             "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}
            """)
        #expect(v5 == legacy)
        let linear = try Self.config(#"{"rope_scaling": {"type": "linear", "factor": 2.0}}"#)
        #expect(linear.ropeScaling == .linear(factor: 2))
        let plain = try Self.config(#"{"rope_parameters": {"rope_type": "default", "rope_theta": 1000.0}}"#)
        #expect(plain.ropeScaling == nil && plain.ropeTheta == 1000)
        #expect(try Self.config(#"{"rope_scaling": null}"#).ropeScaling == nil)
    }

    @Test func aConfigWithScalingSurvivesEncoding() throws {
        let original = try Self.config("""
            {"rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
             "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}
            """)
        let again = try JSONDecoder().decode(LlamaConfig.self, from: JSONEncoder().encode(original))
        #expect(again == original)
    }

    @Test(arguments: [
        (#"{"rope_scaling": {"rope_type": "yarn", "factor": 4.0}}"#, "'yarn' is not supported"),
        (#"{"rope_scaling": {"rope_type": "dynamic", "factor": 2.0}}"#, "'dynamic' is not supported"),
        (#"{"rope_scaling": {"type": "llama3", "factor": 8.0}}"#, "lacks 'low_freq_factor'"),
        (#"{"rope_scaling": {"rope_type": "linear"}}"#, "lacks 'factor'"),
        (#"{"rope_scaling": {"rope_type": "linear", "factor": -2.0}}"#, "must be a positive finite number"),
        ("""
         {"rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 4.0, "high_freq_factor": 1.0,
          "original_max_position_embeddings": 8192}}
         """, "low_freq_factor < high_freq_factor"),
    ])
    func unsupportedOrBrokenScalingIsRefusedByName(json: String, message: String) {
        #expect {
            _ = try Self.config(json)
        } throws: { error in
            "\(error)".contains(message) && "\(error)".contains("rope_scaling")
        }
    }

    @Test func llama3KeepsHighFrequenciesDividesLowOnesAndSmoothsBetween() {
        // head_dim 16, base 10000, original context 16, low 1, high 4: wavelengths 2π (smoothed band 4…16),
        // 19.9 and longer (beyond 16: divided by the factor). Values worked by hand from the published formula.
        let scaling = RopeScaling.llama3(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4,
                                         originalMaxPositionEmbeddings: 16)
        let plain: [Float] = (0..<8).map { Float(1 / pow(10000.0, Double(2 * $0) / 16)) }
        let scaled = scaling.scaled(plain)
        for index in 1..<8 { #expect(abs(scaled[index] - plain[index] / 8) <= 1e-7 * plain[index]) }
        let smooth = (16 / (2 * Double.pi) - 1) / 3
        let expected = (1 - smooth) * 1 / 8 + smooth * 1
        #expect(abs(Double(scaled[0]) - expected) < 1e-6)
        let short = RopeScaling.llama3(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4,
                                       originalMaxPositionEmbeddings: 8192)
        #expect(short.scaled([1])[0] == 1, "a wavelength below high_freq_wavelen is kept")
    }

    @Test(arguments: ["llama31-rope", "llama-linear-rope"])
    func theScalingChangesTheLogits(_ name: String) throws {
        let path = Fixtures.path("llama", name, "model")
        let scaled = try LlamaForCausalLM.load(path: path)
        #expect(scaled.config.ropeScaling != nil)
        var config = scaled.config
        config.ropeScaling = nil
        let plain = try LlamaForCausalLM(config)
        try plain.load(from: try SafetensorsCheckpoint(path: path),
                       options: LoadOptions(ignoreUnexpected: { $0.hasSuffix("rotary_emb.inv_freq") }))
        let golden = try Fixtures.golden(Fixtures.path("llama", name))
        let ids = try golden.loadTensor(named: "input_ids")
        let logits = try #require(withNoGrad { plain.forward(tokens: ids, cache: nil, options: .logitsOnly).logits })
        #expect(maxAbs(logits, try golden.loadTensor(named: "logits")) > 1e-2,
                "without the scaling the fixture's logits must not be reproduced")
    }
}
