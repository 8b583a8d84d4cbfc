import LucidGeneration
import LucidRuns

extension TokenLogprobs {
    /// One token's log-probabilities as `lucid generate --json` and run results record them: `token_id`,
    /// `logprob` and `top_logprobs` (`[{token_id, logprob}]`, likeliest first), −∞ written as −9999.0.
    public var jsonValue: JSONValue {
        func candidate(_ c: Candidate) -> [String: JSONValue] { ["token_id": .int(c.token), "logprob": .double(Self.written(c.logprob))] }
        var object = candidate(chosen)
        object["top_logprobs"] = .array(top.map { .object(candidate($0)) })
        return .object(object)
    }
}
