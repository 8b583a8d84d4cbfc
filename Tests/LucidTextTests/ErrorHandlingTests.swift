import Foundation
import LucidText
import Testing

@Suite("Bad input gives typed errors")
struct ErrorHandlingTests {
    static func json(_ object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: object)
    }

    static var validModel: [String: Any] { [
        "type": "BPE", "vocab": ["a": 0, "b": 1, "ab": 2], "merges": ["a b"],
    ] }

    @Test("malformed JSON is reported as such")
    func malformedJSON() {
        #expect {
            try Tokenizer(tokenizerJSON: Data("{not json".utf8))
        } throws: { error in
            guard case .malformedJSON(source: "tokenizer.json", _)? = error as? TokenizerError else { return false }
            return true
        }
        #expect {
            try Tokenizer(tokenizerJSON: Data("[1, 2]".utf8))
        } throws: { error in
            guard case .malformedJSON? = error as? TokenizerError else { return false }
            return true
        }
    }

    @Test("a tokenizer.json without a model or vocabulary is rejected")
    func missingModelAndVocabulary() throws {
        #expect(throws: TokenizerError.missingField("model")) {
            try Tokenizer(tokenizerJSON: Self.json(["version": "1.0"]))
        }
        #expect(throws: TokenizerError.missingField("model.vocab")) {
            try Tokenizer(tokenizerJSON: Self.json(["model": ["type": "BPE", "merges": []]]))
        }
        #expect(throws: TokenizerError.emptyVocabulary) {
            try Tokenizer(tokenizerJSON: Self.json(["model": ["type": "BPE", "vocab": [String: Int](), "merges": []]]))
        }
    }

    @Test("merges naming unknown tokens are rejected with the token's name")
    func mergeWithUnknownToken() throws {
        var model = Self.validModel
        model["merges"] = ["a b", "b c"]
        #expect(throws: TokenizerError.mergeReferencesUnknownToken(index: 1, token: "c")) {
            try Tokenizer(tokenizerJSON: Self.json(["model": model]))
        }
        model["merges"] = ["a  b"]
        #expect(throws: TokenizerError.malformedMerge(index: 0, merge: "a  b")) {
            try Tokenizer(tokenizerJSON: Self.json(["model": model]))
        }
    }

    @Test("unsupported component types are named, not ignored")
    func unsupportedComponents() throws {
        #expect(throws: TokenizerError.unsupportedComponent(kind: "pre_tokenizer", type: "Whitespace")) {
            try Tokenizer(tokenizerJSON: Self.json(["model": Self.validModel, "pre_tokenizer": ["type": "Whitespace"]]))
        }
        #expect(throws: TokenizerError.unsupportedComponent(kind: "model", type: "Unigram")) {
            try Tokenizer(tokenizerJSON: Self.json(["model": ["type": "Unigram", "vocab": []]]))
        }
        let split: [String: Any] = ["type": "Split", "pattern": ["Regex": "\\w+"], "behavior": "Isolated", "invert": false]
        #expect(throws: TokenizerError.unsupportedComponent(kind: "Split regex", type: "\\w+")) {
            try Tokenizer(tokenizerJSON: Self.json(["model": Self.validModel, "pre_tokenizer": split]))
        }
    }

    @Test("decoding an id outside the vocabulary throws instead of crashing")
    func decodeOutOfRange() throws {
        let tokenizer = try Tokenizer(tokenizerJSON: Self.json(["model": Self.validModel]))
        #expect(tokenizer.vocabularySize == 3)
        #expect(throws: TokenizerError.tokenIDOutOfRange(id: 3, vocabularySize: 3)) { try tokenizer.decode([0, 3]) }
        #expect(throws: TokenizerError.tokenIDOutOfRange(id: -1, vocabularySize: 3)) { try tokenizer.decode([-1]) }
        var stream = tokenizer.streamingDecoder()
        #expect(throws: TokenizerError.tokenIDOutOfRange(id: 99, vocabularySize: 3)) { try stream.push(99) }
        #expect(tokenizer.token(for: 99) == nil)
        #expect(tokenizer.encode("abba", addSpecialTokens: false) == [2, 1, 0])
    }

    @Test("GGUF metadata problems are reported with the offending key")
    func ggufErrors() throws {
        let tokens = ["a", "b", "ab"]
        #expect(throws: TokenizerError.emptyVocabulary) {
            try Tokenizer(gguf: GGUFTokenizerMetadata(model: "gpt2", tokens: [], merges: []))
        }
        #expect(throws: TokenizerError.unsupportedModel("bert")) {
            try Tokenizer(gguf: GGUFTokenizerMetadata(model: "bert", tokens: tokens))
        }
        #expect(throws: TokenizerError.missingField("tokenizer.ggml.merges")) {
            try Tokenizer(gguf: GGUFTokenizerMetadata(model: "gpt2", tokens: tokens))
        }
        #expect(throws: TokenizerError.mergeReferencesUnknownToken(index: 0, token: "c")) {
            try Tokenizer(gguf: GGUFTokenizerMetadata(model: "gpt2", tokens: tokens, merges: ["a c"]))
        }
        #expect(throws: TokenizerError.arrayLengthMismatch(field: "tokenizer.ggml.token_type", expected: 3, actual: 2)) {
            try Tokenizer(gguf: GGUFTokenizerMetadata(model: "gpt2", tokens: tokens, tokenTypes: [1, 1], merges: []))
        }
        #expect(throws: TokenizerError.unsupportedPreTokenizer(name: "mystery", known: GGUFTokenizerMetadata.knownPreTokenizers)) {
            try Tokenizer(gguf: GGUFTokenizerMetadata(model: "gpt2", preTokenizer: "mystery", tokens: tokens, merges: []))
        }
        #expect(throws: TokenizerError.missingField("tokenizer.ggml.scores")) {
            try Tokenizer(gguf: GGUFTokenizerMetadata(model: "llama", tokens: tokens))
        }
        #expect {
            try Tokenizer(gguf: GGUFTokenizerMetadata(model: "gpt2", tokens: tokens, merges: [], bosTokenID: 7))
        } throws: { error in
            guard case .invalidField(let field, _)? = error as? TokenizerError else { return false }
            return field == "tokenizer.ggml.bos_token_id"
        }
    }

    @Test("error descriptions name what went wrong")
    func descriptionsAreSpecific() {
        #expect(TokenizerError.mergeReferencesUnknownToken(index: 4, token: "Ġzz").description.contains("'Ġzz'"))
        #expect(TokenizerError.tokenIDOutOfRange(id: 9, vocabularySize: 3).description.contains("0..<3"))
        #expect(TokenizerError.unsupportedPreTokenizer(name: "x", known: ["gpt2"]).description.contains("known: gpt2"))
    }
}
