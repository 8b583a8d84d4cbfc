import Foundation
import LucidFiles

extension Tokenizer {
    /// Loads a Hugging Face `tokenizer.json`, optionally with its `tokenizer_config.json`.
    ///
    /// The config supplies `bos_token` / `eos_token` / `pad_token` / `unk_token`,
    /// `chat_template`, and `add_bos_token` / `add_eos_token`, which (as in transformers'
    /// Llama tokenizers) override whether `encode(_:addSpecialTokens: true)` adds BOS/EOS.
    /// Without a config, BOS/EOS come from the post-processor template, else from the
    /// conventional `<s>` / `</s>` / `<|endoftext|>` tokens.
    ///
    /// - Throws: `TokenizerError` for malformed JSON, missing fields, merges that name
    ///   unknown tokens, or component types LucidText does not implement.
    public convenience init(tokenizerJSON: Data, tokenizerConfigJSON: Data? = nil) throws {
        let root = try JSONFields.object(from: tokenizerJSON, source: "tokenizer.json")
        let config = try tokenizerConfigJSON.map { try JSONFields.object(from: $0, source: "tokenizer_config.json") }
        try self.init(Self.components(root: root, config: config))
    }

    /// Loads `tokenizer.json` (required) and `tokenizer_config.json` (if present) from a model directory.
    ///
    /// The chat template comes, as transformers reads it, from `chat_template.jinja` (where
    /// `save_pretrained` writes it since transformers 4.51), else `tokenizer_config.json`'s
    /// `chat_template`, else the processor's `chat_template.json` (the `llava-hf` repositories keep the
    /// image-aware template there).
    public convenience init(directory: URL) throws {
        let main = directory.appendingPathComponent("tokenizer.json")
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        let data: Data
        do {
            data = Data(try SafeFile.read(main.path))
        } catch {
            throw TokenizerError.unreadableFile(path: main.path, reason: error.problem)
        }
        var config: Data?
        if FileManager.default.fileExists(atPath: configURL.path) {
            do {
                config = Data(try SafeFile.read(configURL.path))
            } catch {
                throw TokenizerError.unreadableFile(path: configURL.path, reason: error.problem)
            }
        }
        let root = try JSONFields.object(from: data, source: "tokenizer.json")
        var settings = try config.map { try JSONFields.object(from: $0, source: "tokenizer_config.json") }
        if let template = try Self.chatTemplateFile(in: directory, configured: settings?["chat_template"] != nil) {
            var object = settings ?? JSONObject()
            object["chat_template"] = template
            settings = object
        }
        try self.init(Self.components(root: root, config: settings))
    }

    /// The chat template of `chat_template.jinja`, or, when the tokenizer config has none
    /// (`configured` false), the `chat_template` string of `chat_template.json`; nil without either.
    static func chatTemplateFile(in directory: URL, configured: Bool) throws -> String? {
        let jinja = directory.appendingPathComponent("chat_template.jinja")
        if FileManager.default.fileExists(atPath: jinja.path) {
            do { return try SafeFile.readText(jinja.path, maxBytes: 1 << 20) } catch {
                throw TokenizerError.unreadableFile(path: jinja.path, reason: error.problem)
            }
        }
        let json = directory.appendingPathComponent("chat_template.json")
        guard !configured, FileManager.default.fileExists(atPath: json.path) else { return nil }
        let bytes: [UInt8]
        do { bytes = try SafeFile.read(json.path, maxBytes: 1 << 20) } catch {
            throw TokenizerError.unreadableFile(path: json.path, reason: error.problem)
        }
        let object = try JSONFields.object(from: Data(bytes), source: "chat_template.json")
        guard let template = object["chat_template"] as? String else { throw TokenizerError.missingField("chat_template.json: chat_template") }
        return template
    }

    private static func components(root: JSONObject, config: JSONObject?) throws -> Components {
        guard let modelJSON = try JSONFields.object(root, "model", path: "tokenizer") else {
            throw TokenizerError.missingField("model")
        }
        let modelType = try JSONFields.string(modelJSON, "type", path: "model") ?? "BPE"
        guard modelType == "BPE" || modelType == "WordPiece" else { throw TokenizerError.unsupportedComponent(kind: "model", type: modelType) }
        let vocab = try vocabulary(modelJSON)

        let normalizer = Normalizer(steps: try HFComponentParser.normalizer(
            try JSONFields.object(root, "normalizer", path: "tokenizer")))
        let preSteps = try HFComponentParser.preTokenizer(try JSONFields.object(root, "pre_tokenizer", path: "tokenizer"))
        if let index = preSteps.firstIndex(where: { if case .byteLevel = $0 { return true } else { return false } }),
           index != preSteps.count - 1 {
            throw TokenizerError.unsupportedComponent(kind: "pre_tokenizer", type: "steps after ByteLevel")
        }
        let byteLevel = preSteps.contains { if case .byteLevel = $0 { return true } else { return false } }
        let decoder = DecoderPipeline(steps: try HFComponentParser.decoder(
            try JSONFields.object(root, "decoder", path: "tokenizer")))

        let unknownToken = try JSONFields.string(modelJSON, "unk_token", path: "model")
        let model: SubwordModel
        if modelType == "WordPiece" {
            let maxChars = try JSONFields.int(modelJSON, "max_input_chars_per_word", path: "model") ?? 100
            model = .wordPiece(try WordPieceModel(
                vocab: vocab, unknownToken: unknownToken ?? "[UNK]",
                continuingPrefix: try JSONFields.string(modelJSON, "continuing_subword_prefix", path: "model") ?? "##",
                maxInputCharsPerWord: maxChars))
        } else {
            for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
                if let value = try JSONFields.string(modelJSON, key, path: "model"), !value.isEmpty {
                    throw TokenizerError.unsupportedComponent(kind: "BPE option", type: "\(key)=\(value)")
                }
            }
            if let dropout = modelJSON["dropout"] as? Double, dropout > 0 {
                throw TokenizerError.unsupportedComponent(kind: "BPE option", type: "dropout=\(dropout)")
            }
            model = .bpe(try BPEModel(
                vocab: vocab, merges: try mergeList(modelJSON), byteLevel: byteLevel,
                byteFallback: try JSONFields.bool(modelJSON, "byte_fallback", path: "model", default: false),
                unknownToken: unknownToken,
                fuseUnknown: try JSONFields.bool(modelJSON, "fuse_unk", path: "model", default: false),
                ignoreMerges: try JSONFields.bool(modelJSON, "ignore_merges", path: "model", default: false)))
        }

        let added = try addedTokens(try JSONFields.array(root, "added_tokens", path: "tokenizer") ?? [])
        var lookup = vocab
        for token in added { lookup[token.content] = token.id }
        var (prefix, suffix) = try HFComponentParser.postProcessor(
            try JSONFields.object(root, "post_processor", path: "tokenizer"), vocabulary: { lookup[$0] })

        let settings = try config.map(ConfigSettings.init) ?? ConfigSettings()
        func resolve(_ name: String?, field: String) throws -> Int? {
            guard let name else { return nil }
            guard let id = lookup[name] else {
                throw TokenizerError.invalidField(field: "tokenizer_config.\(field)", reason: "'\(name)' is not a token")
            }
            return id
        }
        let bos = try resolve(settings.bos, field: "bos_token") ?? prefix.first ?? lookup["<s>"]
        let eos = try resolve(settings.eos, field: "eos_token") ?? suffix.last ?? lookup["</s>"] ?? lookup["<|endoftext|>"]
        if let bos, let add = settings.addBOS {
            prefix.removeAll { $0 == bos }
            if add { prefix.insert(bos, at: 0) }
        }
        if let eos, let add = settings.addEOS {
            suffix.removeAll { $0 == eos }
            if add { suffix.append(eos) }
        }
        return Components(
            model: model, vocab: vocab, normalizer: normalizer, preTokenizer: PreTokenizer(steps: preSteps),
            decoder: decoder, addedTokens: added, prefixIDs: prefix, suffixIDs: suffix,
            bosID: bos, eosID: eos, padID: try resolve(settings.pad, field: "pad_token"),
            unknownID: try resolve(settings.unk, field: "unk_token") ?? unknownToken.flatMap { lookup[$0] },
            chatTemplate: settings.chatTemplate)
    }

    private static func vocabulary(_ model: JSONObject) throws -> [String: Int] {
        guard let raw = try JSONFields.object(model, "vocab", path: "model") else {
            throw TokenizerError.missingField("model.vocab")
        }
        guard !raw.isEmpty else { throw TokenizerError.emptyVocabulary }
        var vocab: [String: Int] = [:]
        vocab.reserveCapacity(raw.count)
        for (token, value) in raw {
            guard let id = value as? Int, id >= 0 else {
                throw TokenizerError.invalidField(field: "model.vocab", reason: "token '\(token)' has no valid id")
            }
            vocab[token] = id
        }
        return vocab
    }

    private static func mergeList(_ model: JSONObject) throws -> [(String, String)] {
        let raw = try JSONFields.array(model, "merges", path: "model") ?? []
        return try raw.enumerated().map { index, item in
            if let line = item as? String { return try splitMerge(line, index: index) }
            if let pair = item as? [String], pair.count == 2 { return (pair[0], pair[1]) }
            throw TokenizerError.malformedMerge(index: index, merge: String(describing: item))
        }
    }

    /// Splits a "left right" merge rule (exactly one separating space, like Hugging Face).
    static func splitMerge(_ line: String, index: Int) throws -> (String, String) {
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw TokenizerError.malformedMerge(index: index, merge: line)
        }
        return (String(parts[0]), String(parts[1]))
    }

    private static func addedTokens(_ items: [Any]) throws -> [AddedToken] {
        try items.enumerated().map { index, item in
            let path = "added_tokens[\(index)]"
            guard let json = item as? JSONObject else { throw TokenizerError.missingField(path) }
            guard let id = try JSONFields.int(json, "id", path: path), id >= 0 else {
                throw TokenizerError.missingField(path + ".id")
            }
            let special = try JSONFields.bool(json, "special", path: path, default: false)
            return AddedToken(
                id: id, content: try JSONFields.requiredString(json, "content", path: path), special: special,
                singleWord: try JSONFields.bool(json, "single_word", path: path, default: false),
                lstrip: try JSONFields.bool(json, "lstrip", path: path, default: false),
                rstrip: try JSONFields.bool(json, "rstrip", path: path, default: false),
                normalized: try JSONFields.bool(json, "normalized", path: path, default: !special))
        }
    }
}

/// The parts of `tokenizer_config.json` LucidText uses.
private struct ConfigSettings {
    var bos: String?
    var eos: String?
    var pad: String?
    var unk: String?
    var addBOS: Bool?
    var addEOS: Bool?
    var chatTemplate: String?

    init() {}

    init(_ json: JSONObject) throws {
        func tokenName(_ key: String) throws -> String? {
            guard let value = json[key], !(value is NSNull) else { return nil }
            if let name = value as? String { return name }
            if let object = value as? JSONObject, let name = object["content"] as? String { return name }
            throw TokenizerError.missingField("tokenizer_config.\(key)")
        }
        bos = try tokenName("bos_token")
        eos = try tokenName("eos_token")
        pad = try tokenName("pad_token")
        unk = try tokenName("unk_token")
        addBOS = try JSONFields.optionalBool(json, "add_bos_token", path: "tokenizer_config")
        addEOS = try JSONFields.optionalBool(json, "add_eos_token", path: "tokenizer_config")
        if let template = json["chat_template"] as? String {
            chatTemplate = template
        } else if let named = json["chat_template"] as? [JSONObject] {
            let chosen = named.first { $0["name"] as? String == "default" } ?? named.first
            chatTemplate = chosen?["template"] as? String
        }
    }
}
