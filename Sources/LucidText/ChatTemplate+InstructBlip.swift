/// InstructBLIP's prompt, which has no chat format: transformers' `InstructBlipProcessor` puts the
/// image tokens before the prompt as the tokenizer encodes it alone (with its BOS), and nothing else.
extension ChatTemplate {
    /// InstructBLIP's prompt (`instructblip`): one user message; ids are its images' `<image>`
    /// placeholders, then its text encoded with the tokenizer's special tokens (`encode(chat:)`).
    public static let instructBlip = ChatTemplate(style: .instructBlip)

    /// The image token InstructBLIP's processor adds to the language model's tokenizer.
    public static let instructBlipImageToken = "<image>"

    /// The one user message an InstructBLIP prompt is made of; any other conversation is refused.
    static func instructBlipMessage(_ messages: [ChatMessage]) throws(ChatTemplateError) -> ChatMessage {
        guard messages.count == 1, let message = messages.first, message.role == .user else {
            throw .unsupportedConversation(template: Style.instructBlip.rawValue,
                                           reason: "InstructBLIP has no chat format: give one user message (no system message, no earlier turns)")
        }
        return message
    }

    /// Refused: the prompt has no text form (the tokenizer's BOS goes between the image tokens and the
    /// text), so text rendered and then encoded would put BOS first; `encode(chat:)` builds the ids.
    func renderInstructBlip(_ messages: [ChatMessage]) throws(ChatTemplateError) -> String {
        _ = try Self.instructBlipMessage(messages)
        throw .unsupportedConversation(template: Style.instructBlip.rawValue,
                                       reason: "InstructBLIP's prompt has no text form (its BOS follows the image tokens): encode it with encode(chat:)")
    }
}

extension Tokenizer {
    /// InstructBLIP's prompt ids as its processor builds them: one `<image>` placeholder per image (the
    /// model expands each to its query tokens; the processor writes them all), then the text with the
    /// tokenizer's special tokens (its BOS first).
    func encodeInstructBlip(_ messages: [ChatMessage]) throws(ChatTemplateError) -> [Int] {
        let message = try ChatTemplate.instructBlipMessage(messages)
        guard message.imageCount == 0 else {
            guard let image = id(for: ChatTemplate.instructBlipImageToken) else {
                throw .unsupportedConversation(template: ChatTemplate.Style.instructBlip.rawValue,
                                               reason: "the tokenizer has no \(ChatTemplate.instructBlipImageToken) token for the image")
            }
            return [Int](repeating: image, count: message.imageCount) + encode(message.content, addSpecialTokens: true)
        }
        return encode(message.content, addSpecialTokens: true)
    }
}
