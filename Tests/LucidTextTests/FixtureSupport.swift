import Foundation
import LucidText
import Testing

/// One line of a `*_golden.jsonl` fixture written by scripts/make_tokenizer_fixtures.py.
struct Golden: Decodable, Sendable {
    let text: String
    /// `encode(text, add_special_tokens=True).ids` from Hugging Face `tokenizers`.
    let ids: [Int]
    /// `encode(text, add_special_tokens=False).ids`.
    let ids_plain: [Int]
    /// `decode(ids, skip_special_tokens=False)`.
    let decoded: String
    /// `decode(ids, skip_special_tokens=True)`.
    let decoded_skip: String
}

/// Access to the files under Tests/LucidTextTests/Fixtures.
enum Fixtures {
    struct Missing: Error, CustomStringConvertible {
        let name: String
        var description: String { "fixture \(name) is missing from the test bundle" }
    }

    static func url(_ name: String) throws -> URL {
        guard let base = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw Missing(name: "Fixtures/")
        }
        let url = base.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else { throw Missing(name: name) }
        return url
    }

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: url(name))
    }

    static func goldens(_ name: String) throws -> [Golden] {
        let text = String(decoding: try data(name), as: UTF8.self)
        let decoder = JSONDecoder()
        return try text.split(separator: "\n").map { line in
            try decoder.decode(Golden.self, from: Data(line.utf8))
        }
    }

    static func tokenizer(_ name: String) throws -> Tokenizer {
        try Tokenizer(tokenizerJSON: data(name))
    }

    /// GGUF tokenizer metadata carrying `fixture`'s vocabulary, merges and added tokens (as control tokens), with
    /// `tokenizer.ggml.pre` `pre` and `<s>` or `<|begin_of_text|>` as BOS where `addBOS`.
    static func bpeGGUFMetadata(of fixture: String, pre: String, addBOS: Bool) throws -> GGUFTokenizerMetadata {
        let json = try JSONSerialization.jsonObject(with: Fixtures.data("\(fixture)_tokenizer.json")) as? [String: Any]
        let model = try #require(json?["model"] as? [String: Any])
        let vocab = try #require(model["vocab"] as? [String: Int])
        // tokenizers 0.19 writes a merge as "a b", later versions as ["a", "b"].
        let merges = try #require((model["merges"] as? [String]) ?? (model["merges"] as? [[String]])?.map { $0.joined(separator: " ") })
        let added = try #require(json?["added_tokens"] as? [[String: Any]])
        var tokens = [String](repeating: "", count: vocab.count + added.count)
        var types = [Int32](repeating: 1, count: tokens.count)
        for (piece, id) in vocab { tokens[id] = piece }
        for token in added {
            let id = try #require(token["id"] as? Int)
            tokens[id] = try #require(token["content"] as? String)
            types[id] = 3
        }
        let bos = tokens.firstIndex(of: "<s>") ?? tokens.firstIndex(of: "<|begin_of_text|>")
        return GGUFTokenizerMetadata(model: "gpt2", preTokenizer: pre, tokens: tokens, tokenTypes: types, merges: merges,
                                     bosTokenID: bos, addBOSToken: addBOS)
    }

    /// The tiny Llama-style SentencePiece model as GGUF metadata ("llama" model, scores, no merges).
    static func spmGGUFMetadata() throws -> GGUFTokenizerMetadata {
        struct Raw: Decodable {
            let tokens: [String]
            let scores: [Float]
            let types: [Int32]
            let bos: Int
            let eos: Int
            let unk: Int
            let addBOS: Bool
            enum CodingKeys: String, CodingKey {
                case tokens = "tokenizer.ggml.tokens", scores = "tokenizer.ggml.scores"
                case types = "tokenizer.ggml.token_type", bos = "tokenizer.ggml.bos_token_id"
                case eos = "tokenizer.ggml.eos_token_id", unk = "tokenizer.ggml.unknown_token_id"
                case addBOS = "tokenizer.ggml.add_bos_token"
            }
        }
        let raw = try JSONDecoder().decode(Raw.self, from: data("spm_gguf_metadata.json"))
        return GGUFTokenizerMetadata(model: "llama", tokens: raw.tokens, tokenTypes: raw.types, scores: raw.scores,
                                     bosTokenID: raw.bos, eosTokenID: raw.eos, unknownTokenID: raw.unk,
                                     addBOSToken: raw.addBOS)
    }
}

/// Feeds ids one at a time and returns every chunk plus the final flush.
func streamChunks(_ tokenizer: Tokenizer, _ ids: [Int], skipSpecialTokens: Bool) throws -> [String] {
    var stream = tokenizer.streamingDecoder(skipSpecialTokens: skipSpecialTokens)
    var chunks = try ids.map { try stream.push($0) }
    chunks.append(stream.finish())
    return chunks
}
