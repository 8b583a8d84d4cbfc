/// Everything that can go wrong while loading a tokenizer or decoding ids.
///
/// Loaders never crash on bad input: every malformed file, inconsistent array or
/// unsupported component surfaces as one of these cases, with a message that names
/// the offending field or value.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The data is not valid JSON, or its top level is not an object.
    case malformedJSON(source: String, reason: String)
    /// A required field is absent or has the wrong JSON type.
    case missingField(String)
    /// A field is present but its value cannot be used.
    case invalidField(field: String, reason: String)
    /// The vocabulary has no tokens.
    case emptyVocabulary
    /// A merge rule is not of the form "left right".
    case malformedMerge(index: Int, merge: String)
    /// A merge rule names a token (or produces one) that is not in the vocabulary.
    case mergeReferencesUnknownToken(index: Int, token: String)
    /// Two parallel arrays (tokens, scores, token types) disagree in length.
    case arrayLengthMismatch(field: String, expected: Int, actual: Int)
    /// A token id in the input is outside the vocabulary.
    case tokenIDOutOfRange(id: Int, vocabularySize: Int)
    /// A model, normalizer, pre-tokenizer, post-processor or decoder type that LucidText does not implement.
    case unsupportedComponent(kind: String, type: String)
    /// A GGUF `tokenizer.ggml.model` value other than "gpt2" or "llama".
    case unsupportedModel(String)
    /// A GGUF `tokenizer.ggml.pre` value LucidText has no split rules for.
    case unsupportedPreTokenizer(name: String, known: [String])
    /// A file could not be read.
    case unreadableFile(path: String, reason: String)

    public var description: String {
        switch self {
        case let .malformedJSON(source, reason):
            return "\(source) is not valid tokenizer JSON: \(reason)"
        case let .missingField(field):
            return "required field '\(field)' is missing or has the wrong type"
        case let .invalidField(field, reason):
            return "field '\(field)' is invalid: \(reason)"
        case .emptyVocabulary:
            return "the tokenizer vocabulary is empty"
        case let .malformedMerge(index, merge):
            return "merge #\(index) '\(merge)' is not two tokens separated by one space"
        case let .mergeReferencesUnknownToken(index, token):
            return "merge #\(index) refers to token '\(token)', which is not in the vocabulary"
        case let .arrayLengthMismatch(field, expected, actual):
            return "'\(field)' has \(actual) entries but the vocabulary has \(expected)"
        case let .tokenIDOutOfRange(id, size):
            return "token id \(id) is outside the vocabulary (0..<\(size))"
        case let .unsupportedComponent(kind, type):
            return "unsupported \(kind) type '\(type)'"
        case let .unsupportedModel(model):
            return "unsupported tokenizer model '\(model)' (expected 'gpt2' or 'llama')"
        case let .unsupportedPreTokenizer(name, known):
            return "unsupported pre-tokenizer '\(name)'; known: \(known.joined(separator: ", "))"
        case let .unreadableFile(path, reason):
            return "cannot read \(path): \(reason)"
        }
    }
}
