/// DeepSeek-R1's chat format (`deepseek-r1`), as the template of its Qwen and Llama distills renders a
/// conversation without tools: `<｜begin▁of▁sentence｜>`, the system message bare, then `<｜User｜>…` and
/// `<｜Assistant｜>answer<｜end▁of▁sentence｜>` turns; the generation prompt opens the assistant's reasoning.
extension ChatTemplate {
    /// DeepSeek-R1 (and its distills) format.
    public static let deepseekR1 = ChatTemplate(style: .deepseekR1)

    /// The last system message anywhere in the conversation comes first, bare (the template keeps the last
    /// one it sees); assistant messages keep only what follows their last `</think>` (earlier reasoning is
    /// dropped); the generation prompt is `<｜Assistant｜><think>\n`.
    func renderDeepSeekR1(_ messages: [ChatMessage], _ addGenerationPrompt: Bool) -> String {
        var out = "<｜begin▁of▁sentence｜>" + (messages.last { $0.role == .system }.map(Self.text) ?? "")
        for message in messages {
            let text = Self.text(message)
            switch message.role {
            case .system: continue
            case .user: out += "<｜User｜>" + text
            case .assistant:
                let answer = text.components(separatedBy: "</think>").last ?? text
                out += "<｜Assistant｜>" + answer + "<｜end▁of▁sentence｜>"
            }
        }
        if addGenerationPrompt { out += "<｜Assistant｜><think>\n" }
        return out
    }

    /// Whether a template is DeepSeek-R1's: its turn tokens, the system prompt it collects, the reasoning it
    /// drops from answers and the `<think>` its generation prompt opens, without a thinking switch (llama.cpp's
    /// edited copy closes the block unless `enable_thinking`).
    static func isDeepSeekR1(_ template: String) -> Bool {
        ["<｜User｜>", "ns.system_prompt", "content.split('</think>')[-1]", #"{{'<｜Assistant｜><think>\n'}}"#].allSatisfy(template.contains)
            && !template.contains("enable_thinking")
    }
}
