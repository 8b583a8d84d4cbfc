/// BERT's WordPiece: greedy longest-match-first over a word's scalars, continuations spelled with a
/// prefix (`##`), as Hugging Face `tokenizers`' `WordPiece` model.
///
/// A word longer than `maxInputCharsPerWord` scalars, or one with a piece the vocabulary lacks,
/// becomes the single unknown token.
final class WordPieceModel: Sendable {
    let vocab: [String: Int]
    let unknownID: Int
    let continuingPrefix: String
    let maxInputCharsPerWord: Int

    init(vocab: [String: Int], unknownToken: String, continuingPrefix: String, maxInputCharsPerWord: Int) throws {
        guard let unknownID = vocab[unknownToken] else {
            throw TokenizerError.invalidField(field: "model.unk_token", reason: "'\(unknownToken)' is not in the vocabulary")
        }
        guard maxInputCharsPerWord > 0 else {
            throw TokenizerError.invalidField(field: "model.max_input_chars_per_word", reason: "must be > 0 (got \(maxInputCharsPerWord))")
        }
        self.vocab = vocab
        self.unknownID = unknownID
        self.continuingPrefix = continuingPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
    }

    /// Appends the ids of one pre-tokenized word.
    func encode(word: [Unicode.Scalar], into output: inout [Int]) {
        guard !word.isEmpty else { return }
        guard word.count <= maxInputCharsPerWord else {
            output.append(unknownID)
            return
        }
        var pieces: [Int] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int?
            while start < end {
                var piece = String(String.UnicodeScalarView(word[start..<end]))
                if start > 0 { piece = continuingPrefix + piece }
                if let id = vocab[piece] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let found else {
                output.append(unknownID)
                return
            }
            pieces.append(found)
            start = end
        }
        output += pieces
    }
}

/// The subword model of a tokenizer.
enum SubwordModel: Sendable {
    case bpe(BPEModel)
    case wordPiece(WordPieceModel)

    func encode(word: [Unicode.Scalar], into output: inout [Int]) {
        switch self {
        case .bpe(let model): model.encode(word: word, into: &output)
        case .wordPiece(let model): model.encode(word: word, into: &output)
        }
    }
}
