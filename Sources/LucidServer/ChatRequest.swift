import Foundation
import LucidGeneration
import LucidPipeline
import LucidRuns
import LucidText

/// One message of a chat request: role, text and the images it carries (placed before its text, as
/// the LLaVA chat templates do).
public struct ChatTurn: Sendable, Equatable {
    public var role: ChatMessage.Role
    public var text: String
    /// `image_url` values, still unresolved (`ImageSource` reads them).
    public var imageURLs: [ImageURL]

    /// The message a chat template renders: the text, with a placeholder per image.
    public var message: ChatMessage { ChatMessage(role: role, content: text, imageCount: imageURLs.count) }

    /// An `image_url` part's URL and where it sat in the request, for error messages.
    public struct ImageURL: Sendable, Equatable {
        public var url: String
        public var param: String
    }
}

/// A `POST /v1/chat/completions` body validated into typed values: nothing here is unchecked.
public struct ChatRequest: Sendable {
    public var model: String?
    public var turns: [ChatTurn]
    /// The method, length, stops, choices, streaming and `logprobs` (`logprobs: true` with `top_logprobs`).
    public var settings: GenerationSettings
    /// `chat_template_kwargs.enable_thinking` (vLLM's and SGLang's field): Qwen3's thinking switch.
    public var enableThinking: Bool?
    /// `chat_template_kwargs.date_string`: the `Today Date:` of a Llama 3.1–3.3 system turn.
    public var dateString: String?

    /// The names `chat_template_kwargs` may hold.
    public static let templateKeywords = ["enable_thinking", "date_string"]

    /// `base` with this request's `chat_template_kwargs` applied where its format reads them (Qwen3's
    /// `enable_thinking`, Llama 3.1's `date_string`); other templates do not read them, as their Jinja would not.
    public func template(from base: ChatTemplate) -> ChatTemplate {
        Self.template(from: base, enableThinking: enableThinking, dateString: dateString)
    }

    /// `base` with `chat_template_kwargs` values applied where its format reads them (also `/tokenize`'s).
    static func template(from base: ChatTemplate, enableThinking: Bool?, dateString: String?) -> ChatTemplate {
        var template = base
        if let enableThinking, template.style == .qwen3 { template.enableThinking = enableThinking }
        if let dateString, template.style == .llama31 { template.todayDate = dateString }
        return template
    }

    /// The number of images over all turns.
    public var imageCount: Int { turns.reduce(0) { $0 + $1.imageURLs.count } }

    /// What an image encoder that reads text (InstructBLIP's Q-Former) is given: the last user
    /// message's text, the question being asked, as `lucid generate --image --prompt` gives the prompt.
    public var imageInstruction: String { turns.last(where: { $0.role == .user })?.text ?? "" }

    /// Validates a parsed JSON body against `limits`; every failure is a 400 naming the field.
    public init(json: JSONValue, limits: ServerLimits) throws(APIError) {
        guard let body = json.objectValue else { throw .invalid("the request body must be a JSON object, not \(json.typeDescription)") }
        try RequestFields.refuse(["tools", "functions", "tool_choice", "function_call"], in: body)
        let logprobs = try RequestFields.optionalBool(body, "logprobs") ?? false
        let top = try RequestFields.optionalInt(body, "top_logprobs", in: 0...TokenLogprobs.maximumTop)
        if top != nil && !logprobs { throw .invalid("'top_logprobs' needs 'logprobs': true", param: "top_logprobs") }
        model = try RequestFields.optionalString(body, "model")
        turns = try Self.turns(body["messages"], limits: limits)
        let totalImages = turns.reduce(0) { $0 + $1.imageURLs.count }
        guard totalImages <= limits.maxImagesPerRequest else {
            throw .invalid("\(totalImages) images: at most \(limits.maxImagesPerRequest) per request", param: "messages")
        }
        let maxTokensField = body["max_completion_tokens"] != nil && body["max_completion_tokens"] != .null ? "max_completion_tokens" : "max_tokens"
        let maxTokens = try RequestFields.optionalInt(body, maxTokensField, in: 1...limits.maxTokens) ?? limits.defaultMaxTokens
        (enableThinking, dateString) = try Self.templateKeywords(body["chat_template_kwargs"])
        settings = try GenerationSettings(body: body, limits: limits, maxTokens: maxTokens, topLogprobs: logprobs ? top ?? 0 : nil)
    }

    // MARK: fields

    /// `chat_template_kwargs`: an object of the names in `templateKeywords`; any other name is refused, since
    /// Lucid renders its templates natively and could not honour it.
    static func templateKeywords(_ value: JSONValue?) throws(APIError) -> (enableThinking: Bool?, dateString: String?) {
        let param = "chat_template_kwargs"
        guard let value, value != .null else { return (nil, nil) }
        guard let object = value.objectValue else { throw .invalid("'\(param)' must be an object", param: param) }
        for key in object.keys.sorted() where !templateKeywords.contains(key) {
            throw .invalid("'\(param).\(key)' is not supported by lucid serve (it takes \(templateKeywords.joined(separator: ", ")))",
                           param: "\(param).\(key)", code: "unsupported_parameter")
        }
        let thinking = try RequestFields.optionalBool(object, "enable_thinking", param: "\(param).enable_thinking")
        let date = try RequestFields.optionalString(object, "date_string", param: "\(param).date_string")
        if let date, date.isEmpty || date.count > 40 || date.contains(where: \.isNewline) {
            throw .invalid("'\(param).date_string' must be one line of 1 to 40 characters", param: "\(param).date_string")
        }
        return (thinking, date)
    }

    static func turns(_ value: JSONValue?, limits: ServerLimits) throws(APIError) -> [ChatTurn] {
        guard let value, let messages = value.arrayValue else { throw .invalid("'messages' must be an array of messages", param: "messages") }
        guard !messages.isEmpty else { throw .invalid("'messages' is empty", param: "messages") }
        guard messages.count <= limits.maxMessages else { throw .invalid("at most \(limits.maxMessages) messages", param: "messages") }
        var turns: [ChatTurn] = []
        for (index, message) in messages.enumerated() {
            let at = "messages[\(index)]"
            guard let object = message.objectValue else { throw .invalid("\(at) must be an object", param: at) }
            guard let roleName = object["role"]?.stringValue else { throw .invalid("\(at).role must be a string", param: "\(at).role") }
            let role: ChatMessage.Role
            switch roleName {
            case "system", "developer": role = .system
            case "user": role = .user
            case "assistant": role = .assistant
            default: throw .invalid("\(at).role must be system, developer, user or assistant (got '\(roleName)')", param: "\(at).role")
            }
            var text = ""
            var images: [ChatTurn.ImageURL] = []
            switch object["content"] {
            case .string(let content)?: text = content
            case .null?, nil:
                guard role == .assistant else { throw .invalid("\(at).content is missing", param: "\(at).content") }
            case .array(let parts)?:
                for (partIndex, part) in parts.enumerated() {
                    let partAt = "\(at).content[\(partIndex)]"
                    guard let fields = part.objectValue, let type = fields["type"]?.stringValue else {
                        throw .invalid("\(partAt) must be an object with a 'type'", param: partAt)
                    }
                    switch type {
                    case "text":
                        guard let piece = fields["text"]?.stringValue else { throw .invalid("\(partAt).text must be a string", param: "\(partAt).text") }
                        text += text.isEmpty ? piece : "\n" + piece
                    case "image_url":
                        guard role == .user else { throw .invalid("images go in user messages only", param: partAt) }
                        let url: String?
                        switch fields["image_url"] {
                        case .string(let plain)?: url = plain
                        case .object(let nested)?: url = nested["url"]?.stringValue
                        default: url = nil
                        }
                        guard let url else { throw .invalid("\(partAt).image_url.url must be a string", param: "\(partAt).image_url.url") }
                        images.append(ChatTurn.ImageURL(url: url, param: "\(partAt).image_url.url"))
                    default:
                        throw .invalid("\(partAt).type must be text or image_url (got '\(type)')", param: "\(partAt).type")
                    }
                }
            default:
                throw .invalid("\(at).content must be a string or an array of parts", param: "\(at).content")
            }
            turns.append(ChatTurn(role: role, text: text, imageURLs: images))
        }
        return turns
    }
}
