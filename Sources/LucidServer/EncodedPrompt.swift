import LucidText

/// A job's prompt as token ids, encoded before the job is queued: on the server's tokenizer line, not on the model's
/// thread, so that encoding a large body (a 15 MB chat message takes about 2 s) holds up no running generation.
public struct EncodedPrompt: Sendable, Equatable {
    public var ids: [Int]
    /// Whether the output is split into reasoning and answer (a reasoning template, `ReasoningMode.split`).
    public var splitsReasoning: Bool

    public init(ids: [Int], splitsReasoning: Bool = false) {
        self.ids = ids
        self.splitsReasoning = splitsReasoning
    }
}

extension ModelWorker {
    /// The prompt ids of `input`: a chat request's messages rendered with its template, a completion's text encoded as
    /// the tokenizer does by default, or its ids checked against the model's vocabulary; refused (400
    /// `context_length_exceeded`) when they alone pass the server's `maxPromptTokens`, before any image is read.
    ///
    /// Reads only what does not change (the tokenizer, the template, the model's name and vocabulary size), so any
    /// thread may call it.
    public func encodePrompt(_ input: JobInput) throws(APIError) -> EncodedPrompt {
        let prompt: EncodedPrompt
        switch input {
        case .chat(let chat):
            guard let template else {
                throw APIError(.internalServerError, "the model's chat template is unknown: \(ChatTemplate.undetectedReason(for: tokenizer)) "
                               + "(this server answers raw prompts at /v1/completions)", type: "server_error")
            }
            let requestTemplate = chat.template(from: template)
            do {
                prompt = EncodedPrompt(ids: try tokenizer.encode(chat: chat.turns.map(\.message), template: requestTemplate),
                                       splitsReasoning: reasoning == .split && requestTemplate.writesReasoning)
            } catch {
                throw .invalid("\(error)", param: "messages")
            }
        case .completion(.text(let text), _):
            prompt = EncodedPrompt(ids: tokenizer.encode(text, addSpecialTokens: true))
            guard !prompt.ids.isEmpty else { throw .invalid("the prompt encodes to no tokens", param: "prompt") }
        case .completion(.tokens(let ids), _):
            let vocabulary = opened.model.vocabularySize
            if let bad = ids.first(where: { $0 >= vocabulary }) {
                throw .invalid("the prompt holds the token id \(bad): \(opened.name)'s ids are 0…\(vocabulary - 1)", param: "prompt")
            }
            prompt = EncodedPrompt(ids: ids)
        }
        // Every image becomes at least its placeholder's one position: a text already over the limit is refused here.
        guard prompt.ids.count <= limits.maxPromptTokens else {
            throw .invalid("the prompt has at least \(prompt.ids.count) tokens, over the server's limit of \(limits.maxPromptTokens)",
                           param: input.param, code: "context_length_exceeded")
        }
        return prompt
    }
}
