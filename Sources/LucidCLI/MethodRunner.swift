import Foundation
import LucidGeneration
import LucidModels
import LucidPipeline
import LucidTensor

/// A decoding method and its parameters, from CLI flags or a run manifest's method entry.
struct DecodingConfig {
    static let names = ["greedy", "sample", "beam", "opera", "vcd", "damro"]

    var name = "greedy"
    var sampling: SamplingParameters?
    var beam = BeamSearchParameters()
    var opera = OPERAParameters()
    var contrastive = ContrastiveParameters(alpha: 1, beta: 0.1)
    var noiseStep = 500
    var noiseSeed: UInt64 = 0
    var damroTopK = 10
    var damroAttention = OutlierAttention.singleHead

    var needsImage: Bool { name == "vcd" || name == "damro" }

    func validate() throws(GenerationError) {
        guard Self.names.contains(name) else { throw .invalidOption("decoding '\(name)' is not one of \(Self.names.joined(separator: ", "))") }
        try sampling?.validate()
        switch name {
        case "beam": try beam.validate()
        case "opera": try opera.validate()
        case "vcd", "damro":
            try contrastive.validate()
            guard (0..<VCDNoise.steps).contains(noiseStep) else { throw .invalidOption("noise step must be in 0…999") }
            guard damroTopK >= 1 else { throw .invalidOption("DAMRO top-k must be ≥ 1") }
        default: break
        }
    }


    /// The typed method of these flags or manifest options.
    func method() throws -> DecodingMethod {
        switch name {
        case "sample":
            guard let sampling else { throw CLIError("sampling needs a temperature") }
            return .sample(sampling)
        case "beam": return .beam(beam)
        case "opera": return .opera(opera)
        case "vcd": return .vcd(contrastive, noiseStep: noiseStep, noiseSeed: noiseSeed)
        case "damro": return .damro(contrastive, outliers: damroTopK, attention: damroAttention)
        default: return .greedy
        }
    }
}

/// Runs one generation with any decoding method on an opened model (shared by `generate` and `run`)
/// through `Decoding.generate`, which honours a Q-MLLM gate.
struct MethodRunner {
    /// Tokenises a gate's refusal (without it a refusal has no tokens).
    var encode: ((String) -> [Int])?

    /// Generates from token ids (with image placeholders when `pixels` is given).
    func generate(_ loaded: OpenedModel, ids: [Int], pixels: Tensor?, config: DecodingConfig, limits: GenerationLimits,
                  onToken: ((Int) -> Void)? = nil) throws -> GenerationResult {
        try config.validate()
        return try Decoding.generate(loaded.model, ids: ids, images: pixels.map { [$0] } ?? [], method: try config.method(), limits: limits,
                                     encodeRefusal: encode, onToken: onToken)
    }
}
