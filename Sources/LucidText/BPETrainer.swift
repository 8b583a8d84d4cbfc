import Foundation

/// Trains a byte-level BPE tokenizer (GPT-2 style) on a corpus and writes it as a Hugging Face
/// `tokenizer.json`, so Lucid's own models ship tokenizers other tools read.
///
/// Words come from the same pre-tokenizer the runtime uses (GPT-2 regex, digits split individually);
/// the initial alphabet is all 256 byte symbols; each merge joins the most frequent adjacent pair,
/// ties broken by the pair's symbols in lexicographic order, so training is deterministic.
public struct BPETrainer: Sendable {
    /// Final vocabulary size including the 256 byte symbols and the special tokens.
    public var vocabularySize: Int
    /// Special tokens, given ids 0…n−1 in order (e.g. `<|endoftext|>`, `<|im_start|>`, `<|im_end|>`, `<image>`).
    public var specialTokens: [String]
    /// Pairs seen fewer times than this are never merged.
    public var minimumFrequency: Int

    public init(vocabularySize: Int, specialTokens: [String] = ["<|endoftext|>"], minimumFrequency: Int = 2) {
        self.vocabularySize = vocabularySize
        self.specialTokens = specialTokens
        self.minimumFrequency = minimumFrequency
    }

    static let preTokenizer = PreTokenizer(steps: [.digits(individual: true), .byteLevel(addPrefixSpace: false, useRegex: true)])

    /// The trained tokenizer as `tokenizer.json` bytes.
    public func train(_ texts: [String]) throws -> Data {
        guard vocabularySize >= 256 + specialTokens.count else {
            throw TokenizerError.invalidField(field: "vocabularySize", reason: "\(vocabularySize) is below the 256 byte symbols plus \(specialTokens.count) special tokens")
        }
        // Word frequencies over byte-level symbols.
        var frequencies: [[String]: Int] = [:]
        for text in texts {
            for word in Self.preTokenizer.words(Array(text.unicodeScalars), atOriginalStart: true) {
                let bytes = Array(String(String.UnicodeScalarView(word)).utf8)
                let symbols = bytes.map { String(Character(ByteLevelMapping.scalarForByte[Int($0)])) }
                frequencies[symbols, default: 0] += 1
            }
        }
        var words = frequencies.map { (symbols: $0.key, count: $0.value) }.sorted { $0.symbols.joined() < $1.symbols.joined() }
        var vocabulary: [String] = specialTokens
        let alphabet = (0..<256).map { String(Character(ByteLevelMapping.scalarForByte[$0])) }
        for symbol in alphabet.sorted() where !vocabulary.contains(symbol) { vocabulary.append(symbol) }
        var merges: [(String, String)] = []
        while vocabulary.count < vocabularySize {
            var pairs: [PairKey: Int] = [:]
            for word in words where word.symbols.count > 1 {
                for i in 0..<(word.symbols.count - 1) {
                    pairs[PairKey(word.symbols[i], word.symbols[i + 1]), default: 0] += word.count
                }
            }
            guard let best = pairs.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }), best.value >= minimumFrequency else { break }
            let merged = best.key.left + best.key.right
            merges.append((best.key.left, best.key.right))
            if !vocabulary.contains(merged) { vocabulary.append(merged) }
            for index in words.indices where words[index].symbols.count > 1 {
                var symbols: [String] = []
                var i = 0
                let old = words[index].symbols
                while i < old.count {
                    if i + 1 < old.count, old[i] == best.key.left, old[i + 1] == best.key.right {
                        symbols.append(merged)
                        i += 2
                    } else {
                        symbols.append(old[i])
                        i += 1
                    }
                }
                words[index].symbols = symbols
            }
        }
        return try Self.tokenizerJSON(vocabulary: vocabulary, merges: merges, specialTokens: specialTokens)
    }

    struct PairKey: Hashable, Comparable {
        let left: String
        let right: String
        init(_ left: String, _ right: String) { self.left = left; self.right = right }
        static func < (a: PairKey, b: PairKey) -> Bool { (a.left, a.right) < (b.left, b.right) }
    }

    static func tokenizerJSON(vocabulary: [String], merges: [(String, String)], specialTokens: [String]) throws -> Data {
        var vocab: [String: Int] = [:]
        for (id, token) in vocabulary.enumerated() { vocab[token] = id }
        let added = specialTokens.enumerated().map { id, content -> [String: Any] in
            ["id": id, "content": content, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true]
        }
        let object: [String: Any] = [
            "version": "1.0",
            "truncation": NSNull(), "padding": NSNull(),
            "added_tokens": added,
            "normalizer": NSNull(),
            "pre_tokenizer": ["type": "Sequence", "pretokenizers": [
                ["type": "Digits", "individual_digits": true],
                ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true],
            ]],
            "post_processor": NSNull(),
            "decoder": ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true],
            "model": ["type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": NSNull(),
                      "end_of_word_suffix": NSNull(), "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                      "vocab": vocab, "merges": merges.map { "\($0.0) \($0.1)" }],
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }
}
