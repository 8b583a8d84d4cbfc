/// A built-in chat prompt format, rendered natively (no Jinja engine).
///
/// Each style reproduces, character for character, what the model's own template
/// renders through transformers' `apply_chat_template` (Jinja with `trim_blocks` and
/// `lstrip_blocks`): `chatml` (SmolLM2, Qwen2, Qwen2.5), `qwen3` (with `qwen3-no-thinking`), `llama-2`,
/// `llama-3`, `llama-3.1` (3.1–3.3), `mistral-nemo`, `deepseek-r1` (its distills), `llava-1.5` and
/// `llava-onevision` (llava-hf processors), `qwen2-vl` (Qwen2-VL and Qwen2.5-VL Instruct), plus FastChat's
/// `vicuna` v1.1. `chatml` and `qwen2-vl` can inject a default system prompt when the conversation has
/// none, as SmolLM2's, Qwen2's and Qwen2-VL's templates do; `detect` reads that prompt from the model's
/// template string.
public struct ChatTemplate: Sendable, Hashable {
    /// The prompt formats LucidText knows.
    public enum Style: String, Sendable, CaseIterable {
        case llava15 = "llava-1.5"
        case chatml
        case llama2 = "llama-2"
        case llama3 = "llama-3"
        case llama31 = "llama-3.1"
        case vicuna
        case llavaOnevision = "llava-onevision"
        case qwen2VL = "qwen2-vl"
        case instructBlip = "instructblip"
        case qwen3
        case mistralNemo = "mistral-nemo"
        case deepseekR1 = "deepseek-r1"
    }

    /// The format.
    public var style: Style
    /// chatml: system prompt inserted when the first message is not a system message.
    /// vicuna: the preamble used when the conversation has no system message.
    public var defaultSystemPrompt: String?
    /// llama-3.1: the date of the system turn's `Today Date:` line.
    public var todayDate: String?
    /// qwen3: the template's `enable_thinking`; nil as when it is not passed (thinking on).
    public var enableThinking: Bool?

    /// The date Llama 3.1–3.3 templates write when none is given ("26 Jul 2024").
    public static let llama31DefaultDate = "26 Jul 2024"

    /// FastChat's vicuna_v1.1 system prompt.
    public static let vicunaSystemPrompt =
        "A chat between a curious user and an artificial intelligence assistant. "
        + "The assistant gives helpful, detailed, and polite answers to the user's questions."

    /// The names `init(named:)` accepts.
    public static let knownNames: [String] = Style.allCases.map(\.rawValue) + [qwen3NoThinkingName]

    /// The template's name ("chatml", "llama-2", …, "qwen3-no-thinking"), which `init(named:)` reads back.
    public var name: String { style == .qwen3 && enableThinking == false ? Self.qwen3NoThinkingName : style.rawValue }

    /// Whether rendered text already begins with the BOS token's text (llama-2, llama-3, llama-3.1,
    /// mistral-nemo, deepseek-r1), so it must be encoded with `addSpecialTokens: false`.
    public var rendersBOS: Bool { [.llama2, .llama3, .llama31, .mistralNemo, .deepseekR1].contains(style) }

    /// A template of the given style.
    public init(style: Style, defaultSystemPrompt: String? = nil) {
        self.style = style
        self.defaultSystemPrompt = style == .vicuna ? (defaultSystemPrompt ?? Self.vicunaSystemPrompt) : defaultSystemPrompt
        todayDate = style == .llama31 ? Self.llama31DefaultDate : nil
    }

    /// The built-in template called `name`.
    ///
    /// - Throws: `ChatTemplateError.unknownTemplate`, listing the known names.
    public init(named name: String, defaultSystemPrompt: String? = nil) throws {
        if name.lowercased() == Self.qwen3NoThinkingName {
            self = .qwen3(enableThinking: false)
            return
        }
        guard let style = Style(rawValue: name.lowercased()) else {
            throw ChatTemplateError.unknownTemplate(name: name, known: Self.knownNames)
        }
        self.init(style: style, defaultSystemPrompt: defaultSystemPrompt)
    }

    /// `USER: <image>\n{prompt} ASSISTANT:` (llava-hf processors).
    public static let llava15 = ChatTemplate(style: .llava15)
    /// ChatML without a default system prompt.
    public static let chatml = ChatTemplate(style: .chatml)
    /// `<s>[INST] <<SYS>>\n…\n<</SYS>>\n\n… [/INST]`.
    public static let llama2 = ChatTemplate(style: .llama2)
    /// `<|begin_of_text|><|start_header_id|>…<|end_header_id|>\n\n…<|eot_id|>`.
    public static let llama3 = ChatTemplate(style: .llama3)
    /// Llama 3.1–3.3 Instruct: llama-3's turns after a system turn that always opens with
    /// `Cutting Knowledge Date: December 2023\nToday Date: <todayDate>\n\n`, then the system message if
    /// any. Templates that read the clock (3.2's `strftime_now`) render today's date in transformers;
    /// Lucid writes `todayDate`, by default the templates' own fallback, so a prompt does not change
    /// with the day it is rendered on.
    public static func llama31(todayDate: String = llama31DefaultDate) -> ChatTemplate {
        var template = ChatTemplate(style: .llama31)
        template.todayDate = todayDate
        return template
    }
    /// FastChat vicuna v1.1.
    public static let vicuna = ChatTemplate(style: .vicuna)
    /// `<|im_start|>user <image>\n{prompt}<|im_end|><|im_start|>assistant\n` (the llava-hf
    /// LLaVA-OneVision and LLaVA-Interleave processors): ChatML with the images after the role and a
    /// space, no newline between turns, no default system prompt.
    public static let llavaOnevision = ChatTemplate(style: .llavaOnevision)

    /// ChatML with each image as `<|vision_start|><|image_pad|><|vision_end|>` right before the text
    /// (Qwen2-VL and Qwen2.5-VL Instruct, whose templates add "You are a helpful assistant." as `prompt`
    /// when the conversation has no system message).
    public static func qwen2VL(defaultSystemPrompt prompt: String?) -> ChatTemplate {
        ChatTemplate(style: .qwen2VL, defaultSystemPrompt: prompt)
    }

    /// ChatML that adds `prompt` as the system message when none is given (SmolLM2, Qwen2).
    public static func chatml(defaultSystemPrompt prompt: String?) -> ChatTemplate {
        ChatTemplate(style: .chatml, defaultSystemPrompt: prompt)
    }

    /// The prompt text for `messages`; with `addGenerationPrompt`, the opening of the assistant's turn.
    ///
    /// llama-2 and mistral-nemo ignore `addGenerationPrompt` (their templates have no such branch).
    /// - Throws: `ChatTemplateError.unsupportedConversation` for an InstructBLIP conversation other than
    ///   one user message, or a mistral-nemo one with a later system message;
    ///   `ChatTemplateError.rolesMustAlternate` for llama-2 and mistral-nemo conversations whose roles do not
    ///   alternate user/assistant.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) throws -> String {
        switch style {
        case .chatml: return renderChatML(messages, addGenerationPrompt, image: "<image>\n")
        case .qwen2VL: return renderChatML(messages, addGenerationPrompt, image: "<|vision_start|><|image_pad|><|vision_end|>")
        case .llama2: return try renderLlama2(messages)
        case .llama3: return renderLlama3(messages, addGenerationPrompt)
        case .llama31: return renderLlama31(messages, addGenerationPrompt)
        case .llava15: return renderLlava(messages, addGenerationPrompt)
        case .vicuna: return renderVicuna(messages, addGenerationPrompt)
        case .llavaOnevision: return renderLlavaOnevision(messages, addGenerationPrompt)
        case .instructBlip: return try renderInstructBlip(messages)
        case .qwen3: return renderQwen3(messages, addGenerationPrompt)
        case .mistralNemo: return try renderMistralNemo(messages)
        case .deepseekR1: return renderDeepSeekR1(messages, addGenerationPrompt)
        }
    }

    /// The message's text after one `<image>\n` per image.
    static func text(_ message: ChatMessage) -> String {
        String(repeating: "<image>\n", count: message.imageCount) + message.content
    }

    /// ChatML, each image written as `image` before the message's text.
    private func renderChatML(_ messages: [ChatMessage], _ addGenerationPrompt: Bool, image: String) -> String {
        var out = ""
        for (index, message) in messages.enumerated() {
            if index == 0, message.role != .system, let prompt = defaultSystemPrompt {
                out += "<|im_start|>system\n\(prompt)<|im_end|>\n"
            }
            out += "<|im_start|>\(message.role.rawValue)\n" + String(repeating: image, count: message.imageCount) + "\(message.content)<|im_end|>\n"
        }
        if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        return out
    }

    private func renderLlama2(_ messages: [ChatMessage]) throws -> String {
        var turns = messages[...]
        var system: String?
        if let first = messages.first, first.role == .system {
            system = first.content
            turns = messages.dropFirst()
        }
        var out = ""
        for (index, message) in turns.enumerated() {
            guard (message.role == .user) == index.isMultiple(of: 2) else {
                throw ChatTemplateError.rolesMustAlternate(messageIndex: index + (system == nil ? 0 : 1))
            }
            var content = Self.text(message)
            if index == 0, let system { content = "<<SYS>>\n\(system)\n<</SYS>>\n\n" + content }
            switch message.role {
            case .user: out += "<s>[INST] " + pythonStrip(content) + " [/INST]"
            case .assistant: out += " " + pythonStrip(content) + " </s>"
            case .system: break
            }
        }
        return out
    }

    private func renderLlama3(_ messages: [ChatMessage], _ addGenerationPrompt: Bool) -> String {
        var out = ""
        for (index, message) in messages.enumerated() {
            if index == 0 { out += "<|begin_of_text|>" }
            out += "<|start_header_id|>\(message.role.rawValue)<|end_header_id|>\n\n"
                + pythonStrip(Self.text(message)) + "<|eot_id|>"
        }
        if addGenerationPrompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        return out
    }

    /// The system turn is always written: the knowledge-cutoff and date lines, a blank line, then the
    /// system message (trimmed) when the conversation opens with one.
    private func renderLlama31(_ messages: [ChatMessage], _ addGenerationPrompt: Bool) -> String {
        var turns = messages[...]
        var system = ""
        if let first = messages.first, first.role == .system {
            system = pythonStrip(Self.text(first))
            turns = messages.dropFirst()
        }
        var out = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
            + "Today Date: \(todayDate ?? Self.llama31DefaultDate)\n\n\(system)<|eot_id|>"
        for message in turns {
            out += "<|start_header_id|>\(message.role.rawValue)<|end_header_id|>\n\n" + pythonStrip(Self.text(message)) + "<|eot_id|>"
        }
        if addGenerationPrompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        return out
    }

    private func renderLlava(_ messages: [ChatMessage], _ addGenerationPrompt: Bool) -> String {
        var out = ""
        for message in messages {
            if message.role != .system { out += message.role.rawValue.uppercased() + ": " }
            out += Self.text(message) + " "
        }
        if addGenerationPrompt { out += "ASSISTANT:" }
        return out
    }

    /// Each message: `<|im_start|>`, the role, a space, one `<image>` per image, then `\n` and the
    /// text, then `<|im_end|>`; the generation prompt opens the assistant's turn with a newline.
    private func renderLlavaOnevision(_ messages: [ChatMessage], _ addGenerationPrompt: Bool) -> String {
        var out = ""
        for message in messages {
            out += "<|im_start|>\(message.role.rawValue) " + String(repeating: "<image>", count: message.imageCount)
                + "\n\(message.content)<|im_end|>"
        }
        if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        return out
    }

    private func renderVicuna(_ messages: [ChatMessage], _ addGenerationPrompt: Bool) -> String {
        var system = defaultSystemPrompt ?? Self.vicunaSystemPrompt
        var turns: [(role: String, text: String?)] = []
        for message in messages {
            switch message.role {
            case .system: system = message.content
            case .user: turns.append(("USER", Self.text(message)))
            case .assistant: turns.append(("ASSISTANT", Self.text(message)))
            }
        }
        if addGenerationPrompt { turns.append(("ASSISTANT", nil)) }
        let separators = [" ", "</s>"]
        var out = system + separators[0]
        for (index, turn) in turns.enumerated() {
            if let text = turn.text, !text.isEmpty {
                out += "\(turn.role): \(text)\(separators[index % 2])"
            } else {
                out += "\(turn.role):"
            }
        }
        return out
    }
}

/// Python's `str.strip()` (Jinja `trim`): removes White_Space and U+001C…U+001F at both ends.
func pythonStrip(_ text: String) -> String {
    func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
    }
    var scalars = Substring(text).unicodeScalars
    while let first = scalars.first, isSpace(first) { scalars.removeFirst() }
    while let last = scalars.last, isSpace(last) { scalars.removeLast() }
    return String(scalars)
}
