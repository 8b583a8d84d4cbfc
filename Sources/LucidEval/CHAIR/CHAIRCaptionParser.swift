import Foundation

/// CHAIR's `caption_to_words`: the COCO object mentions of one caption (OPERA's pipeline).
///
/// Steps: lower-case (Python `str.lower`); NLTK `word_tokenize`; NLTK `pos_tag`; WordNet
/// lemmatisation with OPERA's tag mapping (J→a, V→v, N→n, R→r, else n); greedy left-to-right
/// merge of known phrases (`.fixed` tries three-word phrases before pairs); if both `toilet`
/// and `seat` occur, every `seat` is dropped; the remaining object words are kept in order
/// (repeats included) and mapped to their node words.
public struct CHAIRCaptionParser: Sendable {
    /// The mentions found in one caption.
    public struct Mentions: Sendable, Equatable {
        /// Object words as they appear after lemmatisation and merging (`words` in chair.py).
        public var objectWords: [String]
        /// The node word (COCO category) of each object word, same order (`node_words`).
        public var nodeWords: [String]
        /// Tokens after merging, punctuation included (`raw_words`; their count is CHAIR's Len).
        public var tokens: [String]
    }

    public let english: NLTKEnglish
    public let vocabulary: CHAIRVocabulary

    public init(english: NLTKEnglish, vocabulary: CHAIRVocabulary = CHAIRVocabulary()) {
        self.english = english
        self.vocabulary = vocabulary
    }

    /// The object mentions of `caption`.
    public func mentions(in caption: String) -> Mentions {
        let lemmas = english.analyse(PythonString.lower(caption)).lemmas
        let merged = merge(lemmas)
        var words = merged
        if words.contains("toilet") && words.contains("seat") {
            words.removeAll { $0 == "seat" }
        }
        var objectWords: [String] = []
        var nodeWords: [String] = []
        for word in words {
            if let node = vocabulary.nodeWords[word] {
                objectWords.append(word)
                nodeWords.append(node)
            }
        }
        return Mentions(objectWords: objectWords, nodeWords: nodeWords, tokens: merged)
    }

    /// The greedy phrase merge of `chair.py` (`' '.join(words[i:i+2]) in double_word_dict`).
    func merge(_ words: [String]) -> [String] {
        var out: [String] = []
        out.reserveCapacity(words.count)
        var i = 0
        while i < words.count {
            if !vocabulary.tripleWords.isEmpty, i + 3 <= words.count,
               let replacement = vocabulary.tripleWords[words[i..<i + 3].joined(separator: " ")] {
                out.append(replacement)
                i += 3
                continue
            }
            // At the last word the "pair" is the word alone, as Python's slice words[i:i+2] gives.
            let pair = words[i..<min(i + 2, words.count)].joined(separator: " ")
            if let replacement = vocabulary.doubleWords[pair] {
                out.append(replacement)
                i += 2
            } else {
                out.append(words[i])
                i += 1
            }
        }
        return out
    }
}
