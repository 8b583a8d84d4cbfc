import LucidRuns

/// OpenAI's legacy `text_completion` body and chunks, with Lucid's `lucid` object per choice.
///
/// `logprobs` is the legacy object: `tokens`, `token_logprobs`, `top_logprobs` (a map from each
/// likeliest token to its log-probability, the chosen token always among them, as OpenAI and vLLM
/// return it) and `text_offset`. With `echo` the prompt's tokens come first, the first with null
/// log-probabilities. A token is its bytes as UTF-8 (U+FFFD where it holds part of a character), and
/// its offset counts the Unicode scalars of the tokens before it in the choice (vLLM's reckoning).
struct CompletionFormat: ResponseFormat {
    let id: String
    let created: Int
    let model: String
    /// Choices per prompt (`n`): usage counts each prompt once.
    let choicesPerPrompt: Int

    func response(_ outcomes: [JobOutcome]) -> JSONValue {
        let choices = outcomes.enumerated().map { index, outcome in
            choice(index: index, text: (outcome.echo?.text ?? "") + outcome.text, outcome: outcome)
        }
        return object(choices: choices, extra: ["usage": usage(outcomes)])
    }

    func opening(index: Int) -> JSONValue? { nil }

    /// A text piece. Its tokens' log-probabilities wait for the last chunk, which carries them all, the
    /// echoed prompt's (known with the result) first.
    func delta(_ text: String, logprobs: [TokenLogprobEntry], index: Int) -> JSONValue {
        object(choices: [choice(index: index, text: text, outcome: nil)])
    }

    func reasoning(_ text: String, logprobs: [TokenLogprobEntry], index: Int) -> JSONValue { delta(text, logprobs: logprobs, index: index) }

    func end(_ outcome: JobOutcome, index: Int) -> JSONValue {
        object(choices: [choice(index: index, text: "", outcome: outcome)])
    }

    func usageChunk(_ outcomes: [JobOutcome]) -> JSONValue {
        object(choices: [], extra: ["usage": usage(outcomes)])
    }

    private func object(choices: [JSONValue], extra: [String: JSONValue] = [:]) -> JSONValue {
        var fields: [String: JSONValue] = ["id": .string(id), "object": "text_completion", "created": .int(created), "model": .string(model),
                                           "choices": .array(choices)]
        fields.merge(extra) { $1 }
        return .object(fields)
    }

    /// A choice; with an outcome, its end (finish reason, log-probabilities, `lucid`), else a text piece.
    private func choice(index: Int, text: String, outcome: JobOutcome?) -> JSONValue {
        var fields: [String: JSONValue] = ["index": .int(index), "text": .string(text), "logprobs": .null, "finish_reason": .null]
        if let outcome {
            fields["finish_reason"] = .string(ChatResponses.finishReason(outcome.finishReason))
            fields["logprobs"] = Self.logprobs(outcome) ?? .null
            fields["lucid"] = ChatResponses.lucid(outcome)
        }
        return .object(fields)
    }

    private func usage(_ outcomes: [JobOutcome]) -> JSONValue {
        let prompt = stride(from: 0, to: outcomes.count, by: max(1, choicesPerPrompt)).reduce(0) { $0 + outcomes[$1].promptTokens }
        let completion = outcomes.reduce(0) { $0 + $1.tokens.count }
        return .object(["prompt_tokens": .int(prompt), "completion_tokens": .int(completion), "total_tokens": .int(prompt + completion)])
    }

    /// The legacy `logprobs` of an outcome that asked for them (the echoed prompt's first, when scored).
    static func logprobs(_ outcome: JobOutcome) -> JSONValue? {
        guard let generated = outcome.logprobs else { return nil }
        var tokens: [JSONValue] = []
        var values: [JSONValue] = []
        var tops: [JSONValue] = []
        var offsets: [JSONValue] = []
        var offset = 0
        func append(_ bytes: [UInt8], _ entry: TokenLogprobEntry?) {
            let token = String(decoding: bytes, as: UTF8.self)
            tokens.append(.string(token))
            offsets.append(.int(offset))
            offset += token.unicodeScalars.count
            guard let entry else {
                values.append(.null)
                tops.append(.null)
                return
            }
            values.append(.double(ChatResponses.written(entry.chosen.logprob)))
            var top: [String: JSONValue] = [:]
            for candidate in entry.top + [entry.chosen] {
                let key = String(decoding: candidate.bytes, as: UTF8.self)
                if top[key] == nil { top[key] = .double(ChatResponses.written(candidate.logprob)) }
            }
            tops.append(.object(top))
        }
        if let echo = outcome.echo, let first = echo.firstTokenBytes {
            append(first, nil)
            for entry in echo.logprobs ?? [] { append(entry.chosen.bytes, entry) }
        }
        for entry in generated { append(entry.chosen.bytes, entry) }
        return .object(["tokens": .array(tokens), "token_logprobs": .array(values), "top_logprobs": .array(tops), "text_offset": .array(offsets)])
    }
}
