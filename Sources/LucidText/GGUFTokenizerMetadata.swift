/// The tokenizer keys of a GGUF file, as plain values, for `Tokenizer(gguf:)`.
///
/// Fill it from any GGUF reader: each property names the key it comes from. Only
/// `model` and `tokens` are required; `merges` is required for "gpt2" models, and
/// "llama" models need either `merges` or `scores` (merges are then derived from the
/// scores the way Hugging Face converts SentencePiece models).
public struct GGUFTokenizerMetadata: Sendable, Equatable {
    /// `tokenizer.ggml.model`: "gpt2" (byte-level BPE) or "llama" (SentencePiece BPE).
    public var model: String
    /// `tokenizer.ggml.pre`: pre-tokenizer name for "gpt2" models ("smollm", "llama-bpe", "qwen2", "gpt2", "default"…).
    public var preTokenizer: String?
    /// `tokenizer.ggml.tokens`: token spellings, indexed by id.
    public var tokens: [String]
    /// `tokenizer.ggml.token_type`: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
    public var tokenTypes: [Int32]?
    /// `tokenizer.ggml.scores`: SentencePiece piece scores ("llama" models).
    public var scores: [Float]?
    /// `tokenizer.ggml.merges`: "left right" merge rules, best first.
    public var merges: [String]?
    /// `tokenizer.ggml.bos_token_id`.
    public var bosTokenID: Int?
    /// `tokenizer.ggml.eos_token_id`.
    public var eosTokenID: Int?
    /// `tokenizer.ggml.padding_token_id`.
    public var paddingTokenID: Int?
    /// `tokenizer.ggml.unknown_token_id`.
    public var unknownTokenID: Int?
    /// `tokenizer.ggml.add_bos_token` (default: true for "llama", false for "gpt2").
    public var addBOSToken: Bool?
    /// `tokenizer.ggml.add_eos_token` (default: false).
    public var addEOSToken: Bool?
    /// `tokenizer.ggml.add_space_prefix` ("llama" models; default: true).
    public var addSpacePrefix: Bool?
    /// `tokenizer.chat_template`: the model's Jinja chat template.
    public var chatTemplate: String?

    /// The `tokenizer.ggml.pre` values `Tokenizer(gguf:)` implements.
    public static let knownPreTokenizers = ["default", "gpt2", "gpt-2", "smollm", "starcoder", "refact",
                                            "llama-bpe", "llama3", "llama-v3", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2",
                                            "dbrx", "smaug-bpe", "qwen2", "deepseek-r1-qwen", "kormo", "tekken"]

    /// Creates metadata; everything but `model` and `tokens` is optional.
    public init(model: String, preTokenizer: String? = nil, tokens: [String], tokenTypes: [Int32]? = nil,
                scores: [Float]? = nil, merges: [String]? = nil, bosTokenID: Int? = nil,
                eosTokenID: Int? = nil, paddingTokenID: Int? = nil, unknownTokenID: Int? = nil,
                addBOSToken: Bool? = nil, addEOSToken: Bool? = nil, addSpacePrefix: Bool? = nil,
                chatTemplate: String? = nil) {
        self.model = model
        self.preTokenizer = preTokenizer
        self.tokens = tokens
        self.tokenTypes = tokenTypes
        self.scores = scores
        self.merges = merges
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.paddingTokenID = paddingTokenID
        self.unknownTokenID = unknownTokenID
        self.addBOSToken = addBOSToken
        self.addEOSToken = addEOSToken
        self.addSpacePrefix = addSpacePrefix
        self.chatTemplate = chatTemplate
    }
}
