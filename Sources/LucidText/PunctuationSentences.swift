import Foundation

/// Splits text after every '.', '!' or '?' (trimmed, empty pieces dropped; an unterminated tail is
/// its own sentence). For generated descriptions and prompts, not general prose: no abbreviations.
public enum PunctuationSentences {
    public static func split(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if ".!?".contains(character) {
                let trimmed = current.trimmingCharacters(in: .whitespaces)
                if !trimmed.isEmpty { result.append(trimmed) }
                current = ""
            }
        }
        let rest = current.trimmingCharacters(in: .whitespaces)
        if !rest.isEmpty { result.append(rest) }
        return result
    }
}
