/// Mistral's "tekken" instruct format (`mistral-nemo`), as Mistral-Nemo-Instruct-2407's Jinja template
/// renders a conversation without tools: `<s>[INST]…[/INST]answer</s>[INST]…[/INST]`, no spaces
/// around the tags, and the system message written into the last message's turn.
extension ChatTemplate {
    /// Mistral Nemo Instruct's format.
    public static let mistralNemo = ChatTemplate(style: .mistralNemo)

    /// After an optional first system message, user and assistant turns alternate, starting with a user
    /// turn. The system message is written, followed by a blank line, at the start of the last message
    /// when that is a user message; when the conversation ends with an assistant message it is not
    /// written at all (the template's `loop.last`). The template has no generation prompt.
    /// - Throws: `ChatTemplateError.rolesMustAlternate`, or `.unsupportedConversation` for a later
    ///   system message.
    func renderMistralNemo(_ messages: [ChatMessage]) throws(ChatTemplateError) -> String {
        var turns = messages[...]
        var system: String?
        if let first = messages.first, first.role == .system {
            system = Self.text(first)
            turns = messages.dropFirst()
        }
        for (index, message) in turns.enumerated() where (message.role == .user) != index.isMultiple(of: 2) {
            throw .rolesMustAlternate(messageIndex: index + (system == nil ? 0 : 1))
        }
        var out = "<s>"
        for (index, message) in turns.enumerated() {
            switch message.role {
            case .user:
                let prefix = index == turns.count - 1 ? system.map { $0 + "\n\n" } ?? "" : ""
                out += "[INST]" + prefix + Self.text(message) + "[/INST]"
            case .assistant:
                out += Self.text(message) + "</s>"
            case .system:
                throw .unsupportedConversation(template: Style.mistralNemo.rawValue,
                                               reason: "only user and assistant messages may follow the first system message")
            }
        }
        return out
    }
}
