import LucidGeneration
import LucidRuns
import LucidText

/// Reads a manifest option object strictly: a value of the wrong type or outside its range is an
/// error naming the key, never the default (`beams: five` does not run with 5 beams).
struct ManifestOptionReader {
    /// An option that cannot be used: its key and why.
    struct Failure: Error, CustomStringConvertible {
        /// The option, empty when the failure is about the whole entry.
        let key: String
        let reason: String
        /// The one-line form when the key path is not printed separately.
        var message: String?
        init(key: String, reason: String, message: String? = nil) {
            self.key = key
            self.reason = reason
            self.message = message
        }
        var description: String { message ?? (key.isEmpty ? reason : "\(key): \(reason)") }
    }

    let options: [String: JSONValue]

    func int(_ key: String, in range: ClosedRange<Int>) throws(Failure) -> Int? {
        guard let value = options[key] else { return nil }
        guard let number = value.intValue else { throw Failure(key: key, reason: "expected an integer, found \(value.typeDescription)") }
        guard range.contains(number) else { throw Failure(key: key, reason: "must be in \(range.lowerBound)…\(range.upperBound), found \(number)") }
        return number
    }

    func double(_ key: String, in range: ClosedRange<Double> = -1e9...1e9) throws(Failure) -> Double? {
        guard let value = options[key] else { return nil }
        guard let number = value.doubleValue, number.isFinite else { throw Failure(key: key, reason: "expected a number, found \(value.typeDescription)") }
        guard range.contains(number) else { throw Failure(key: key, reason: "must be in \(range.lowerBound)…\(range.upperBound), found \(number)") }
        return number
    }

    func bool(_ key: String) throws(Failure) -> Bool? {
        guard let value = options[key] else { return nil }
        guard case .bool(let flag) = value else {
            throw Failure(key: key, reason: "expected true or false, found \(value.typeDescription)\(value.stringValue.map { " `\($0)`" } ?? "")")
        }
        return flag
    }

    /// A logit bias (`GenerationLimits.logitBias(json:)`); empty when absent.
    func logitBias(_ key: String) throws(Failure) -> [Int: Double] {
        guard let value = options[key] else { return [:] }
        do { return try GenerationLimits.logitBias(json: value) } catch { throw Failure(key: key, reason: error.description) }
    }

    /// What the repetition penalty counts besides the output: `prompt`, `bos`, `output`, or an array of token ids.
    func repetitionContext(_ key: String) throws(Failure) -> RepetitionContext? {
        guard let value = options[key] else { return nil }
        if let items = value.arrayValue {
            let ids = items.compactMap(\.intValue).filter { $0 >= 0 }
            guard ids.count == items.count, (1...RepetitionContext.maximumIDs).contains(ids.count) else {
                throw Failure(key: key, reason: "an array of token ids must hold 1…\(RepetitionContext.maximumIDs) integers ≥ 0")
            }
            return .ids(ids)
        }
        // Ids come as an array: a string names a context.
        guard let name = value.stringValue, ["prompt", "bos", "output"].contains(name), let context = RepetitionContext(name) else {
            throw Failure(key: key, reason: "must be prompt, bos, output or an array of token ids, found \(value.stringValue.map { "`\($0.prefix(40))`" } ?? value.typeDescription)")
        }
        return context
    }

    /// What a beam hypothesis's length counts: `new` (the default) or `sequence`.
    func hypothesisLength(_ key: String) throws(Failure) -> HypothesisLength {
        guard let name = try string(key) else { return .new }
        guard let rule = HypothesisLength(rawValue: name) else { throw Failure(key: key, reason: "must be new or sequence, found `\(name.prefix(40))`") }
        return rule
    }

    func string(_ key: String) throws(Failure) -> String? {
        guard let value = options[key] else { return nil }
        guard let text = value.stringValue else { throw Failure(key: key, reason: "expected a string, found \(value.typeDescription)") }
        return text
    }
}

/// The generation options `lucid run` reads from a manifest (docs/runs.md), checked strictly.
public struct ManifestGeneration: Sendable, Equatable {
    public static let keys = ["max_new_tokens", "prompt", "prompt_suffix", "pad_to_square", "image_folder", "reasoning", "logprobs", "logprobs_mode"]

    public var maxNewTokens = 64
    public var prompt: String?
    public var promptSuffix: String?
    public var padToSquare = false
    public var imageFolder: String?
    /// What a model whose template writes reasoning (`deepseek-r1`, `qwen3`) records: `split` (the default)
    /// puts its answer in `text` and its reasoning in `reasoning`; `keep` puts the whole output in `text`.
    public var reasoning = ReasoningMode.split
    /// `logprobs` (0 … 20) with `logprobs_mode` (`raw_logprobs`, the default, or `processed_logprobs`): each
    /// result records its tokens' log-probabilities and that many alternatives; nil records none.
    public var logprobs: LogprobsRequest?

    /// Reads `generation`; unknown keys, wrong types and out-of-range values are errors
    /// (`sweep.yaml:9: generation.max_new_tokens: expected an integer, found a string`).
    public init(_ manifest: RunManifest) throws(ManifestError) {
        try self.init(manifest.generation, locations: manifest.locations)
    }

    public init(_ generation: [String: JSONValue], locations: ManifestLocations = ManifestLocations()) throws(ManifestError) {
        for key in generation.keys.sorted() where !Self.keys.contains(key) {
            throw locations.error(at: "generation.\(key)", "unknown option; `lucid run` reads \(Self.keys.map { "`\($0)`" }.joined(separator: ", "))")
        }
        let reader = ManifestOptionReader(options: generation)
        do throws(ManifestOptionReader.Failure) {
            maxNewTokens = try reader.int("max_new_tokens", in: 1...GenerationLimits.maximumNewTokens) ?? 64
            prompt = try reader.string("prompt")
            promptSuffix = try reader.string("prompt_suffix")
            padToSquare = try reader.bool("pad_to_square") ?? false
            imageFolder = try reader.string("image_folder")
            if let mode = try reader.string("reasoning") {
                guard let known = ReasoningMode(rawValue: mode) else {
                    throw ManifestOptionReader.Failure(key: "reasoning", reason: "expected split or keep, found '\(mode)'")
                }
                reasoning = known
            }
            logprobs = try reader.int("logprobs", in: 0...TokenLogprobs.maximumTop).map { LogprobsRequest(top: $0) }
            if let mode = try reader.string("logprobs_mode") {
                guard let known = LogprobsMode(rawValue: mode) else {
                    throw ManifestOptionReader.Failure(key: "logprobs_mode", reason: "expected raw_logprobs or processed_logprobs, found '\(mode)'")
                }
                guard logprobs != nil else { throw ManifestOptionReader.Failure(key: "logprobs_mode", reason: "needs `logprobs` (how many alternatives)") }
                logprobs?.mode = known
            }
        } catch {
            throw locations.error(at: "generation.\(error.key)", error.reason)
        }
    }
}
