/// Reads the pipeline sections of a Hugging Face `tokenizer.json`.
///
/// Supports the component types that byte-level and SentencePiece BPE tokenizers
/// ship with; anything else is reported as `TokenizerError.unsupportedComponent`
/// rather than silently ignored.
enum HFComponentParser {
    static func normalizer(_ json: JSONObject?, path: String = "normalizer") throws -> [Normalizer.Step] {
        guard let json else { return [] }
        let type = try JSONFields.requiredString(json, "type", path: path)
        switch type {
        case "Sequence":
            let items = try JSONFields.array(json, "normalizers", path: path) ?? []
            return try items.enumerated().flatMap { index, item in
                try normalizer(item as? JSONObject, path: "\(path).normalizers[\(index)]")
            }
        case "Prepend":
            return [.prepend(try JSONFields.requiredString(json, "prepend", path: path))]
        case "Replace":
            let (pattern, content) = try replacement(json, path: path)
            return [.replace(pattern: pattern, content: content)]
        case "NFC": return [.nfc]
        case "NFD": return [.nfd]
        case "NFKC": return [.nfkc]
        case "NFKD": return [.nfkd]
        case "Lowercase": return [.lowercase]
        case "BertNormalizer":
            let lowercase = try JSONFields.bool(json, "lowercase", path: path, default: true)
            return [.bert(cleanText: try JSONFields.bool(json, "clean_text", path: path, default: true),
                          handleChineseChars: try JSONFields.bool(json, "handle_chinese_chars", path: path, default: true),
                          stripAccents: try JSONFields.optionalBool(json, "strip_accents", path: path) ?? lowercase,
                          lowercase: lowercase)]
        case "Strip":
            return [.strip(left: try JSONFields.bool(json, "strip_left", path: path, default: true),
                           right: try JSONFields.bool(json, "strip_right", path: path, default: true))]
        default:
            throw TokenizerError.unsupportedComponent(kind: "normalizer", type: type)
        }
    }

    static func preTokenizer(_ json: JSONObject?, path: String = "pre_tokenizer") throws -> [PreTokenizer.Step] {
        guard let json else { return [] }
        let type = try JSONFields.requiredString(json, "type", path: path)
        switch type {
        case "Sequence":
            let items = try JSONFields.array(json, "pretokenizers", path: path) ?? []
            return try items.enumerated().flatMap { index, item in
                try preTokenizer(item as? JSONObject, path: "\(path).pretokenizers[\(index)]")
            }
        case "ByteLevel":
            return [.byteLevel(addPrefixSpace: try JSONFields.bool(json, "add_prefix_space", path: path, default: true),
                               useRegex: try JSONFields.bool(json, "use_regex", path: path, default: true))]
        case "BertPreTokenizer":
            return [.bert]
        case "Digits":
            return [.digits(individual: try JSONFields.bool(json, "individual_digits", path: path, default: false))]
        case "Split":
            guard let pattern = try JSONFields.object(json, "pattern", path: path),
                  let source = try JSONFields.string(pattern, "Regex", path: path + ".pattern") else {
                throw TokenizerError.unsupportedComponent(kind: "Split pattern", type: "non-regex")
            }
            guard let split = SplitPattern(regexSource: source) else {
                throw TokenizerError.unsupportedComponent(kind: "Split regex", type: source)
            }
            let behavior = try JSONFields.string(json, "behavior", path: path) ?? "Isolated"
            guard behavior == "Isolated", try !JSONFields.bool(json, "invert", path: path, default: false) else {
                throw TokenizerError.unsupportedComponent(kind: "Split behavior", type: behavior)
            }
            return [.split(split)]
        case "Metaspace":
            let replacement = try JSONFields.scalar(json, "replacement", path: path, default: "▁")
            return [.metaspace(replacement: replacement, prependScheme: try prependScheme(json, path: path),
                               split: try JSONFields.bool(json, "split", path: path, default: true))]
        default:
            throw TokenizerError.unsupportedComponent(kind: "pre_tokenizer", type: type)
        }
    }

    static func decoder(_ json: JSONObject?, path: String = "decoder") throws -> [DecoderPipeline.Step] {
        guard let json else { return [] }
        let type = try JSONFields.requiredString(json, "type", path: path)
        switch type {
        case "Sequence":
            let items = try JSONFields.array(json, "decoders", path: path) ?? []
            return try items.enumerated().flatMap { index, item in
                try decoder(item as? JSONObject, path: "\(path).decoders[\(index)]")
            }
        case "ByteLevel": return [.byteLevel]
        case "ByteFallback": return [.byteFallback]
        case "Fuse": return [.fuse]
        case "Replace":
            let (pattern, content) = try replacement(json, path: path)
            return [.replace(pattern: pattern, content: content)]
        case "Strip":
            return [.strip(content: try JSONFields.scalar(json, "content", path: path, default: " "),
                           start: try JSONFields.int(json, "start", path: path) ?? 0,
                           stop: try JSONFields.int(json, "stop", path: path) ?? 0)]
        case "Metaspace":
            let replacement = try JSONFields.scalar(json, "replacement", path: path, default: "▁")
            return [.metaspace(replacement: replacement,
                               dropsInFirstToken: try prependScheme(json, path: path) != .never)]
        case "WordPiece":
            return [.wordPiece(prefix: try JSONFields.string(json, "prefix", path: path) ?? "##",
                               cleanup: try JSONFields.bool(json, "cleanup", path: path, default: true))]
        default:
            throw TokenizerError.unsupportedComponent(kind: "decoder", type: type)
        }
    }

    /// Special-token ids the post-processor adds before and after a single sequence.
    static func postProcessor(_ json: JSONObject?, vocabulary: (String) -> Int?,
                              path: String = "post_processor") throws -> (prefix: [Int], suffix: [Int]) {
        guard let json else { return ([], []) }
        let type = try JSONFields.requiredString(json, "type", path: path)
        switch type {
        case "ByteLevel":
            return ([], [])
        case "Sequence":
            var prefix: [Int] = []
            var suffix: [Int] = []
            for (index, item) in (try JSONFields.array(json, "processors", path: path) ?? []).enumerated() {
                let part = try postProcessor(item as? JSONObject, vocabulary: vocabulary,
                                             path: "\(path).processors[\(index)]")
                prefix = part.prefix + prefix  // later processors wrap earlier output
                suffix += part.suffix
            }
            return (prefix, suffix)
        case "TemplateProcessing":
            return try template(json, path: path)
        case "RobertaProcessing", "BertProcessing":
            func id(_ key: String) throws -> Int {
                guard let pair = try JSONFields.array(json, key, path: path), pair.count == 2,
                      let token = pair[0] as? String, let id = pair[1] as? Int else {
                    throw TokenizerError.missingField("\(path).\(key)")
                }
                return vocabulary(token) ?? id
            }
            return ([try id("cls")], [try id("sep")])
        default:
            throw TokenizerError.unsupportedComponent(kind: "post_processor", type: type)
        }
    }

    private static func template(_ json: JSONObject, path: String) throws -> (prefix: [Int], suffix: [Int]) {
        guard let single = try JSONFields.array(json, "single", path: path) else {
            throw TokenizerError.missingField(path + ".single")
        }
        let specials = try JSONFields.object(json, "special_tokens", path: path) ?? [:]
        var prefix: [Int] = []
        var suffix: [Int] = []
        var seenSequence = false
        for (index, piece) in single.enumerated() {
            let piecePath = "\(path).single[\(index)]"
            guard let piece = piece as? JSONObject else { throw TokenizerError.missingField(piecePath) }
            if piece["Sequence"] != nil {
                seenSequence = true
                continue
            }
            guard let special = try JSONFields.object(piece, "SpecialToken", path: piecePath) else {
                throw TokenizerError.missingField(piecePath + ".SpecialToken")
            }
            let name = try JSONFields.requiredString(special, "id", path: piecePath + ".SpecialToken")
            guard let entry = try JSONFields.object(specials, name, path: path + ".special_tokens"),
                  let ids = try JSONFields.array(entry, "ids", path: "\(path).special_tokens.\(name)") as? [Int] else {
                throw TokenizerError.missingField("\(path).special_tokens.\(name).ids")
            }
            if seenSequence { suffix += ids } else { prefix += ids }
        }
        return (prefix, suffix)
    }

    private static func replacement(_ json: JSONObject, path: String) throws -> ([Unicode.Scalar], [Unicode.Scalar]) {
        guard let pattern = try JSONFields.object(json, "pattern", path: path),
              let literal = try JSONFields.string(pattern, "String", path: path + ".pattern") else {
            throw TokenizerError.unsupportedComponent(kind: "Replace pattern", type: "Regex")
        }
        let content = try JSONFields.requiredString(json, "content", path: path)
        return (Array(literal.unicodeScalars), Array(content.unicodeScalars))
    }

    private static func prependScheme(_ json: JSONObject, path: String) throws -> PreTokenizer.PrependScheme {
        if let legacy = try JSONFields.optionalBool(json, "add_prefix_space", path: path), !legacy { return .never }
        switch try JSONFields.string(json, "prepend_scheme", path: path) ?? "always" {
        case "always": return .always
        case "first": return .first
        case "never": return .never
        case let other:
            throw TokenizerError.invalidField(field: path + ".prepend_scheme", reason: "unknown scheme '\(other)'")
        }
    }
}
