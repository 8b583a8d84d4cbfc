/// Why a chat could not be rendered or a template chosen.
public enum ChatTemplateError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No built-in template has this name.
    case unknownTemplate(name: String, known: [String])
    /// llama-2 requires user/assistant/user/… after the optional system message.
    case rolesMustAlternate(messageIndex: Int)
    /// Neither the model's Jinja template nor its vocabulary identifies a built-in template.
    case noTemplateDetected
    /// The template cannot write this conversation (InstructBLIP: one user message only).
    case unsupportedConversation(template: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownTemplate(name, known):
            return "unknown chat template '\(name)'; known templates: \(known.joined(separator: ", "))"
        case let .rolesMustAlternate(index):
            return "message \(index): conversation roles must alternate user/assistant/user/assistant/..."
        case .noTemplateDetected:
            return "could not detect a chat template; pass one by name (\(ChatTemplate.knownNames.joined(separator: ", ")))"
        case let .unsupportedConversation(template, reason):
            return "chat template \(template): \(reason)"
        }
    }
}
