import Foundation

extension ChatTemplate {
    /// The built-in template matching a model's Jinja template or, failing that, its vocabulary.
    ///
    /// Template markers, in order: `<|im_start|>` → qwen3 when the template is Qwen3's (its `enable_thinking`
    /// switch and reasoning split, `isQwen3`), nil for any other one that writes `<think>` blocks (QwQ,
    /// Qwen3.5, SmolLM3: formats of their own), llava-onevision when the role is followed by a space
    /// (`message['role'] + ' '`, the llava-hf OneVision/Interleave processors), qwen2-vl when images are
    /// `<|vision_start|><|image_pad|><|vision_end|>` (Qwen2-VL, Qwen2.5-VL), else chatml (both with the default
    /// system prompt the template hard-codes, if any); `<|start_header_id|>` → llama-3.1 when the template
    /// writes Llama 3.1–3.3's `Cutting Knowledge Date` system turn with its `Today Date:` (with the template's
    /// fallback date), nil for a `Cutting Knowledge Date` turn without one (functionary v3.1), nil when it
    /// writes `functions` into the prompt (functionary v3.2, firefunction v2), else llama-3; `[INST]` →
    /// llama-2 when it writes `<<SYS>>` or the tags spaced as Llama 2 does (`'[INST] '` and `' [/INST]'`, as Mistral-7B-Instruct-v0.2's first template too), mistral-nemo for Mistral Nemo's
    /// unspaced tags with the system message in the last turn, nil for other Mistral formats
    /// (`[SYSTEM_PROMPT]`, `' [INST] '`, `'[/INST]'` after a spaced `'[INST] '`); `ASSISTANT:` → llava-1.5 when
    /// it mentions `<image>`, else vicuna; DeepSeek-R1's (`isDeepSeekR1`) → deepseek-r1; any other template
    /// gives nil. Without a template, tokens `<|im_start|>` (with `<|image_pad|>`: qwen2-vl),
    /// `<|start_header_id|>` and `[INST]` select chatml, llama-3 and llama-2.
    /// Returns nil when nothing matches (`undetectedReason` says which case it was).
    public static func detect(jinjaTemplate: String?, hasToken: (String) -> Bool) -> ChatTemplate? {
        if let template = jinjaTemplate {
            if template.contains("<|im_start|>") {
                if template.contains("<think>") { return isQwen3(template) ? .qwen3 : nil }
                if rolesFollowedBySpace(template) { return .llavaOnevision }
                if template.contains("<|vision_start|><|image_pad|><|vision_end|>") {
                    return .qwen2VL(defaultSystemPrompt: defaultChatMLSystemPrompt(in: template))
                }
                return .chatml(defaultSystemPrompt: defaultChatMLSystemPrompt(in: template))
            }
            if template.contains("<|start_header_id|>") {
                // Function-calling fine-tunes (functionary, firefunction) write system turns of their own.
                guard template.contains("Cutting Knowledge Date: December 2023") else { return template.contains("functions") ? nil : .llama3 }
                guard template.contains("Today Date: ") else { return nil }
                return .llama31(todayDate: fallbackDate(in: template) ?? llama31DefaultDate)
            }
            if template.contains("[INST]") {
                if template.contains("<<SYS>>") || writesSpacedInstructionTags(template) { return .llama2 }
                return isMistralNemo(template) ? .mistralNemo : nil
            }
            if template.contains("ASSISTANT:") {
                return template.contains("<image>") ? .llava15 : .vicuna
            }
            // DeepSeek-R1's distills keep Qwen's and Llama 3's vocabularies, not their formats.
            if isDeepSeekR1(template) { return .deepseekR1 }
            // A template none of these recognise is another format: it is not guessed from the vocabulary.
            return nil
        }
        // Qwen's vocabularies hold the vision tokens (text models' too, whose text-only prompts render alike).
        if hasToken("<|im_start|>") && hasToken("<|image_pad|>") { return .qwen2VL(defaultSystemPrompt: nil) }
        if hasToken("<|im_start|>") { return .chatml }
        if hasToken("<|start_header_id|>") { return .llama3 }
        if hasToken("[INST]") { return .llama2 }
        return nil
    }

    /// Why `detect(for:)` finds no template for `tokenizer`, for an error message.
    public static func undetectedReason(for tokenizer: Tokenizer) -> String {
        tokenizer.chatTemplate == nil
            ? "the tokenizer has no chat template and no chat tokens Lucid knows"
            : "its Jinja chat template is none of the formats Lucid renders (\(knownNames.joined(separator: ", ")))"
    }

    /// The date a Llama 3.1–3.3 template writes when it is given none: the literal of its
    /// `set date_string = "…"` (3.2's templates write it only where `strftime_now` is undefined).
    static func fallbackDate(in template: String) -> String? {
        guard let assignment = template.range(of: "set date_string = \"") else { return nil }
        let rest = template[assignment.upperBound...]
        guard let end = rest.firstIndex(of: "\""), rest.distance(from: rest.startIndex, to: end) <= 40 else { return nil }
        return String(rest[..<end])
    }

    /// Whether a template is Qwen3's: it closes an empty `<think>` block when `enable_thinking` is false and
    /// writes an assistant turn's reasoning back as Qwen3's does.
    static func isQwen3(_ template: String) -> Bool {
        ["enable_thinking is defined and enable_thinking is false", #"'<think>\n\n</think>\n\n'"#, "ns.last_query_index",
         #"reasoning_content.strip('\n') + '\n</think>\n\n' + content.lstrip('\n')"#].allSatisfy(template.contains)
    }

    /// Whether a template writes `[INST] ` and ` [/INST]` as quoted literals, spaced as Llama 2's does (a
    /// literal that opens with a space, `' [INST] '`, is another format).
    static func writesSpacedInstructionTags(_ template: String) -> Bool {
        let quotes = ["'", "\""]
        return quotes.contains { template.contains("\($0)[INST] ") } && quotes.contains { template.contains(" [/INST]\($0)") }
    }

    /// Whether a template is Mistral Nemo's: `[INST]` as a literal of its own and the system message
    /// written in the conversation's last turn, without Mistral's later `[SYSTEM_PROMPT]` turn.
    static func isMistralNemo(_ template: String) -> Bool {
        !template.contains("[SYSTEM_PROMPT]") && ["'", "\""].contains { template.contains("\($0)[INST]\($0)") }
            && template.contains("loop.last and system_message is defined")
    }

    /// The template for `tokenizer`, from its `chatTemplate` and vocabulary.
    public static func detect(for tokenizer: Tokenizer) -> ChatTemplate? {
        detect(jinjaTemplate: tokenizer.chatTemplate) { tokenizer.id(for: $0) != nil }
    }

    /// Whether a ChatML Jinja template writes a space after the role (`message['role'] + ' '`, either
    /// quote style, any spacing around `+`), where ChatML writes a newline.
    static func rolesFollowedBySpace(_ template: String) -> Bool {
        for quote in ["'", "\""] {
            let role = "message[\(quote)role\(quote)]"
            var searchStart = template.startIndex
            while let found = template.range(of: role, range: searchStart..<template.endIndex) {
                searchStart = found.upperBound
                let rest = template[found.upperBound...].drop(while: { $0 == " " })
                guard rest.hasPrefix("+") else { continue }
                let operand = rest.dropFirst().drop(while: { $0 == " " })
                if operand.hasPrefix("' '") || operand.hasPrefix("\" \"") { return true }
            }
        }
        return false
    }

    /// The literal system prompt a ChatML Jinja template inserts when the conversation
    /// has none, e.g. SmolLM2's "You are a helpful AI assistant named SmolLM, trained by
    /// Hugging Face". Accepts both real newlines and Jinja `\n` escapes after
    /// `<|im_start|>system`; ignores occurrences that are not plain string literals.
    static func defaultChatMLSystemPrompt(in template: String) -> String? {
        let marker = "<|im_start|>system"
        var searchStart = template.startIndex
        while let found = template.range(of: marker, range: searchStart..<template.endIndex) {
            searchStart = found.upperBound
            var rest = template[found.upperBound...]
            if rest.hasPrefix("\n") {
                rest = rest.dropFirst()
            } else if rest.hasPrefix("\\n") {
                rest = rest.dropFirst(2)
            } else {
                continue
            }
            guard let end = rest.range(of: "<|im_end|>") else { continue }
            let prompt = rest[..<end.lowerBound]
            if prompt.isEmpty || prompt.contains(where: { "'\"{}".contains($0) }) { continue }
            return prompt.replacingOccurrences(of: "\\n", with: "\n")
        }
        return nil
    }
}

extension Tokenizer {
    /// Renders `messages` with `template` (or the detected one) and encodes the prompt.
    ///
    /// Templates that spell out BOS themselves are encoded without the post-processor's
    /// special tokens; the others with them (so llava-1.5 and vicuna prompts get BOS). InstructBLIP's
    /// has no text form: its images' placeholders, then the text encoded alone (`encodeInstructBlip`).
    /// - Throws: `ChatTemplateError` when no template is given or detected, or rendering fails.
    public func encode(chat messages: [ChatMessage], template: ChatTemplate? = nil,
                       addGenerationPrompt: Bool = true) throws -> [Int] {
        guard let template = template ?? ChatTemplate.detect(for: self) else {
            throw ChatTemplateError.noTemplateDetected
        }
        if template.style == .instructBlip { return try encodeInstructBlip(messages) }
        let text = try template.render(messages, addGenerationPrompt: addGenerationPrompt)
        return encode(text, addSpecialTokens: !template.rendersBOS)
    }
}
