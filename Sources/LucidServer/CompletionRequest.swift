import LucidGeneration
import LucidRuns

/// One prompt of a text completion: text the tokenizer encodes (with the special tokens it adds, as
/// `transformers`' tokenizer call does), or token ids given as they are.
public enum CompletionPrompt: Sendable, Equatable {
    case text(String)
    case tokens([Int])
}

/// A `POST /v1/completions` body (OpenAI's legacy text completions) validated into typed values.
///
/// The prompt goes to the model as it is, without a chat template. `logprobs` N (0 … 20) reports
/// each token's log-probability with the N likeliest tokens; with `echo` the prompt comes back before
/// the completion, with its tokens' log-probabilities when asked. That is what lm-evaluation-harness's
/// `local-completions` model sends to score a loglikelihood (`max_tokens` 1, `logprobs` 1, `echo`);
/// `max_tokens` 0 with `echo` scores the prompt and generates nothing.
public struct CompletionRequest: Sendable {
    public var model: String?
    /// The prompts, answered in order; each gets `settings.choices` choices.
    public var prompts: [CompletionPrompt]
    /// Whether each choice's text (and `logprobs`) begins with its prompt.
    public var echo: Bool
    public var settings: GenerationSettings

    /// OpenAI's default `max_tokens` for text completions.
    public static let defaultMaxTokens = 16

    /// Validates a parsed JSON body against `limits`; every failure is a 400 naming the field.
    /// Prompts times choices may not pass `maxConcurrent + maxQueue`, the most the server ever admits.
    public init(json: JSONValue, limits: ServerLimits) throws(APIError) {
        guard let body = json.objectValue else { throw .invalid("the request body must be a JSON object, not \(json.typeDescription)") }
        try RequestFields.refuse(["suffix"], in: body)
        if let bestOf = try RequestFields.optionalInt(body, "best_of", in: 0...Int.max), bestOf != 1 {
            throw .invalid("'best_of' is not supported by lucid serve (only 1)", param: "best_of", code: "unsupported_parameter")
        }
        model = try RequestFields.optionalString(body, "model")
        prompts = try Self.prompts(body["prompt"], limits: limits)
        echo = try RequestFields.optionalBool(body, "echo") ?? false
        let maxTokens = try RequestFields.optionalInt(body, "max_tokens", in: 0...limits.maxTokens) ?? min(Self.defaultMaxTokens, limits.maxTokens)
        if maxTokens == 0 && !echo {
            throw .invalid("'max_tokens' 0 generates nothing: it needs 'echo': true (to score the prompt)", param: "max_tokens")
        }
        let top = try RequestFields.optionalInt(body, "logprobs", in: 0...TokenLogprobs.maximumTop)
        settings = try GenerationSettings(body: body, limits: limits, maxTokens: maxTokens, topLogprobs: top)
        let jobs = prompts.count * settings.choices
        guard jobs <= limits.maxConcurrent + limits.maxQueue else {
            throw .invalid("\(prompts.count) prompts × n = \(settings.choices) is \(jobs) generations: the server admits at most "
                           + "\(limits.maxConcurrent + limits.maxQueue) at once", param: "prompt")
        }
    }

    /// `prompt`: a string, an array of strings, an array of token ids, or an array of such arrays; each
    /// non-empty, ids non-negative (the worker checks them against the model's vocabulary).
    static func prompts(_ value: JSONValue?, limits: ServerLimits) throws(APIError) -> [CompletionPrompt] {
        let shape = "'prompt' must be a string, an array of strings, an array of token ids or an array of arrays of token ids"
        guard let value, value != .null else { throw .invalid("'prompt' is missing", param: "prompt") }
        if let text = value.stringValue { return [try textPrompt(text, at: "prompt")] }
        guard let items = value.arrayValue, !items.isEmpty else { throw .invalid(value.arrayValue == nil ? shape : "'prompt' is empty", param: "prompt") }
        if items.allSatisfy({ $0.intValue != nil }) { return [try tokenPrompt(items, at: "prompt", limits: limits)] }
        var prompts: [CompletionPrompt] = []
        for (index, item) in items.enumerated() {
            let at = "prompt[\(index)]"
            if let text = item.stringValue {
                prompts.append(try textPrompt(text, at: at))
            } else if let ids = item.arrayValue, !ids.isEmpty, ids.allSatisfy({ $0.intValue != nil }) {
                prompts.append(try tokenPrompt(ids, at: at, limits: limits))
            } else {
                throw .invalid("\(at): \(shape)", param: at)
            }
        }
        return prompts
    }

    private static func textPrompt(_ text: String, at: String) throws(APIError) -> CompletionPrompt {
        guard !text.isEmpty else { throw .invalid("\(at) is empty", param: at) }
        return .text(text)
    }

    private static func tokenPrompt(_ items: [JSONValue], at: String, limits: ServerLimits) throws(APIError) -> CompletionPrompt {
        guard items.count <= limits.maxPromptTokens else {
            throw .invalid("\(at) has \(items.count) tokens, over the server's limit of \(limits.maxPromptTokens)", param: at,
                           code: "context_length_exceeded")
        }
        let ids = items.compactMap(\.intValue)
        if let bad = ids.first(where: { $0 < 0 }) { throw .invalid("\(at) holds the token id \(bad): ids are ≥ 0", param: at) }
        return .tokens(ids)
    }
}
