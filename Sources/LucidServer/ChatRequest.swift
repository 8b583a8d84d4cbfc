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
    /// The decoding method (from `decoding`, else `temperature`/`top_p`: greedy when absent or 0).
    public var method: DecodingMethod
    public var maxTokens: Int
    public var stop: [String]
    public var stream: Bool
    /// `stream_options.include_usage`: a last chunk with `usage`.
    public var includeUsage: Bool
    /// Choices; above 1 only for sampling methods, choice i seeded with `seed + i`.
    public var choices: Int
    public var seed: UInt64
    /// `chat_template_kwargs.enable_thinking` (vLLM's and SGLang's field): Qwen3's thinking switch.
    public var enableThinking: Bool?
    /// `chat_template_kwargs.date_string`: the `Today Date:` of a Llama 3.1–3.3 system turn.
    public var dateString: String?
    /// With `logprobs: true`, how many alternatives each token reports (`top_logprobs`, 0 … 20, default 0);
    /// nil without. Greedy and sampled requests only (the batched rows compute them).
    public var topLogprobs: Int?

    /// The names `chat_template_kwargs` may hold.
    public static let templateKeywords = ["enable_thinking", "date_string"]

    /// `base` with this request's `chat_template_kwargs` applied where its format reads them (Qwen3's
    /// `enable_thinking`, Llama 3.1's `date_string`); other templates do not read them, as their Jinja would not.
    public func template(from base: ChatTemplate) -> ChatTemplate {
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

    /// The method for choice `index` (sampling seeds advance by the index; VCD's noise stays).
    public func method(choice index: Int) -> DecodingMethod {
        guard index > 0 else { return method }
        let seedOffset = UInt64(index)
        switch method {
        case .sample(var sampling):
            sampling.seed = sampling.seed &+ seedOffset
            return .sample(sampling)
        case .vcd(var contrastive, let step, let noiseSeed):
            if var sampling = contrastive.sampling {
                sampling.seed = sampling.seed &+ seedOffset
                contrastive.sampling = sampling
            }
            return .vcd(contrastive, noiseStep: step, noiseSeed: noiseSeed)
        case .damro(var contrastive, let outliers, let attention):
            if var sampling = contrastive.sampling {
                sampling.seed = sampling.seed &+ seedOffset
                contrastive.sampling = sampling
            }
            return .damro(contrastive, outliers: outliers, attention: attention)
        default: return method
        }
    }

    /// Whether the method samples (so several choices differ).
    public var samples: Bool {
        switch method {
        case .sample: return true
        case .vcd(let c, _, _), .damro(let c, _, _): return c.sampling != nil
        default: return false
        }
    }

    /// Validates a parsed JSON body against `limits`; every failure is a 400 naming the field.
    public init(json: JSONValue, limits: ServerLimits) throws(APIError) {
        guard let body = json.objectValue else { throw .invalid("the request body must be a JSON object, not \(json.typeDescription)") }
        for unsupported in ["tools", "functions", "tool_choice", "function_call", "logit_bias"] where body[unsupported] != nil && body[unsupported] != .null {
            throw .invalid("'\(unsupported)' is not supported by lucid serve", param: unsupported, code: "unsupported_parameter")
        }
        let logprobs = try Self.optionalBool(body, "logprobs") ?? false
        let top = try Self.optionalInt(body, "top_logprobs", in: 0...TokenLogprobs.maximumTop)
        if top != nil && !logprobs { throw .invalid("'top_logprobs' needs 'logprobs': true", param: "top_logprobs") }
        topLogprobs = logprobs ? top ?? 0 : nil
        model = try Self.optionalString(body, "model")
        turns = try Self.turns(body["messages"], limits: limits)
        let totalImages = turns.reduce(0) { $0 + $1.imageURLs.count }
        guard totalImages <= limits.maxImagesPerRequest else {
            throw .invalid("\(totalImages) images: at most \(limits.maxImagesPerRequest) per request", param: "messages")
        }
        let maxTokensField = body["max_completion_tokens"] != nil && body["max_completion_tokens"] != .null ? "max_completion_tokens" : "max_tokens"
        maxTokens = try Self.optionalInt(body, maxTokensField, in: 1...limits.maxTokens) ?? limits.defaultMaxTokens
        stop = try Self.stops(body["stop"], limits: limits)
        stream = try Self.optionalBool(body, "stream") ?? false
        if let options = body["stream_options"], options != .null {
            guard let object = options.objectValue else { throw .invalid("'stream_options' must be an object", param: "stream_options") }
            includeUsage = try Self.optionalBool(object, "include_usage", param: "stream_options.include_usage") ?? false
        } else {
            includeUsage = false
        }
        (enableThinking, dateString) = try Self.templateKeywords(body["chat_template_kwargs"])
        choices = try Self.optionalInt(body, "n", in: 1...limits.maxChoices) ?? 1
        let seedValue = try Self.optionalInt(body, "seed", in: 0...Int.max) ?? 0
        seed = UInt64(seedValue)
        let temperature = try Self.optionalNumber(body, "temperature", in: 0...2)
        let topP = try Self.optionalNumber(body, "top_p", in: 0...1)
        if let topP, topP <= 0 { throw .invalid("'top_p' must be in (0, 1] (got \(topP))", param: "top_p") }
        if let decoding = body["decoding"], decoding != .null {
            method = try DecodingRequest.method(decoding, temperature: temperature, topP: topP, seed: seedValue)
        } else if let temperature, temperature > 0 {
            method = .sample(SamplingParameters(temperature: temperature, topK: 0, topP: topP ?? 1, seed: seed))
        } else {
            method = .greedy
        }
        if choices > 1 && !samples {
            throw .invalid("n = \(choices) needs a sampling method (a temperature > 0): \(method.name) gives one answer", param: "n")
        }
        if logprobs {
            switch method {
            case .greedy, .sample: break
            default: throw .invalid("'logprobs' need greedy or sample decoding, not \(method.name)", param: "logprobs", code: "unsupported_parameter")
            }
        }
    }

    // MARK: fields

    static func optionalString(_ object: [String: JSONValue], _ key: String, param: String? = nil) throws(APIError) -> String? {
        guard let value = object[key], value != .null else { return nil }
        guard let text = value.stringValue else {
            throw .invalid("'\(param ?? key)' must be a string, not \(value.typeDescription)", param: param ?? key)
        }
        return text
    }

    static func optionalBool(_ object: [String: JSONValue], _ key: String, param: String? = nil) throws(APIError) -> Bool? {
        guard let value = object[key], value != .null else { return nil }
        guard case .bool(let flag) = value else { throw .invalid("'\(param ?? key)' must be true or false, not \(value.typeDescription)", param: param ?? key) }
        return flag
    }

    static func optionalInt(_ object: [String: JSONValue], _ key: String, in range: ClosedRange<Int>, param: String? = nil) throws(APIError) -> Int? {
        guard let value = object[key], value != .null else { return nil }
        let name = param ?? key
        guard let number = value.intValue else { throw .invalid("'\(name)' must be an integer, not \(value.typeDescription)", param: name) }
        guard range.contains(number) else {
            throw .invalid("'\(name)' must be in \(range.lowerBound)…\(range.upperBound == Int.max ? "" : String(range.upperBound)) (got \(number))", param: name)
        }
        return number
    }

    static func optionalNumber(_ object: [String: JSONValue], _ key: String, in range: ClosedRange<Double>, param: String? = nil) throws(APIError) -> Double? {
        guard let value = object[key], value != .null else { return nil }
        let name = param ?? key
        guard let number = value.doubleValue, number.isFinite else { throw .invalid("'\(name)' must be a number, not \(value.typeDescription)", param: name) }
        guard range.contains(number) else { throw .invalid("'\(name)' must be in \(range.lowerBound)…\(range.upperBound) (got \(number))", param: name) }
        return number
    }

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
        let thinking = try optionalBool(object, "enable_thinking", param: "\(param).enable_thinking")
        let date = try optionalString(object, "date_string", param: "\(param).date_string")
        if let date, date.isEmpty || date.count > 40 || date.contains(where: \.isNewline) {
            throw .invalid("'\(param).date_string' must be one line of 1 to 40 characters", param: "\(param).date_string")
        }
        return (thinking, date)
    }

    static func stops(_ value: JSONValue?, limits: ServerLimits) throws(APIError) -> [String] {
        guard let value, value != .null else { return [] }
        let list: [JSONValue]
        if case .string = value { list = [value] } else if let array = value.arrayValue { list = array } else {
            throw .invalid("'stop' must be a string or an array of strings", param: "stop")
        }
        guard list.count <= limits.maxStopStrings else { throw .invalid("at most \(limits.maxStopStrings) stop strings", param: "stop") }
        var stops: [String] = []
        for (index, item) in list.enumerated() {
            guard let text = item.stringValue, !text.isEmpty, text.count <= limits.maxStopStringLength else {
                throw .invalid("stop[\(index)] must be a non-empty string of at most \(limits.maxStopStringLength) characters", param: "stop")
            }
            stops.append(text)
        }
        return stops
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
