import ArgumentParser
import Foundation
import LucidModels
import LucidPipeline
import LucidOrganisms
import LucidText

/// Prompt options shared by `generate` and `inspect`: text through the chat template, or raw ids.
struct PromptOptions: ParsableArguments {
    @Option(help: "The user message (rendered with the model's chat template unless --raw).")
    var prompt: String?

    @Option(name: .customLong("input-ids"), help: "Token ids, comma-separated (bypasses tokenizer and chat template).")
    var inputIDs: String?

    @Option(help: "A system message placed before the user message.")
    var system: String?

    @Option(help: ArgumentHelp("Chat template: \(ChatTemplate.knownNames.joined(separator: ", ")) (default: detected from the model)."))
    var template: String?

    @Flag(help: "Tokenize --prompt as plain text, without a chat template.")
    var raw = false

    func validate() throws {
        if (prompt == nil) == (inputIDs == nil) { throw ValidationError("give exactly one of --prompt or --input-ids") }
        if raw && template != nil { throw ValidationError("--raw and --template exclude each other") }
    }

    /// The template the prompt is rendered with: `--template`, else the one `model`'s family picks for the
    /// tokenizer; nil with `--raw` or `--input-ids`.
    func chatTemplate(tokenizer tok: Tokenizer, model: OpenedModel) throws -> ChatTemplate? {
        if raw || inputIDs != nil { return nil }
        if let template { return try ChatTemplate(named: template) }
        if let detected = model.chatTemplate(for: tok) { return detected }
        throw CLIError("cannot tell this model's chat template (\(ChatTemplate.undetectedReason(for: tok))): pass --template NAME or --raw")
    }

    /// The prompt's token ids, with `imageCount` image placeholders in the user message, rendered with `chatTemplate`.
    func tokenIDs(tokenizer: () throws -> Tokenizer, imageCount: Int, model: OpenedModel) throws -> [Int] {
        if let inputIDs { return try parseIDs(inputIDs) }
        guard let prompt else { throw CLIError("no prompt") }
        let tok = try tokenizer()
        guard let chatTemplate = try chatTemplate(tokenizer: tok, model: model) else { return tok.encode(prompt, addSpecialTokens: true) }
        var messages: [ChatMessage] = []
        if let system { messages.append(.system(system)) }
        messages.append(.user(prompt, images: imageCount))
        return try tok.encode(chat: messages, template: chatTemplate)
    }
}

/// Opens the tokenizer of `model` with a clear error.
func openTokenizer(_ model: String) throws -> Tokenizer {
    try ModelRegistry.standard.tokenizer(for: model)
}
