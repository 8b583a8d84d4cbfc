import Hummingbird
import LucidRuns
import LucidText

/// vLLM's tokenizer endpoints, which lm-evaluation-harness's remote tokenizer reads (`tokenizer_backend`
/// `auto` or `remote`): with them an evaluation tokenizes with the served model's own tokenizer, offline,
/// instead of downloading one by name.
///
/// - `GET /tokenizer_info`: the tokenizer's class and special tokens (`eos_token`, `bos_token`, `pad_token`,
///   `unk_token`, null where it has none), `chat_template` (the model's own Jinja, where it ships one), and
///   `model_max_length`.
/// - `POST /tokenize` `{"prompt": text, "add_special_tokens": true}` or `{"messages": […],
///   "add_generation_prompt": true, "chat_template_kwargs": {…}}` (rendered with the server's chat template
///   as a chat request with those keywords is): `{"count", "max_model_len", "tokens", "token_strs"}`
///   (`token_strs` with `return_token_strs`). Image parts are read as a chat request's are and each
///   image's placeholder is repeated once per feature the model makes of it (the processor's
///   `input_ids`, as vLLM answers since vllm-project/vllm#34560), so `count` is the length the model reads.
/// - `POST /detokenize` `{"tokens": [ids]}`: `{"prompt": text}`, special tokens kept (transformers' `decode`).
enum TokenizerRoutes {
    /// `/tokenizer_info`'s body.
    static func info(_ worker: ModelWorker) -> JSONValue {
        let tokenizer = worker.tokenizer
        func token(_ id: Int?) -> JSONValue { id.flatMap { tokenizer.token(for: $0) }.map(JSONValue.string) ?? .null }
        var fields: [String: JSONValue] = [
            "tokenizer_class": .string(tokenizer.kind.rawValue), "eos_token": token(tokenizer.eosID), "bos_token": token(tokenizer.bosID),
            "pad_token": token(tokenizer.padID), "unk_token": token(tokenizer.unknownID), "vocab_size": .int(tokenizer.vocabularySize),
            "model_max_length": worker.contextLength.map(JSONValue.int) ?? .null,
        ]
        if let template = tokenizer.chatTemplate { fields["chat_template"] = .string(template) }
        return .object(fields)
    }

    /// What a validated `/tokenize` body asks for: its ids (one placeholder per image), its messages'
    /// images, and whether the answer spells its tokens.
    struct Tokenized: Sendable {
        var ids: [Int]
        var images: [ChatTurn.ImageURL]
        var tokenStrings: Bool
    }

    /// `/tokenize`'s ids of a validated body: what the tokenizer line computes.
    static func tokenize(_ json: JSONValue, worker: ModelWorker, limits: ServerLimits) throws(APIError) -> Tokenized {
        guard let body = json.objectValue else { throw .invalid("the request body must be a JSON object, not \(json.typeDescription)") }
        let tokenizer = worker.tokenizer
        let ids: [Int]
        var images: [ChatTurn.ImageURL] = []
        let prompt = try RequestFields.optionalString(body, "prompt")
        if let prompt, body["messages"] == nil || body["messages"] == .null {
            ids = tokenizer.encode(prompt, addSpecialTokens: try RequestFields.optionalBool(body, "add_special_tokens") ?? true)
        } else if prompt == nil, body["messages"] != nil, body["messages"] != .null {
            let turns = try ChatRequest.turns(body["messages"], limits: limits)
            images = turns.flatMap(\.imageURLs)
            guard let template = worker.template else {
                throw .invalid("the model's chat template is unknown: \(ChatTemplate.undetectedReason(for: tokenizer))", param: "messages")
            }
            let generationPrompt = try RequestFields.optionalBool(body, "add_generation_prompt") ?? true
            let (enableThinking, dateString) = try ChatRequest.templateKeywords(body["chat_template_kwargs"])
            do {
                ids = try tokenizer.encode(chat: turns.map(\.message),
                                           template: ChatRequest.template(from: template, enableThinking: enableThinking, dateString: dateString),
                                           addGenerationPrompt: generationPrompt)
            } catch {
                throw .invalid("\(error)", param: "messages")
            }
        } else {
            throw .invalid("give either 'prompt' (a string) or 'messages'", param: "prompt")
        }
        return Tokenized(ids: ids, images: images, tokenStrings: try RequestFields.optionalBool(body, "return_token_strs") ?? false)
    }

    /// `/tokenize`'s answer: `ids` (images expanded), spelled where `tokenStrings`.
    static func answer(_ ids: [Int], tokenStrings: Bool, worker: ModelWorker) -> JSONValue {
        let tokenizer = worker.tokenizer
        var answer: [String: JSONValue] = ["count": .int(ids.count), "tokens": .array(ids.map(JSONValue.int)),
                                           "max_model_len": worker.contextLength.map(JSONValue.int) ?? .null, "token_strs": .null]
        if tokenStrings {
            answer["token_strs"] = .array(ids.map { tokenizer.token(for: $0).map(JSONValue.string) ?? .null })
        }
        return .object(answer)
    }

    /// `/detokenize`'s answer to a validated body.
    static func detokenize(_ json: JSONValue, worker: ModelWorker) throws(APIError) -> JSONValue {
        guard let body = json.objectValue else { throw .invalid("the request body must be a JSON object, not \(json.typeDescription)") }
        guard let items = body["tokens"]?.arrayValue else { throw .invalid("'tokens' must be an array of token ids", param: "tokens") }
        let tokenizer = worker.tokenizer
        var ids: [Int] = []
        for (index, item) in items.enumerated() {
            guard let id = item.intValue, id >= 0, id < tokenizer.vocabularySize else {
                throw .invalid("tokens[\(index)] must be a token id in 0…\(tokenizer.vocabularySize - 1)", param: "tokens")
            }
            ids.append(id)
        }
        do {
            return .object(["prompt": .string(try tokenizer.decode(ids))])
        } catch {
            throw .invalid("\(error)", param: "tokens")
        }
    }
}
