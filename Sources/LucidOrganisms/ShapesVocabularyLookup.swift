import LucidWorld

/// Single-word lookups in ShapesWorld's vocabulary (for marking words in a description).
enum ShapesVocabularyLookup {
    static let vocabulary = ShapesWorldVocabulary()

    /// The category name a single word denotes (singular, plural or synonym), if any.
    static func category(of word: String) -> String? {
        vocabulary.words[word.lowercased()]?.name
    }
}
