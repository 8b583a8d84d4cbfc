import Foundation
import LucidRuns

/// What every body and chunk of one response names: its id, when it was created and the model.
struct ResponseHeader: Sendable {
    let id: String
    let created: Int
    let model: String

    /// A new response's: `prefix` and 24 random hex digits, created now.
    init(prefix: String, model: String) {
        id = prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
        created = Int(Date().timeIntervalSince1970)
        self.model = model
    }

    /// An object of `kind` with these fields and `fields`.
    func object(_ kind: String, _ fields: [String: JSONValue]) -> JSONValue {
        .object(fields.merging(["id": .string(id), "object": .string(kind), "created": .int(created), "model": .string(model)]) { $1 })
    }
}

/// How an endpoint writes one request's answers: whole, or as server-sent chunks (in order, so a format
/// may carry state from chunk to chunk). Chat completions and text completions are the two (`ChatFormat`,
/// `CompletionFormat`); `ChatServer` collects and streams jobs the same way for both.
protocol ResponseFormat: Sendable {
    /// The non-streamed body: every choice, in the jobs' order, and the usage.
    func response(_ outcomes: [JobOutcome]) -> JSONValue
    /// The chunk that opens choice `index`'s stream, if the format has one.
    func opening(index: Int) -> JSONValue?
    /// A chunk of answer text, with the log-probabilities of the tokens since the last chunk.
    mutating func delta(_ text: String, logprobs: [TokenLogprobEntry], index: Int) -> JSONValue
    /// A chunk of reasoning text (only chat requests are split).
    mutating func reasoning(_ text: String, logprobs: [TokenLogprobEntry], index: Int) -> JSONValue
    /// The chunk that ends a choice: its finish reason, log-probabilities and `lucid` object.
    mutating func end(_ outcome: JobOutcome, index: Int) -> JSONValue
    /// The last chunk of `stream_options.include_usage`.
    func usageChunk(_ outcomes: [JobOutcome]) -> JSONValue
}

/// OpenAI's `chat.completion` and `chat.completion.chunk`.
struct ChatFormat: ResponseFormat {
    let header: ResponseHeader

    func response(_ outcomes: [JobOutcome]) -> JSONValue { ChatResponses.completion(header, outcomes: outcomes) }

    func opening(index: Int) -> JSONValue? {
        ChatResponses.chunk(header, index: index, delta: .object(["role": "assistant", "content": ""]))
    }

    func delta(_ text: String, logprobs: [TokenLogprobEntry], index: Int) -> JSONValue {
        ChatResponses.chunk(header, index: index, delta: .object(["content": .string(text)]), logprobs: logprobs.isEmpty ? nil : logprobs)
    }

    func reasoning(_ text: String, logprobs: [TokenLogprobEntry], index: Int) -> JSONValue {
        ChatResponses.chunk(header, index: index, delta: .object(ChatResponses.reasoningFields(text)), logprobs: logprobs.isEmpty ? nil : logprobs)
    }

    func end(_ outcome: JobOutcome, index: Int) -> JSONValue {
        ChatResponses.chunk(header, index: index, delta: .object([:]), logprobs: outcome.unsentLogprobs, outcome: outcome)
    }

    func usageChunk(_ outcomes: [JobOutcome]) -> JSONValue { ChatResponses.usageChunk(header, outcomes: outcomes) }
}
