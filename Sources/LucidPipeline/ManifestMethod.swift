import LucidGeneration
import LucidModels
import LucidRuns

extension DecodingMethod {
    /// Options each manifest method accepts.
    public static let manifestOptions: [String: Set<String>] = [
        "greedy": GenerationLimits.manifestOptions, "sample": GenerationLimits.manifestOptions.union(["temperature", "top_k", "top_p", "min_p"]),
        "beam": GenerationLimits.manifestOptions(LogitsAdjustment.beamSearch).union(["beams", "length_penalty", "hypothesis_length"]),
        "opera": GenerationLimits.manifestOptions(LogitsAdjustment.beamSearch)
            .union(["beams", "candidates", "scale", "threshold", "penalty", "mode", "efficient", "length_penalty", "hypothesis_length"]),
        "vcd": ["alpha", "beta", "noise_step", "temperature", "top_k", "top_p"],
        "damro": ["alpha", "beta", "outliers", "attention", "warpers", "temperature", "top_k", "top_p"],
    ]

    /// A run manifest's method entry with the item's seed (sampling and VCD noise); unknown methods
    /// and options are errors. Defaults: beams 5, OPERA's official parameters, VCD α 1 / noise step 500,
    /// DAMRO α 2 / 10 outliers / single-head attention / warpers bypassed, β 0.1, temperature 1 for `sample`.
    public init(manifest method: MethodSpec, seed: Int) throws(RunSpecError) {
        guard Self.manifestOptions[method.name] != nil else {
            throw RunSpecError("method '\(method.name)' is not one of \(Self.names.joined(separator: ", "))")
        }
        do { try self.init(strict: method, seed: seed) } catch {
            throw RunSpecError("method '\(method.name)': \(error.description)")
        }
    }

    /// A manifest method with errors located in the manifest (`sweep.yaml:12: methods[1].beams: …`).
    public init(manifest method: MethodSpec, index: Int, seed: Int, locations: ManifestLocations) throws(ManifestError) {
        do { try self.init(strict: method, seed: seed) } catch {
            throw locations.error(at: error.key.isEmpty ? "methods[\(index)]" : "methods[\(index)].\(error.key)", error.reason)
        }
    }

    /// Every option typed and ranged: a wrong type is an error naming the option, never the default.
    init(strict method: MethodSpec, seed: Int) throws(ManifestOptionReader.Failure) {
        guard let known = Self.manifestOptions[method.name] else {
            throw .init(key: "", reason: "method '\(method.name)' is not one of \(Self.names.joined(separator: ", "))")
        }
        if let unknown = method.options.keys.sorted().first(where: { !known.contains($0) }) {
            let list = known.sorted().joined(separator: ", ")
            throw .init(key: unknown, reason: "unknown option for \(method.name) (known: \(list))", message: "unknown option '\(unknown)' (known: \(list))")
        }
        var limits = GenerationLimits(maxNewTokens: 0)
        try limits.apply(strict: method)  // read by the worker into its limits; checked here with the rest
        let o = ManifestOptionReader(options: method.options)
        let s = UInt64(max(0, seed))
        let sampling = try (o.double("temperature", in: 0...1e6) ?? (method.name == "sample" ? 1 : nil)).map { temperature throws(ManifestOptionReader.Failure) in
            SamplingParameters(temperature: temperature, topK: try o.int("top_k", in: 0...Int(Int32.max)) ?? 0,
                               topP: try o.double("top_p", in: 0...1) ?? 1, seed: s, minP: try o.double("min_p", in: 0...1) ?? 0)
        }
        if sampling == nil, let key = ["top_k", "top_p"].first(where: { method.options[$0] != nil }) {
            throw .init(key: key, reason: "needs `temperature` (without it \(method.name) does not sample)")
        }
        let damro = method.name == "damro"
        let contrastive = ContrastiveParameters(alpha: try o.double("alpha") ?? (damro ? 2 : 1), beta: try o.double("beta", in: 0...1) ?? 0.1,
                                                sampling: sampling, applyWarpers: damro ? (try o.bool("warpers") ?? false) : true)
        switch method.name {
        case "sample":
            self = .sample(sampling ?? SamplingParameters(seed: s))
        case "beam":
            self = .beam(BeamSearchParameters(beams: try o.int("beams", in: 1...64) ?? 5, lengthPenalty: try o.double("length_penalty") ?? 1,
                                              hypothesisLength: try o.hypothesisLength("hypothesis_length")))
        case "opera":
            var opera = try o.bool("efficient") == true ? OPERAParameters.efficient : OPERAParameters()
            opera.beams = try o.int("beams", in: 1...64) ?? 5
            if let c = try o.int("candidates", in: 1...4096) { opera.candidates = c }
            if let r = try o.int("threshold", in: 1...1_000_000) { opera.threshold = r }
            opera.scale = try o.double("scale") ?? 50
            opera.penaltyWeight = try o.double("penalty") ?? 1
            opera.lengthPenalty = try o.double("length_penalty") ?? 1
            opera.hypothesisLength = try o.hypothesisLength("hypothesis_length")
            if let mode = try o.string("mode") {
                guard let parsed = OPERAParameters.PenaltyMode(rawValue: mode) else { throw .init(key: "mode", reason: "must be official or smooth, found `\(mode)`") }
                opera.penaltyMode = parsed
            }
            self = .opera(opera)
        case "vcd":
            self = .vcd(contrastive, noiseStep: try o.int("noise_step", in: Int.min...Int.max) ?? 500, noiseSeed: s)
        case "damro":
            var attention = OutlierAttention.singleHead
            if let name = try o.string("attention") {
                guard let parsed = OutlierAttention(rawValue: name) else { throw .init(key: "attention", reason: "must be single-head or head-mean, found `\(name)`") }
                attention = parsed
            }
            self = .damro(contrastive, outliers: try o.int("outliers", in: 1...100_000) ?? 10, attention: attention)
        default:
            self = .greedy
        }
        do { try validate() } catch { throw .init(key: "", reason: error.description) }
    }
}

extension GenerationLimits {
    /// The options greedy and sample methods take in a run manifest to process their logits (neutral when absent):
    /// `repetition_penalty`, `presence_penalty`, `frequency_penalty`, `min_new_tokens`, `no_repeat_ngram_size` and `logit_bias`.
    public static let manifestOptions = manifestOptions(Set(LogitsAdjustment.allCases))

    /// The manifest options that set `adjustments` (beam and opera take those of `LogitsAdjustment.beamSearch`);
    /// the repetition penalty comes with `repetition_context`.
    public static func manifestOptions(_ adjustments: Set<LogitsAdjustment>) -> Set<String> {
        Set(adjustments.flatMap { adjustment in
            switch adjustment {
            case .logitBias: ["logit_bias"]
            case .minimumLength: ["min_new_tokens"]
            case .repetitionPenalty: ["repetition_penalty", "repetition_context"]
            case .presencePenalty: ["presence_penalty"]
            case .frequencyPenalty: ["frequency_penalty"]
            case .noRepeatNGram: ["no_repeat_ngram_size"]
            }
        })
    }

    /// Sets the penalties (`repetition_penalty` 0.001 … 1000 with `repetition_context` prompt, bos, output or ids,
    /// `presence_penalty` and `frequency_penalty` −2 … 2), `min_new_tokens` (at most `max_new_tokens`, checked at
    /// generation), `no_repeat_ngram_size` (0 = off) and `logit_bias` (token id → −100 … 100) of a manifest's method, those it takes (`DecodingMethod.manifestOptions`: all for greedy and sample, all but
    /// the presence and frequency penalties for beam and opera, none for vcd and damro).
    public mutating func apply(manifest method: MethodSpec) throws(RunSpecError) {
        do { try apply(strict: method) } catch { throw RunSpecError("method '\(method.name)': \(error.description)") }
    }

    /// The most tokens a logit bias may name: they bound each step's work.
    public static let maximumLogitBias = 1024

    /// A logit bias from JSON: an object from token ids (integers written as strings, "50256") to biases in
    /// −100 … 100, at most `maximumLogitBias` of them. Whether each id is the model's is checked at generation.
    public static func logitBias(json value: JSONValue) throws(RunSpecError) -> [Int: Double] {
        guard let object = value.objectValue else { throw RunSpecError("expected an object from token ids to biases, found \(value.typeDescription)") }
        guard object.count <= maximumLogitBias else { throw RunSpecError("at most \(maximumLogitBias) tokens, found \(object.count)") }
        var bias: [Int: Double] = [:]
        for (key, item) in object.sorted(by: { $0.key < $1.key }) {
            guard let id = Int(key), id >= 0, String(id) == key else { throw RunSpecError("keys must be token ids written as integers, found `\(key.prefix(40))`") }
            guard let number = item.doubleValue, logitBiasRange.contains(number) else { throw RunSpecError("the bias of token \(id) must be a number in −100…100") }
            bias[id] = number
        }
        return bias
    }

    mutating func apply(strict method: MethodSpec) throws(ManifestOptionReader.Failure) {
        let o = ManifestOptionReader(options: method.options)
        penalties = TokenPenalties(repetition: try o.double("repetition_penalty", in: TokenPenalties.repetitionRange) ?? 1,
                                   presence: try o.double("presence_penalty", in: TokenPenalties.presenceRange) ?? 0,
                                   frequency: try o.double("frequency_penalty", in: TokenPenalties.presenceRange) ?? 0)
        repetitionContext = try o.repetitionContext("repetition_context") ?? .prompt
        minNewTokens = try o.int("min_new_tokens", in: 0...Self.maximumNewTokens) ?? 0
        noRepeatNGramSize = try o.int("no_repeat_ngram_size", in: Self.noRepeatNGramRange) ?? 0
        logitBias = try o.logitBias("logit_bias")
    }
}
