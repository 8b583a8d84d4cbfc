import Foundation

/// Qwen3's chat format (`qwen3`): ChatML whose assistant turns carry their reasoning in `<think>` blocks,
/// rendered as the Qwen3 release's Jinja template renders a conversation without tools.
extension ChatTemplate {
    /// Qwen3 with the template's default, thinking on (`enable_thinking` not passed).
    public static let qwen3 = ChatTemplate(style: .qwen3)

    /// Qwen3 with `enableThinking` as transformers' `apply_chat_template(..., enable_thinking:)` passes it:
    /// `false` closes an empty `<think>` block after the generation prompt, so the model answers at once.
    public static func qwen3(enableThinking: Bool) -> ChatTemplate {
        var template = ChatTemplate(style: .qwen3)
        template.enableThinking = enableThinking
        return template
    }

    /// The name that selects `qwen3(enableThinking: false)`.
    public static let qwen3NoThinkingName = "qwen3-no-thinking"

    /// The template's turns: a first system message as its own turn; each user turn (and a later system
    /// message) as ChatML; each assistant turn with its reasoning split off at its last `</think>`. Assistant
    /// turns after the last user query keep their reasoning in a `<think>` block (always for the last
    /// message); earlier ones keep only their answer. A user message wrapped whole in
    /// `<tool_response>…</tool_response>` is not a query, as in the template.
    func renderQwen3(_ messages: [ChatMessage], _ addGenerationPrompt: Bool) -> String {
        let texts = messages.map(Self.text)
        var out = ""
        if let first = messages.first, first.role == .system {
            out += "<|im_start|>system\n" + texts[0] + "<|im_end|>\n"
        }
        let lastQuery = messages.indices.last { index in
            messages[index].role == .user
                && !(texts[index].hasPrefix("<tool_response>") && texts[index].hasSuffix("</tool_response>"))
        } ?? messages.count - 1
        for (index, message) in messages.enumerated() {
            switch message.role {
            case .system where index == 0:
                continue
            case .user, .system:
                out += "<|im_start|>\(message.role.rawValue)\n" + texts[index] + "<|im_end|>\n"
            case .assistant:
                let (reasoning, answer) = Self.qwen3Split(texts[index])
                if index > lastQuery && (index == messages.count - 1 || !reasoning.isEmpty) {
                    out += "<|im_start|>assistant\n<think>\n" + reasoning.trimmingNewlines(leading: true, trailing: true)
                        + "\n</think>\n\n" + answer.trimmingNewlines(leading: true, trailing: false)
                } else {
                    out += "<|im_start|>assistant\n" + answer
                }
                out += "<|im_end|>\n"
            }
        }
        if addGenerationPrompt {
            out += "<|im_start|>assistant\n"
            if enableThinking == false { out += "<think>\n\n</think>\n\n" }
        }
        return out
    }

    /// An assistant message's reasoning and answer, as the template splits them: with a `</think>`, the
    /// answer is what follows the last one (leading newlines dropped) and the reasoning what precedes the
    /// first one, after its last `<think>`, newlines trimmed; without, no reasoning and the whole text.
    static func qwen3Split(_ text: String) -> (reasoning: String, answer: String) {
        let parts = text.components(separatedBy: "</think>")
        guard parts.count > 1, let last = parts.last else { return ("", text) }
        let thought = parts[0].trimmingNewlines(leading: false, trailing: true).components(separatedBy: "<think>").last ?? ""
        return (thought.trimmingNewlines(leading: true, trailing: false), last.trimmingNewlines(leading: true, trailing: false))
    }
}

extension String {
    /// Python's `lstrip('\n')` / `rstrip('\n')` / `strip('\n')`: line feeds only, at the ends asked for.
    func trimmingNewlines(leading: Bool, trailing: Bool) -> String {
        var text = Substring(self)
        if leading { text = text.drop { $0 == "\n" } }
        if trailing { while text.last == "\n" { text = text.dropLast() } }
        return String(text)
    }
}
