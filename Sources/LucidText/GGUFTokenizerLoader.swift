extension Tokenizer {
    /// Builds the tokenizer a GGUF file describes, matching the Hugging Face tokenizer it was converted from.
    ///
    /// "gpt2" models become byte-level BPE with the split rules of `tokenizer.ggml.pre`
    /// (e.g. "smollm": every number scalar alone, then the GPT-2 regex — HF's
    /// `Digits(individual_digits) + ByteLevel`). "llama" models become Llama-2 style
    /// SentencePiece BPE: `Prepend("▁") + Replace(" ", "▁")`, byte fallback, fused `<unk>`.
    /// Control, unknown and user-defined tokens are matched in text as added tokens
    /// (the first two are special).
    ///
    /// - Throws: `TokenizerError` for an empty vocabulary, mismatched array lengths,
    ///   malformed or dangling merges, out-of-range special ids, or an unknown model or
    ///   pre-tokenizer name.
    public convenience init(gguf metadata: GGUFTokenizerMetadata) throws {
        try self.init(GGUFTokenizerLoader.components(metadata))
    }
}

/// Translates GGUF tokenizer metadata into tokenizer components.
enum GGUFTokenizerLoader {
    private enum TokenType: Int32 {
        case normal = 1, unknown, control, userDefined, unused, byte
    }

    static func components(_ meta: GGUFTokenizerMetadata) throws -> Tokenizer.Components {
        guard !meta.tokens.isEmpty else { throw TokenizerError.emptyVocabulary }
        let count = meta.tokens.count
        if let types = meta.tokenTypes, types.count != count {
            throw TokenizerError.arrayLengthMismatch(field: "tokenizer.ggml.token_type", expected: count, actual: types.count)
        }
        if let scores = meta.scores, scores.count != count {
            throw TokenizerError.arrayLengthMismatch(field: "tokenizer.ggml.scores", expected: count, actual: scores.count)
        }
        var vocab: [String: Int] = [:]
        vocab.reserveCapacity(count)
        for (id, token) in meta.tokens.enumerated() where vocab[token] == nil { vocab[token] = id }

        var added: [AddedToken] = []
        for (id, raw) in (meta.tokenTypes ?? []).enumerated() {
            guard let type = TokenType(rawValue: raw), !meta.tokens[id].isEmpty else { continue }
            switch type {
            case .unknown, .control:
                added.append(AddedToken(id: id, content: meta.tokens[id], special: true, normalized: false))
            case .userDefined:
                added.append(AddedToken(id: id, content: meta.tokens[id], special: false, normalized: false))
            case .normal, .unused, .byte:
                break
            }
        }
        let unknownID = meta.unknownTokenID
            ?? meta.tokenTypes?.firstIndex(of: TokenType.unknown.rawValue)
        for (field, id) in [("bos_token_id", meta.bosTokenID), ("eos_token_id", meta.eosTokenID),
                            ("padding_token_id", meta.paddingTokenID), ("unknown_token_id", unknownID)] {
            if let id, id < 0 || id >= count {
                throw TokenizerError.invalidField(field: "tokenizer.ggml.\(field)",
                                                  reason: "\(id) is outside the vocabulary (0..<\(count))")
            }
        }

        let model: BPEModel
        let normalizer: Normalizer
        let preTokenizer: PreTokenizer
        let decoder: DecoderPipeline
        let addsBOS: Bool
        switch meta.model {
        case "gpt2":
            guard let rawMerges = meta.merges else { throw TokenizerError.missingField("tokenizer.ggml.merges") }
            let merges = try rawMerges.enumerated().map { try Tokenizer.splitMerge($0.element, index: $0.offset) }
            let rules = try splitRules(meta.preTokenizer)
            model = try BPEModel(vocab: vocab, merges: merges, byteLevel: true, byteFallback: false,
                                 unknownToken: nil, fuseUnknown: false, ignoreMerges: rules.ignoreMerges)
            normalizer = Normalizer(steps: rules.normalizer)
            preTokenizer = PreTokenizer(steps: rules.steps)
            decoder = DecoderPipeline(steps: [.byteLevel])
            addsBOS = meta.addBOSToken ?? false
        case "llama":
            let merges: [(String, String)]
            if let rawMerges = meta.merges, !rawMerges.isEmpty {
                merges = try rawMerges.enumerated().map { try Tokenizer.splitMerge($0.element, index: $0.offset) }
            } else if let scores = meta.scores {
                merges = mergesFromScores(tokens: meta.tokens, scores: scores, vocab: vocab)
            } else {
                throw TokenizerError.missingField("tokenizer.ggml.scores")
            }
            model = try BPEModel(vocab: vocab, merges: merges, byteLevel: false, byteFallback: true,
                                 unknownToken: unknownID.map { meta.tokens[$0] }, fuseUnknown: true,
                                 ignoreMerges: false)
            let prefixSpace = meta.addSpacePrefix ?? true
            let replace = Normalizer.Step.replace(pattern: [" "], content: ["▁"])
            normalizer = Normalizer(steps: prefixSpace ? [.prepend("▁"), replace] : [replace])
            preTokenizer = PreTokenizer(steps: [])
            decoder = DecoderPipeline(steps: [.replace(pattern: ["▁"], content: [" "]), .byteFallback, .fuse,
                                              .strip(content: " ", start: prefixSpace ? 1 : 0, stop: 0)])
            addsBOS = meta.addBOSToken ?? true
        default:
            throw TokenizerError.unsupportedModel(meta.model)
        }
        let prefix = addsBOS ? [meta.bosTokenID].compactMap { $0 } : []
        let suffix = (meta.addEOSToken ?? false) ? [meta.eosTokenID].compactMap { $0 } : []
        return Tokenizer.Components(
            model: .bpe(model), vocab: vocab, normalizer: normalizer, preTokenizer: preTokenizer, decoder: decoder,
            addedTokens: added, prefixIDs: prefix, suffixIDs: suffix, bosID: meta.bosTokenID,
            eosID: meta.eosTokenID, padID: meta.paddingTokenID, unknownID: unknownID,
            chatTemplate: meta.chatTemplate)
    }

    /// Pre-tokenization for a `tokenizer.ggml.pre` name (nil means GPT-2).
    private static func splitRules(_ name: String?) throws
        -> (steps: [PreTokenizer.Step], normalizer: [Normalizer.Step], ignoreMerges: Bool) {
        let byteLevel = PreTokenizer.Step.byteLevel(addPrefixSpace: false, useRegex: false)
        switch name ?? "default" {
        case "default", "gpt2", "gpt-2":
            return ([.byteLevel(addPrefixSpace: false, useRegex: true)], [], false)
        case "smollm", "starcoder", "refact":
            return ([.digits(individual: true), .byteLevel(addPrefixSpace: false, useRegex: true)], [], false)
        // llama.cpp's aliases (src/llama-vocab.cpp): the names it maps to the same pattern.
        case "llama-bpe", "llama3", "llama-v3", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2":
            return ([.split(.llama3), byteLevel], [], true)
        case "dbrx", "smaug-bpe":
            return ([.split(.llama3), byteLevel], [], false)
        case "qwen2", "deepseek-r1-qwen", "kormo":
            return ([.split(.qwen2), byteLevel], [.nfc], false)
        case "tekken":  // llama.cpp: the pattern, no NFC, merges ignored for words in the vocabulary
            return ([.split(.tekken), byteLevel], [], true)
        case let other:
            throw TokenizerError.unsupportedPreTokenizer(name: other, known: GGUFTokenizerMetadata.knownPreTokenizers)
        }
    }

    /// Merge rules implied by SentencePiece scores: every split of every piece into two
    /// vocabulary pieces, best merged-piece score first, then merged id, then the ids of
    /// the halves (Hugging Face's SentencePiece conversion).
    static func mergesFromScores(tokens: [String], scores: [Float], vocab: [String: Int]) -> [(String, String)] {
        struct Candidate {
            var score: Float
            var merged: Int
            var left: Int
            var right: Int
        }
        var candidates: [Candidate] = []
        for (id, token) in tokens.enumerated() where vocab[token] == id {
            let scalars = Array(token.unicodeScalars)
            guard scalars.count > 1 else { continue }
            for cut in 1..<scalars.count {
                let left = String(String.UnicodeScalarView(scalars[..<cut]))
                let right = String(String.UnicodeScalarView(scalars[cut...]))
                if let leftID = vocab[left], let rightID = vocab[right] {
                    candidates.append(Candidate(score: scores[id], merged: id, left: leftID, right: rightID))
                }
            }
        }
        candidates.sort {
            if $0.score != $1.score { return $0.score > $1.score }
            if $0.merged != $1.merged { return $0.merged < $1.merged }
            if $0.left != $1.left { return $0.left < $1.left }
            return $0.right < $1.right
        }
        return candidates.map { (tokens[$0.left], tokens[$0.right]) }
    }
}
