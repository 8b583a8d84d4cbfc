/// A tokenizer with Hugging Face `tokenizers` semantics: BPE (byte-level or SentencePiece-style) or
/// BERT's WordPiece.
///
/// Build one with `Tokenizer(tokenizerJSON:tokenizerConfigJSON:)`, `Tokenizer(directory:)`
/// or `Tokenizer(gguf:)`. Encoding runs the Hugging Face pipeline: added tokens are cut
/// out of the raw text (longest first), each remaining segment is normalized,
/// pre-tokenized into words and BPE-encoded, and `encode(_:addSpecialTokens: true)` adds
/// the post-processor's special tokens (e.g. BOS). Immutable and safe to share across
/// tasks; the per-word cache is internally synchronized.
public final class Tokenizer: Sendable {
    /// The model families LucidText implements.
    public enum Kind: String, Sendable {
        /// GPT-2 style: text is split by regex, then encoded as bytes (GPT-2, SmolLM, Qwen, Llama-3).
        case byteLevelBPE
        /// SentencePiece style: "▁" for spaces, merges over Unicode scalars, `<0xNN>` byte fallback (Llama-2, Vicuna).
        case sentencePieceBPE
        /// BERT style: greedy longest-match WordPiece with `##` continuations (BLIP's Q-Former).
        case wordPiece
    }

    /// Which model family this is.
    public let kind: Kind
    /// One past the largest token id (model vocabulary plus added tokens).
    public let vocabularySize: Int
    /// Beginning-of-sequence token, if the model has one.
    public let bosID: Int?
    /// End-of-sequence token, if the model has one.
    public let eosID: Int?
    /// Padding token, if declared.
    public let padID: Int?
    /// Unknown token, if declared.
    public let unknownID: Int?
    /// Ids `encode(_:addSpecialTokens: true)` puts before the text (e.g. `[bosID]`).
    public let prefixIDs: [Int]
    /// Ids `encode(_:addSpecialTokens: true)` puts after the text.
    public let suffixIDs: [Int]
    /// Tokens matched in the text before the model runs, special ones included.
    public let addedTokens: [AddedToken]
    /// The model's own Jinja chat template, as shipped (tokenizer_config.json or GGUF).
    public let chatTemplate: String?

    let model: SubwordModel
    let normalizer: Normalizer
    let preTokenizer: PreTokenizer
    let decoder: DecoderPipeline
    private let matcher: AddedTokenMatcher
    private let tokenStrings: [String?]
    private let addedIDs: [String: Int]
    let modelVocab: [String: Int]
    private let specialIDs: Set<Int>

    /// Everything a loader extracts from a tokenizer file.
    struct Components {
        var model: SubwordModel
        var vocab: [String: Int]
        var normalizer: Normalizer
        var preTokenizer: PreTokenizer
        var decoder: DecoderPipeline
        var addedTokens: [AddedToken]
        var prefixIDs: [Int]
        var suffixIDs: [Int]
        var bosID: Int?
        var eosID: Int?
        var padID: Int?
        var unknownID: Int?
        var chatTemplate: String?
    }

    init(_ parts: Components) throws {
        var strings: [String?] = []
        func place(_ token: String, at id: Int) throws {
            guard id >= 0, id < 16_777_216 else {
                throw TokenizerError.invalidField(field: "vocab", reason: "token '\(token)' has id \(id)")
            }
            if id >= strings.count { strings.append(contentsOf: repeatElement(nil, count: id - strings.count + 1)) }
            strings[id] = token
        }
        for (token, id) in parts.vocab { try place(token, at: id) }
        var added: [String: Int] = [:]
        for token in parts.addedTokens {
            try place(token.content, at: token.id)
            added[token.content] = token.id
        }
        for (name, id) in [("bos", parts.bosID), ("eos", parts.eosID), ("pad", parts.padID), ("unk", parts.unknownID)] {
            if let id, id < 0 || id >= strings.count || strings[id] == nil {
                throw TokenizerError.invalidField(field: "\(name) token id",
                                                  reason: "\(id) is outside the vocabulary (0..<\(strings.count))")
            }
        }
        for id in parts.prefixIDs + parts.suffixIDs where id < 0 || id >= strings.count {
            throw TokenizerError.invalidField(field: "post_processor", reason: "special token id \(id) is outside the vocabulary")
        }
        switch parts.model {
        case .bpe(let bpe): kind = bpe.byteLevel ? .byteLevelBPE : .sentencePieceBPE
        case .wordPiece: kind = .wordPiece
        }
        vocabularySize = strings.count
        bosID = parts.bosID
        eosID = parts.eosID
        padID = parts.padID
        unknownID = parts.unknownID
        prefixIDs = parts.prefixIDs
        suffixIDs = parts.suffixIDs
        addedTokens = parts.addedTokens
        chatTemplate = parts.chatTemplate
        model = parts.model
        normalizer = parts.normalizer
        preTokenizer = parts.preTokenizer
        decoder = parts.decoder
        matcher = AddedTokenMatcher(tokens: parts.addedTokens, normalizer: parts.normalizer)
        tokenStrings = strings
        addedIDs = added
        modelVocab = parts.vocab
        specialIDs = Set(parts.addedTokens.filter(\.special).map(\.id))
    }

    /// Token ids for `text`; with `addSpecialTokens`, the post-processor's tokens (BOS…) too.
    ///
    /// Added tokens such as `<|im_start|>` are recognised anywhere in the text. Chat
    /// templates that already spell out BOS (llama-2, llama-3) should be encoded with
    /// `addSpecialTokens: false`; `encode(chat:template:addGenerationPrompt:)` does that.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        var ids = addSpecialTokens ? prefixIDs : []
        ids.reserveCapacity(text.utf8.count / 3 + 4)
        for segment in matcher.segments(text, normalizer: normalizer) {
            switch segment {
            case let .token(id):
                ids.append(id)
            case let .text(piece, atOriginalStart):
                for word in preTokenizer.words(Array(piece.unicodeScalars), atOriginalStart: atOriginalStart) {
                    model.encode(word: word, into: &ids)
                }
            }
        }
        if addSpecialTokens { ids += suffixIDs }
        return ids
    }

    /// The text for `ids`, exactly as Hugging Face's `decode` produces it.
    ///
    /// - Throws: `TokenizerError.tokenIDOutOfRange` for an id the vocabulary lacks
    ///   (Hugging Face silently drops those).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) throws -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            let token = try tokenString(id)
            if skipSpecialTokens, specialIDs.contains(id) { continue }
            tokens.append(token)
        }
        return decoder.decode(tokens)
    }

    /// A fresh streaming decoder over this tokenizer.
    public func streamingDecoder(skipSpecialTokens: Bool = false) -> StreamingDecoder {
        StreamingDecoder(tokenizer: self, skipSpecialTokens: skipSpecialTokens)
    }

    /// The id of a token spelled exactly as in the vocabulary (byte-level spelling for
    /// GPT-2 style models, e.g. "Ġthe"); added tokens take precedence.
    public func id(for token: String) -> Int? {
        addedIDs[token] ?? modelVocab[token]
    }

    /// The vocabulary spelling of `id`, or nil if out of range.
    public func token(for id: Int) -> String? {
        guard id >= 0, id < tokenStrings.count else { return nil }
        return tokenStrings[id]
    }

    /// Whether `id` is a special added token (skipped by `skipSpecialTokens`).
    public func isSpecial(_ id: Int) -> Bool {
        specialIDs.contains(id)
    }

    func tokenString(_ id: Int) throws -> String {
        guard let token = token(for: id) else {
            throw TokenizerError.tokenIDOutOfRange(id: id, vocabularySize: vocabularySize)
        }
        return token
    }
}
