import LucidGeneration
import LucidRuns

/// OpenAI's legacy `text_completion` body and chunks, with Lucid's `lucid` object per choice.
///
/// `logprobs` is the legacy object: `tokens`, `token_logprobs`, `top_logprobs` (a map from each
/// likeliest token to its log-probability, the chosen token always among them, as OpenAI and vLLM
/// return it) and `text_offset`. With `echo` the prompt's tokens come first, the first with null
/// log-probabilities. A token is its bytes as UTF-8 (U+FFFD where it holds part of a character), and
/// its offset counts the Unicode scalars of the tokens before it in the choice (vLLM's reckoning).
///
/// Streamed, each chunk carries the entries of its tokens, offsets running on through the choice, and
/// the last chunk those whose text never came; with `echo` they all come in the last chunk instead,
/// the prompt's first (its log-probabilities are known with the result).
struct CompletionFormat: ResponseFormat {
    let header: ResponseHeader
    /// Choices per prompt (`n`): usage counts each prompt once.
    let choicesPerPrompt: Int
    /// Whether the request echoes its prompts.
    let echo: Bool
    /// Each streamed choice's text offset after the entries sent so far.
    private var offsets: [Int: Int] = [:]

    init(header: ResponseHeader, choicesPerPrompt: Int, echo: Bool) {
        (self.header, self.choicesPerPrompt, self.echo) = (header, choicesPerPrompt, echo)
    }

    func response(_ outcomes: [JobOutcome]) -> JSONValue {
        let choices = outcomes.enumerated().map { index, outcome in
            choice(index: index, text: (outcome.echo?.text ?? "") + outcome.text, logprobs: Self.logprobs(outcome), outcome: outcome)
        }
        return object(choices: choices, extra: ["usage": usage(outcomes)])
    }

    func opening(index: Int) -> JSONValue? { nil }

    /// A text piece with its tokens' entries (none with `echo`: they wait for the last chunk).
    mutating func delta(_ text: String, logprobs: [TokenLogprobEntry], index: Int) -> JSONValue {
        object(choices: [choice(index: index, text: text, logprobs: echo || logprobs.isEmpty ? nil : streamed(logprobs, index: index))])
    }

    mutating func reasoning(_ text: String, logprobs: [TokenLogprobEntry], index: Int) -> JSONValue { delta(text, logprobs: logprobs, index: index) }

    /// The choice's end: with `echo`, every entry; else those no piece carried.
    mutating func end(_ outcome: JobOutcome, index: Int) -> JSONValue {
        let logprobs = echo ? Self.logprobs(outcome) : outcome.unsentLogprobs.map { streamed($0, index: index) }
        return object(choices: [choice(index: index, text: "", logprobs: logprobs, outcome: outcome)])
    }

    /// `entries` as a legacy object whose offsets go on from the choice's last streamed one.
    private mutating func streamed(_ entries: [TokenLogprobEntry], index: Int) -> JSONValue {
        let (json, next) = Self.legacy(first: nil, entries, offset: offsets[index] ?? 0)
        offsets[index] = next
        return json
    }

    func usageChunk(_ outcomes: [JobOutcome]) -> JSONValue {
        object(choices: [], extra: ["usage": usage(outcomes)])
    }

    private func object(choices: [JSONValue], extra: [String: JSONValue] = [:]) -> JSONValue {
        header.object("text_completion", extra.merging(["choices": .array(choices)]) { $1 })
    }

    /// A choice: a text piece, or with an outcome its end (finish reason and `lucid`).
    private func choice(index: Int, text: String, logprobs: JSONValue?, outcome: JobOutcome? = nil) -> JSONValue {
        var fields: [String: JSONValue] = ["index": .int(index), "text": .string(text), "logprobs": logprobs ?? .null, "finish_reason": .null]
        if let outcome {
            fields["finish_reason"] = .string(ChatResponses.finishReason(outcome.finishReason))
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
        let echoed = outcome.echo.flatMap { echo in echo.firstTokenBytes.map { ($0, echo.logprobs ?? []) } }
        return legacy(first: echoed?.0, (echoed?.1 ?? []) + generated, offset: 0).json
    }

    /// The legacy object of `entries` (after a `first` token without log-probabilities, where given), the
    /// first offset `offset`; and the offset after them.
    static func legacy(first: [UInt8]?, _ entries: [TokenLogprobEntry], offset start: Int) -> (json: JSONValue, next: Int) {
        var tokens: [JSONValue] = []
        var values: [JSONValue] = []
        var tops: [JSONValue] = []
        var offsets: [JSONValue] = []
        var offset = start
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
            values.append(.double(TokenLogprobs.written(entry.chosen.logprob)))
            var top: [String: JSONValue] = [:]
            for candidate in entry.top + [entry.chosen] {
                let key = String(decoding: candidate.bytes, as: UTF8.self)
                if top[key] == nil { top[key] = .double(TokenLogprobs.written(candidate.logprob)) }
            }
            tops.append(.object(top))
        }
        if let first { append(first, nil) }
        for entry in entries { append(entry.chosen.bytes, entry) }
        return (.object(["tokens": .array(tokens), "token_logprobs": .array(values), "top_logprobs": .array(tops), "text_offset": .array(offsets)]),
                offset)
    }
}
