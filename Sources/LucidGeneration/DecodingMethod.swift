import LucidModels

/// A decoding method with its parameters: what `Decoding.generate` runs.
public enum DecodingMethod: Sendable {
    case greedy
    case sample(SamplingParameters)
    case beam(BeamSearchParameters)
    /// OPERA: beam search with the over-trust penalty and retrospection over the image tokens.
    case opera(OPERAParameters)
    /// VCD: contrast with the image noised at `noiseStep` of the 1000-step schedule, noise seeded by `noiseSeed`.
    case vcd(ContrastiveParameters, noiseStep: Int, noiseSeed: UInt64)
    /// DAMRO: contrast with only the image's top-`outliers` [CLS]-attention patches.
    case damro(ContrastiveParameters, outliers: Int, attention: OutlierAttention)

    /// The names methods go by on the command line and in run manifests.
    public static let names = ["greedy", "sample", "beam", "opera", "vcd", "damro"]

    public var name: String {
        switch self {
        case .greedy: return "greedy"
        case .sample: return "sample"
        case .beam: return "beam"
        case .opera: return "opera"
        case .vcd: return "vcd"
        case .damro: return "damro"
        }
    }

    /// Whether the method contrasts with a second view of the image (it needs a vision-language model and an image).
    public var needsImage: Bool {
        switch self {
        case .vcd, .damro: return true
        default: return false
        }
    }

    /// Checks every parameter's range.
    public func validate() throws(GenerationError) {
        switch self {
        case .greedy: break
        case .sample(let sampling): try sampling.validate()
        case .beam(let beam): try beam.validate()
        case .opera(let opera): try opera.validate()
        case .vcd(let contrastive, let step, _):
            try contrastive.validate()
            guard (0..<VCDNoise.steps).contains(step) else { throw .invalidOption("noise step must be in 0…999") }
        case .damro(let contrastive, let outliers, _):
            try contrastive.validate()
            guard outliers >= 1 else { throw .invalidOption("DAMRO top-k must be ≥ 1") }
        }
    }
}
