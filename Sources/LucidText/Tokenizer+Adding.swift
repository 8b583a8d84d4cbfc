import Foundation

extension Tokenizer {
    /// A copy of this tokenizer with more added tokens and, optionally, another chat template.
    ///
    /// Used to give a language model a vision placeholder (`<image>` after the vocabulary) the
    /// way LLaVA processors do, without rewriting the tokenizer file. Tokens already present
    /// keep their id; a new token whose id is taken throws `TokenizerError.invalidField`.
    public func adding(_ tokens: [AddedToken], chatTemplate: String? = nil) throws -> Tokenizer {
        var added = addedTokens
        for token in tokens {
            if let existing = id(for: token.content) {
                guard existing == token.id else {
                    throw TokenizerError.invalidField(field: "added_tokens",
                                                      reason: "'\(token.content)' already has id \(existing), not \(token.id)")
                }
                continue
            }
            if self.token(for: token.id) != nil {
                throw TokenizerError.invalidField(field: "added_tokens", reason: "id \(token.id) of '\(token.content)' is taken")
            }
            added.append(token)
        }
        return try Tokenizer(Components(model: model, vocab: modelVocab, normalizer: normalizer, preTokenizer: preTokenizer,
                                        decoder: decoder, addedTokens: added, prefixIDs: prefixIDs, suffixIDs: suffixIDs,
                                        bosID: bosID, eosID: eosID, padID: padID, unknownID: unknownID,
                                        chatTemplate: chatTemplate ?? self.chatTemplate))
    }
}
