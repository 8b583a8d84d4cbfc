/// Small English helpers for the text templates.
enum EnglishText {
    /// "one" … "nine" for 1…9, digits otherwise.
    static func number(_ value: Int) -> String {
        let words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
        return (0 ..< words.count).contains(value) ? words[value] : String(value)
    }

    /// "a" or "an" for the word that follows (vowel-letter rule, enough for this vocabulary).
    static func article(before word: String) -> String {
        guard let first = word.lowercased().first else { return "a" }
        return "aeiou".contains(first) ? "an" : "a"
    }

    /// `word` with its article, e.g. "an orange", "a large".
    static func withArticle(_ phrase: String) -> String {
        "\(article(before: phrase)) \(phrase)"
    }

    /// The text with its first letter upper-cased.
    static func capitalized(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst()
    }

    /// "a", "a and b", "a, b and c".
    static func list(_ items: [String]) -> String {
        switch items.count {
        case 0: return ""
        case 1: return items[0]
        default: return items.dropLast().joined(separator: ", ") + " and " + (items.last ?? "")
        }
    }
}
