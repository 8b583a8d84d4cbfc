import Foundation

/// A judge metric a manifest asks for (`judges:`), computed after the generation items by an
/// OpenAI-compatible judge endpoint, with its records and answers kept in the run directory.
///
/// The manifest names the endpoint and the judge model, and — never the key itself — the
/// environment variable that holds the API key. Judges are not part of `RunManifest.hash`: they do
/// not change what the work items generate, so a judge can be added to a finished run and the run
/// resumed (only the judging runs). Each judged item's record carries the SHA-256 of its request, so
/// a record made with another judge model or prompt is refused, never reused.
public struct JudgeSpec: Sendable, Hashable {
    /// The judge metrics a manifest can ask for.
    public enum Metric: String, Sendable, CaseIterable {
        /// StrongREJECT rubric scores of every answer of a `prompts` run (`lucid eval strongreject`).
        case strongREJECT = "strongreject"
        /// OPERA's GPT-4V-assisted comparison of two methods of a `captions` run (`lucid eval opera-gpt4v`).
        case operaGPT4V = "opera-gpt4v"

        /// The dataset kind the metric judges.
        public var datasetKind: DatasetKind { self == .strongREJECT ? .prompts : .captions }
    }

    public var metric: Metric
    /// The API's base URL (`http` or `https`, no credentials in it), e.g. `http://127.0.0.1:8080/v1`.
    public var endpoint: URL
    /// The judge model's name at the endpoint.
    public var model: String
    /// The environment variable holding the API key (sent as a bearer token); nil: no key is sent.
    public var apiKeyEnvironment: String?
    /// Most judge requests in flight at once (1…64, default 4).
    public var concurrency: Int
    /// Most tokens the judge may answer with (1…32768); nil: the metric's default (OPERA's 300, else 1024).
    public var maxTokens: Int?
    /// Seconds one request may take (1…86400, default 120).
    public var timeout: Double
    /// The methods judged, as manifest method names or ids: exactly two for `opera-gpt4v` (assistant 1,
    /// assistant 2); for `strongreject`, the methods whose answers are scored (empty: all).
    public var methods: [String]

    public init(metric: Metric, endpoint: URL, model: String, apiKeyEnvironment: String? = nil, concurrency: Int = Self.defaultConcurrency,
                maxTokens: Int? = nil, timeout: Double = 120, methods: [String] = []) {
        self.metric = metric
        self.endpoint = endpoint
        self.model = model
        self.apiKeyEnvironment = apiKeyEnvironment
        self.concurrency = concurrency
        self.maxTokens = maxTokens
        self.timeout = timeout
        self.methods = methods
    }

    /// Keys of one `judges` entry.
    public static let keys = ["metric", "endpoint", "model", "api_key_env", "concurrency", "max_tokens", "timeout", "methods"]
    public static let defaultConcurrency = 4
    public static let concurrencyRange = 1...64
    public static let maxTokensRange = 1...32768
    public static let timeoutRange = 1.0...86400.0

    /// The file stem of the judge's records in `RUN/judges/`: `strongreject`, `strongreject.M…`, or
    /// `opera-gpt4v.M1.M2` (what `lucid eval opera-gpt4v --run` writes by default, so either resumes the other).
    public var recordName: String { Self.recordName(metric, methods: methods) }

    /// `recordName` of a judge of `metric` over `methods`.
    public static func recordName(_ metric: Metric, methods: [String]) -> String {
        ([metric.rawValue] + methods.map(fileComponent)).joined(separator: ".")
    }

    /// `text` with every character but letters, digits, `.`, `_`, `-` and `@` replaced by `_`, for a file name.
    public static func fileComponent(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || "._-@".contains($0) ? $0 : "_" })
    }

    /// Whether `name` can be an environment variable's name (`[A-Za-z_][A-Za-z0-9_]*`).
    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCII, first == "_" || CharacterSet.letters.contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || CharacterSet.alphanumerics.contains($0)) }
    }
}

extension ManifestReader {
    /// Reads `judges`: a list of judge entries, each checked into a typed `JudgeSpec`.
    func readJudges(_ value: JSONValue?, dataset: DatasetSpec, methods: [MethodSpec]) throws(ManifestError) -> [JudgeSpec] {
        guard let value else { return [] }
        var judges: [JudgeSpec] = []
        var firstIndex: [String: Int] = [:]
        for (index, element) in try list(value, at: "judges").enumerated() {
            let judge = try readJudge(element, at: "judges[\(index)]", dataset: dataset, methods: methods)
            if let first = firstIndex[judge.recordName] {
                throw fail("judges[\(index)]", "the same metric over the same methods as judges[\(first)] (both would write judges/\(judge.recordName).jsonl)")
            }
            firstIndex[judge.recordName] = index
            judges.append(judge)
        }
        return judges
    }

    func readJudge(_ value: JSONValue, at path: String, dataset: DatasetSpec, methods: [MethodSpec]) throws(ManifestError) -> JudgeSpec {
        if let fields = value.objectValue, fields["api_key"] != nil || fields["key"] != nil {
            let key = fields["api_key"] != nil ? "api_key" : "key"
            throw fail("\(path).\(key)", "an API key never goes in a manifest: put it in an environment variable and give its name as `api_key_env`")
        }
        let fields = try object(value, at: path, allowed: JudgeSpec.keys, required: ["metric", "endpoint", "model"])
        let metricName = try string(fields["metric"] ?? .null, at: "\(path).metric")
        guard let metric = JudgeSpec.Metric(rawValue: metricName) else {
            let names = JudgeSpec.Metric.allCases.map(\.rawValue)
            throw fail("\(path).metric", "unknown judge metric `\(metricName)`\(KeySuggestion.hint(for: metricName, among: names)); known: \(names.joined(separator: ", "))")
        }
        guard dataset.kind == metric.datasetKind else {
            throw fail("\(path).metric", "\(metric.rawValue) judges a `\(metric.datasetKind.rawValue)` run; this dataset's kind is `\(dataset.kind.rawValue)`")
        }
        let endpointText = try string(fields["endpoint"] ?? .null, at: "\(path).endpoint")
        guard let endpoint = URL(string: endpointText), endpoint.scheme == "http" || endpoint.scheme == "https", endpoint.host?.isEmpty == false else {
            throw fail("\(path).endpoint", "`\(endpointText)` is not an http(s) URL with a host")
        }
        guard endpoint.user == nil, endpoint.password == nil else {
            throw fail("\(path).endpoint", "the URL carries credentials: give the API key through an environment variable named by `api_key_env`")
        }
        let model = try string(fields["model"] ?? .null, at: "\(path).model")
        let keyName = try fields["api_key_env"].map { value throws(ManifestError) in try string(value, at: "\(path).api_key_env") }
        if let keyName, !JudgeSpec.isEnvironmentName(keyName) {
            throw fail("\(path).api_key_env", "`\(keyName)` is not an environment variable's name (letters, digits and `_`, not starting with a digit): give the variable's name, not the key")
        }
        let concurrency = try fields["concurrency"].map { value throws(ManifestError) in
            try int(value, at: "\(path).concurrency", in: JudgeSpec.concurrencyRange)
        } ?? JudgeSpec.defaultConcurrency
        let maxTokens = try fields["max_tokens"].map { value throws(ManifestError) in try int(value, at: "\(path).max_tokens", in: JudgeSpec.maxTokensRange) }
        var timeout = 120.0
        if let value = fields["timeout"] {
            guard let seconds = value.doubleValue, seconds.isFinite else { throw fail("\(path).timeout", "expected a number of seconds, found \(value.typeDescription)") }
            guard JudgeSpec.timeoutRange.contains(seconds) else { throw fail("\(path).timeout", "must be in 1…86400 seconds, found \(seconds)") }
            timeout = seconds
        }
        let judged = try readJudgedMethods(fields["methods"], entry: path, metric: metric, methods: methods)
        return JudgeSpec(metric: metric, endpoint: endpoint, model: model, apiKeyEnvironment: keyName, concurrency: concurrency,
                         maxTokens: maxTokens, timeout: timeout, methods: judged)
    }

    /// The judged methods: each a method name of the manifest with one configuration, or a method id
    /// (`opera@1f0c9a2e`); `opera-gpt4v` needs exactly two different ones.
    func readJudgedMethods(_ value: JSONValue?, entry: String, metric: JudgeSpec.Metric, methods: [MethodSpec]) throws(ManifestError) -> [String] {
        guard let value else {
            if metric == .operaGPT4V { throw fail(entry, "missing key `methods` (the two methods to compare, e.g. [beam, opera])") }
            return []
        }
        let path = "\(entry).methods"
        var selected: [String] = []
        var ids: [String] = []
        for (index, element) in try list(value, at: path).enumerated() {
            let name = try string(element, at: "\(path)[\(index)]")
            let matching = methods.filter { $0.id == name || $0.name == name }
            guard !matching.isEmpty else {
                throw fail("\(path)[\(index)]", "no method `\(name)` in `methods` (known: \(methods.map(\.name).joined(separator: ", ")))")
            }
            guard matching.count == 1 else {
                throw fail("\(path)[\(index)]", "method `\(name)` has \(matching.count) configurations (\(matching.map(\.id).joined(separator: ", "))): name one by its id")
            }
            guard !ids.contains(matching[0].id) else { throw fail("\(path)[\(index)]", "`\(name)` is already judged") }
            ids.append(matching[0].id)
            selected.append(name)
        }
        if metric == .operaGPT4V, selected.count != 2 {
            throw fail(path, "opera-gpt4v compares exactly two methods (assistant 1, assistant 2), found \(selected.count)")
        }
        return selected
    }

    func int(_ value: JSONValue, at path: String, in range: ClosedRange<Int>) throws(ManifestError) -> Int {
        let number = try int(value, at: path, minimum: range.lowerBound)
        guard number <= range.upperBound else { throw fail(path, "must be in \(range.lowerBound)…\(range.upperBound), found \(number)") }
        return number
    }
}
