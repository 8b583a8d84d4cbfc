/// One turn of a conversation, for `ChatTemplate.render`.
///
/// `imageCount` places that many image placeholders (`<image>\n`) before the text, as
/// the llava-hf processors do; the vision layer later expands each placeholder.
public struct ChatMessage: Sendable, Hashable {
    /// Who speaks.
    public enum Role: String, Sendable, Hashable {
        case system, user, assistant
    }

    /// Who speaks.
    public var role: Role
    /// What is said.
    public var content: String
    /// How many images precede the text.
    public var imageCount: Int

    /// Creates a message.
    public init(role: Role, content: String, imageCount: Int = 0) {
        self.role = role
        self.content = content
        self.imageCount = max(0, imageCount)
    }

    /// A system message.
    public static func system(_ content: String) -> ChatMessage {
        ChatMessage(role: .system, content: content)
    }

    /// A user message, optionally with images.
    public static func user(_ content: String, images: Int = 0) -> ChatMessage {
        ChatMessage(role: .user, content: content, imageCount: images)
    }

    /// An assistant message.
    public static func assistant(_ content: String) -> ChatMessage {
        ChatMessage(role: .assistant, content: content)
    }
}
