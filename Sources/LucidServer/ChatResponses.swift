import Foundation
import LucidGeneration
import LucidRuns

/// The JSON bodies of chat completions: OpenAI's `chat.completion` and `chat.completion.chunk`,
/// with Lucid's `lucid` object.
enum ChatResponses {
    /// OpenAI's finish reason for Lucid's.
    static func finishReason(_ reason: FinishReason) -> String {
        switch reason {
        case .eos, .stopString: return "stop"
        case .length: return "length"
        case .refused: return "content_filter"
        case .cancelled: return "cancelled"
        }
    }

    /// Lucid's extension: the method, the gate's decision, forward passes per token and timings.
    ///
    /// `passes_per_token` is forward passes (prefill included) per generated token: greedy and
    /// sampling make 1, so it is the method's pass overhead over greedy; each pass of beam search
    /// and OPERA carries the beams as rows, of VCD/DAMRO the two views.
    static func lucid(_ outcome: JobOutcome) -> JSONValue {
        let s = outcome.statistics
        let tokens = max(1, outcome.tokens.count)
        var gate: [String: JSONValue] = ["checked": .bool(outcome.gate.checked), "refused": .bool(outcome.gate.refused)]
        if let message = outcome.gate.message { gate["message"] = .string(message) }
        return .object([
            "decoding": .string(outcome.methodName),
            "finish_reason": .string(outcome.finishReason.rawValue),
            "gate": .object(gate),
            "forward_passes": .int(s.forwardPasses),
            "passes_per_token": .double(outcome.tokens.isEmpty ? 0 : Double(s.forwardPasses) / Double(tokens)),
            "prefill_tokens": .int(s.prefillTokens),
            "prefill_seconds": .double(s.prefillSeconds),
            "decode_seconds": .double(s.decodeSeconds),
            "seconds_per_token": .double(outcome.tokens.isEmpty ? 0 : s.decodeSeconds / Double(tokens)),
            "queue_seconds": .double(outcome.queueSeconds),
            "batched": .bool(outcome.batched),
            "token_ids": .array(outcome.tokens.map(JSONValue.int)),
        ])
    }

    static func usage(_ outcomes: [JobOutcome]) -> JSONValue {
        let prompt = outcomes.first?.promptTokens ?? 0
        let completion = outcomes.reduce(0) { $0 + $1.tokens.count }
        return .object(["prompt_tokens": .int(prompt), "completion_tokens": .int(completion), "total_tokens": .int(prompt + completion)])
    }

    /// The assistant message: `content`, and for a split reasoning model `reasoning` and `reasoning_content`
    /// too (the same text: vLLM and OpenRouter read the first, DeepSeek's API and SGLang the second).
    static func message(_ outcome: JobOutcome) -> JSONValue {
        var message: [String: JSONValue] = ["role": "assistant", "content": .string(outcome.text)]
        if let reasoning = outcome.reasoning { message.merge(reasoningFields(reasoning)) { $1 } }
        return .object(message)
    }

    /// The reasoning under both of its names.
    static func reasoningFields(_ text: String) -> [String: JSONValue] {
        ["reasoning": .string(text), "reasoning_content": .string(text)]
    }

    /// OpenAI's `logprobs` of a choice: `content`, one entry per generated token (`token`, `logprob`,
    /// `bytes`, `top_logprobs`), and `refusal` null. A token's text is its bytes as UTF-8, with U+FFFD
    /// where a token holds part of a character; `bytes` are exact. A log-probability of −∞ (a token the
    /// model rules out) is −9999.0, as OpenAI and vLLM write it: JSON has no infinity.
    static func logprobs(_ entries: [TokenLogprobEntry]) -> JSONValue {
        func candidate(_ c: TokenLogprobEntry.Candidate) -> [String: JSONValue] {
            ["token": .string(String(decoding: c.bytes, as: UTF8.self)), "logprob": .double(TokenLogprobs.written(c.logprob)),
             "bytes": .array(c.bytes.map { .int(Int($0)) })]
        }
        let content = entries.map { entry -> JSONValue in
            var fields = candidate(entry.chosen)
            fields["top_logprobs"] = .array(entry.top.map { .object(candidate($0)) })
            return .object(fields)
        }
        return .object(["content": .array(content), "refusal": .null])
    }

    /// A non-streamed `chat.completion`.
    static func completion(_ header: ResponseHeader, outcomes: [JobOutcome]) -> JSONValue {
        let choices = outcomes.enumerated().map { index, outcome -> JSONValue in
            .object([
                "index": .int(index),
                "message": message(outcome),
                "finish_reason": .string(finishReason(outcome.finishReason)),
                "logprobs": outcome.logprobs.map(logprobs) ?? .null,
                "lucid": lucid(outcome),
            ])
        }
        return header.object("chat.completion", ["choices": .array(choices), "usage": usage(outcomes)])
    }

    /// A `chat.completion.chunk` with one choice's delta and the log-probabilities of its tokens (where
    /// asked), and at the end its finish reason and `lucid`. Accumulated over the chunks, as OpenAI's
    /// clients do, the log-probabilities are the non-streamed response's: each chunk carries those of the
    /// tokens since the last, the last chunk those whose text never came (after a stop string, the
    /// end-of-sequence token).
    static func chunk(_ header: ResponseHeader, index: Int, delta: JSONValue, logprobs entries: [TokenLogprobEntry]? = nil,
                      outcome: JobOutcome? = nil) -> JSONValue {
        var choice: [String: JSONValue] = ["index": .int(index), "delta": delta, "logprobs": entries.map(logprobs) ?? .null,
                                           "finish_reason": outcome.map { .string(finishReason($0.finishReason)) } ?? .null]
        if let outcome { choice["lucid"] = lucid(outcome) }
        return header.object("chat.completion.chunk", ["choices": .array([.object(choice)])])
    }

    /// The last chunk of `stream_options.include_usage`: no choices, the usage.
    static func usageChunk(_ header: ResponseHeader, outcomes: [JobOutcome]) -> JSONValue {
        header.object("chat.completion.chunk", ["choices": .array([]), "usage": usage(outcomes)])
    }

    /// One server-sent event line.
    static func event(_ value: JSONValue) -> String { "data: \((try? value.canonicalText()) ?? "{}")\n\n" }
}
