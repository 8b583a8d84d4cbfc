/// A token matched in the raw text before the model splits it (Hugging Face "added token").
///
/// Special tokens (`<|im_start|>`, `<s>`) are added tokens with `special == true`; they
/// are skipped by `decode(_:skipSpecialTokens: true)`. The flags follow Hugging Face:
/// `lstrip` / `rstrip` swallow the whitespace to the token's left / right, `singleWord`
/// refuses matches inside a word, and `normalized` tokens are matched against the
/// normalized text instead of the raw text.
public struct AddedToken: Sendable, Hashable {
    /// The token's id in the vocabulary.
    public var id: Int
    /// The exact text that is matched.
    public var content: String
    /// Whether decoding may skip it.
    public var special: Bool
    /// Match only when not preceded or followed by a word character.
    public var singleWord: Bool
    /// Absorb the whitespace before the match.
    public var lstrip: Bool
    /// Absorb the whitespace after the match.
    public var rstrip: Bool
    /// Match against normalized text (Hugging Face default: `!special`).
    public var normalized: Bool

    /// Creates an added token; the defaults are Hugging Face's for the given `special`.
    public init(id: Int, content: String, special: Bool, singleWord: Bool = false,
                lstrip: Bool = false, rstrip: Bool = false, normalized: Bool? = nil) {
        self.id = id
        self.content = content
        self.special = special
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized ?? !special
    }
}
