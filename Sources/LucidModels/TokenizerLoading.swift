import Foundation
import LucidTensor
import LucidText

extension GGUFTokenizerMetadata {
    /// The tokenizer metadata (`tokenizer.ggml.*`, `tokenizer.chat_template`) of a GGUF file.
    public init(file: GGUFFile) throws {
        let m = file.metadata
        guard let model = m["tokenizer.ggml.model"]?.string else {
            throw ModelLoadError.badConfig(path: file.path, reason: "metadata 'tokenizer.ggml.model' is missing: the file has no tokenizer")
        }
        guard let tokens = m["tokenizer.ggml.tokens"]?.stringArray else {
            throw ModelLoadError.badConfig(path: file.path, reason: "metadata 'tokenizer.ggml.tokens' is missing or not a string array")
        }
        let types = m["tokenizer.ggml.token_type"]?.array?.compactMap { $0.int.map(Int32.init) }
        let scores = m["tokenizer.ggml.scores"]?.array?.compactMap { $0.double.map(Float.init) }
        self.init(model: model, preTokenizer: m["tokenizer.ggml.pre"]?.string, tokens: tokens, tokenTypes: types,
                  scores: scores, merges: m["tokenizer.ggml.merges"]?.stringArray,
                  bosTokenID: m["tokenizer.ggml.bos_token_id"]?.int, eosTokenID: m["tokenizer.ggml.eos_token_id"]?.int,
                  paddingTokenID: m["tokenizer.ggml.padding_token_id"]?.int, unknownTokenID: m["tokenizer.ggml.unknown_token_id"]?.int,
                  addBOSToken: m["tokenizer.ggml.add_bos_token"]?.bool, addEOSToken: m["tokenizer.ggml.add_eos_token"]?.bool,
                  addSpacePrefix: m["tokenizer.ggml.add_space_prefix"]?.bool, chatTemplate: m["tokenizer.chat_template"]?.string)
    }
}

extension Tokenizer {
    /// The tokenizer of a model: from a GGUF's metadata, or a Hugging Face directory's
    /// `tokenizer.json` (+ `tokenizer_config.json`).
    public static func load(modelPath path: String) throws -> Tokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ModelLoadError.notFound(path: path) }
        if isDirectory.boolValue {
            guard FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("tokenizer.json")) else {
                throw ModelLoadError.unknownFormat(path: path, reason: "no tokenizer.json (pass --input-ids to bypass the tokenizer)")
            }
            return try Tokenizer(directory: URL(fileURLWithPath: path))
        }
        return try Tokenizer(gguf: GGUFTokenizerMetadata(file: GGUFFile(path: path)))
    }
}
