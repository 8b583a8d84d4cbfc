import LucidGeneration
import LucidModels
import LucidRuns

extension DecodingMethod {
    /// Options each manifest method accepts.
    public static let manifestOptions: [String: Set<String>] = [
        "greedy": [], "sample": ["temperature", "top_k", "top_p"], "beam": ["beams", "length_penalty"],
        "opera": ["beams", "candidates", "scale", "threshold", "penalty", "mode", "efficient", "length_penalty"],
        "vcd": ["alpha", "beta", "noise_step", "temperature", "top_k", "top_p"],
        "damro": ["alpha", "beta", "outliers", "attention", "warpers", "temperature", "top_k", "top_p"],
    ]

    /// A run manifest's method entry with the item's seed (sampling and VCD noise); unknown methods
    /// and options are errors. Defaults: beams 5, OPERA's official parameters, VCD α 1 / noise step 500,
    /// DAMRO α 2 / 10 outliers / single-head attention / warpers bypassed, β 0.1, temperature 1 for `sample`.
    public init(manifest method: MethodSpec, seed: Int) throws(RunSpecError) {
        guard let known = Self.manifestOptions[method.name] else {
            throw RunSpecError("method '\(method.name)' is not one of \(Self.names.joined(separator: ", "))")
        }
        if let unknown = method.options.keys.sorted().first(where: { !known.contains($0) }) {
            throw RunSpecError("method '\(method.name)': unknown option '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        let o = method.options
        func number(_ key: String) -> Double? { o[key]?.doubleValue ?? o[key]?.intValue.map(Double.init) }
        let s = UInt64(max(0, seed))
        let sampling = (number("temperature") ?? (method.name == "sample" ? 1 : nil)).map {
            SamplingParameters(temperature: $0, topK: o["top_k"]?.intValue ?? 0, topP: number("top_p") ?? 1, seed: s)
        }
        let damro = method.name == "damro"
        let contrastive = ContrastiveParameters(alpha: number("alpha") ?? (damro ? 2 : 1), beta: number("beta") ?? 0.1,
                                                sampling: sampling, applyWarpers: damro ? o["warpers"] == .bool(true) : true)
        switch method.name {
        case "sample":
            self = .sample(sampling ?? SamplingParameters(seed: s))
        case "beam":
            self = .beam(BeamSearchParameters(beams: o["beams"]?.intValue ?? 5, lengthPenalty: number("length_penalty") ?? 1))
        case "opera":
            var opera = o["efficient"] == .bool(true) ? OPERAParameters.efficient : OPERAParameters()
            opera.beams = o["beams"]?.intValue ?? 5
            if let c = o["candidates"]?.intValue { opera.candidates = c }
            if let r = o["threshold"]?.intValue { opera.threshold = r }
            opera.scale = number("scale") ?? 50
            opera.penaltyWeight = number("penalty") ?? 1
            opera.lengthPenalty = number("length_penalty") ?? 1
            if let mode = o["mode"]?.stringValue {
                guard let parsed = OPERAParameters.PenaltyMode(rawValue: mode) else { throw RunSpecError("opera: mode must be official or smooth") }
                opera.penaltyMode = parsed
            }
            self = .opera(opera)
        case "vcd":
            self = .vcd(contrastive, noiseStep: o["noise_step"]?.intValue ?? 500, noiseSeed: s)
        case "damro":
            var attention = OutlierAttention.singleHead
            if let name = o["attention"]?.stringValue {
                guard let parsed = OutlierAttention(rawValue: name) else { throw RunSpecError("damro: attention must be single-head or head-mean") }
                attention = parsed
            }
            self = .damro(contrastive, outliers: o["outliers"]?.intValue ?? 10, attention: attention)
        default:
            self = .greedy
        }
        do { try validate() } catch { throw RunSpecError("method '\(method.name)': \(error.description)") }
    }
}
