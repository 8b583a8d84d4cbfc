import Foundation

/// How a checkpoint rescales RoPE frequencies for long context (`rope_scaling`, or `rope_parameters` in
/// configs that transformers 5.x writes).
///
/// Lucid implements the scalings that are position-independent (the frequencies do not change with the
/// sequence length), as transformers' `ROPE_INIT_FUNCTIONS` computes them:
/// - `linear`: every inverse frequency divided by `factor` (position interpolation);
/// - `llama3` (Llama 3.1/3.2/3.3): low frequencies divided by `factor`, high frequencies kept, and the
///   band between them interpolated smoothly (`low_freq_factor`, `high_freq_factor`,
///   `original_max_position_embeddings`).
/// - per-frequency divisors: llama.cpp's `rope_freqs.weight`, the form its converter gives Llama 3's
///   scaling in a GGUF file (one f32 divisor per frequency; ggml's rope divides each angle by it).
/// `dynamic`, `yarn`, `longrope` and `mrope` are refused with a message that names them.
public enum RopeScaling: Sendable, Equatable {
    case linear(factor: Double)
    case llama3(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double,
                originalMaxPositionEmbeddings: Int)
    /// Each inverse frequency divided by its own divisor (one per frequency: head dimension / 2).
    /// Read from GGUF files only; it has no transformers config form.
    case frequencyDivisors([Float])

    /// The `rope_type` name as transformers spells it.
    public var typeName: String {
        switch self {
        case .linear: "linear"
        case .llama3: "llama3"
        case .frequencyDivisors: "llama3 (GGUF rope_freqs)"
        }
    }

    /// The scaled inverse frequencies, computed in f32 in transformers' order of operations
    /// (`_compute_linear_scaling_rope_parameters`, `_compute_llama3_parameters`).
    public func scaled(_ inverseFrequencies: [Float]) -> [Float] {
        switch self {
        case .linear(let factor):
            let f = Float(factor)
            return inverseFrequencies.map { $0 / f }
        case .llama3(let factor, let low, let high, let original):
            let f = Float(factor)
            let lowWavelength = Float(Double(original) / low)
            let highWavelength = Float(Double(original) / high)
            let twoPi = Float(2 * Double.pi)
            let oldContext = Float(original)
            let lowF = Float(low)
            let band = Float(high - low)
            return inverseFrequencies.map { inv in
                // transformers: `2 * math.pi / inv_freq` is `inv_freq.reciprocal() * (2π)` in f32.
                let wavelength = (1 / inv) * twoPi
                let base = wavelength > lowWavelength ? inv / f : inv
                let isMedium = !(wavelength < highWavelength) && !(wavelength > lowWavelength)
                guard isMedium else { return base }
                let smooth = ((1 / wavelength) * oldContext - lowF) / band
                return (1 - smooth) * base / f + smooth * base
            }
        case .frequencyDivisors(let divisors):
            // ggml_rope_ext's `freq_factors`: theta_i / factor_i. `LlamaConfig.validate` checks the count.
            return zip(inverseFrequencies, divisors).map { $0 / $1 }
        }
    }

    /// Checks the parameters' ranges (positive finite factors, low < high, a positive original context).
    public func validate() throws(ModelConfigError) {
        switch self {
        case .linear(let factor):
            guard factor.isFinite, factor > 0 else {
                throw ModelConfigError("rope_scaling factor \(factor) must be a positive finite number")
            }
        case .llama3(let factor, let low, let high, let original):
            guard factor.isFinite, factor > 0, low.isFinite, low > 0, high.isFinite, high > low else {
                throw ModelConfigError("rope_scaling llama3 needs factor > 0 and 0 < low_freq_factor < high_freq_factor "
                                       + "(got factor \(factor), low \(low), high \(high))")
            }
            guard original > 0 else {
                throw ModelConfigError("rope_scaling original_max_position_embeddings \(original) must be positive")
            }
        case .frequencyDivisors(let divisors):
            if let index = divisors.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
                throw ModelConfigError("rope_freqs divisor \(index) is \(divisors[index]); each must be a positive finite number")
            }
        }
    }
}

/// The `rope_scaling` / `rope_parameters` object of a config.json, as transformers 4.x and 5.x write it.
struct RopeParametersJSON: Codable {
    var ropeType: String?
    var legacyType: String?
    var ropeTheta: Double?
    var factor: Double?
    var lowFreqFactor: Double?
    var highFreqFactor: Double?
    var originalMaxPositionEmbeddings: Int?
    /// M-RoPE's split of the rotary half-dimension into temporal, height and width sections (Qwen2-VL).
    var mropeSection: [Int]?

    enum CodingKeys: String, CodingKey {
        case ropeType = "rope_type", legacyType = "type", ropeTheta = "rope_theta", factor
        case lowFreqFactor = "low_freq_factor", highFreqFactor = "high_freq_factor"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings", mropeSection = "mrope_section"
    }

    init(type: String) { ropeType = type }

    init(_ scaling: RopeScaling) {
        ropeType = scaling.typeName
        switch scaling {
        case .linear(let f):
            factor = f
        case .llama3(let f, let low, let high, let original):
            factor = f
            lowFreqFactor = low
            highFreqFactor = high
            originalMaxPositionEmbeddings = original
        case .frequencyDivisors:
            break  // `LlamaConfig.encode` refuses it before it gets here
        }
    }

    /// The scaling this object describes; nil for `default`. Throws for types Lucid does not implement.
    /// A missing `original_max_position_embeddings` falls back to the config's `max_position_embeddings`,
    /// as transformers does.
    func scaling(key: String, maxPositionEmbeddings: Int) throws(ModelConfigError) -> RopeScaling? {
        let type = ropeType ?? legacyType ?? "default"
        func required<T>(_ value: T?, _ name: String) throws(ModelConfigError) -> T {
            guard let value else { throw ModelConfigError("\(key) of type '\(type)' lacks '\(name)'") }
            return value
        }
        let scaling: RopeScaling?
        switch type {
        case "default", "mrope":
            // `mrope` (Qwen2-VL's 4.x configs) is plain RoPE frequencies with `mrope_section`.
            scaling = nil
        case "linear":
            scaling = .linear(factor: try required(factor, "factor"))
        case "llama3":
            scaling = .llama3(factor: try required(factor, "factor"),
                              lowFrequencyFactor: try required(lowFreqFactor, "low_freq_factor"),
                              highFrequencyFactor: try required(highFreqFactor, "high_freq_factor"),
                              originalMaxPositionEmbeddings: originalMaxPositionEmbeddings ?? maxPositionEmbeddings)
        default:
            throw ModelConfigError("\(key) type '\(type)' is not supported (Lucid implements default, linear and llama3 "
                                   + "RoPE; dynamic, yarn, longrope and mrope are not implemented)")
        }
        try scaling?.validate()
        return scaling
    }
}
