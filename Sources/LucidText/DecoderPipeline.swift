import Foundation

/// Turns token strings back into text (Hugging Face `decoder`), step by step.
///
/// Each step rewrites the list of token strings as Hugging Face's `decode_chain` does,
/// and the final list is concatenated. With no steps at all, tokens are joined with
/// single spaces (Hugging Face's behaviour when a tokenizer has no decoder).
struct DecoderPipeline: Sendable {
    /// One decoding step.
    enum Step: Sendable, Equatable {
        /// GPT-2 byte-level: tokens → bytes → one lossily decoded UTF-8 string.
        case byteLevel
        /// Literal replacement inside every token.
        case replace(pattern: [Unicode.Scalar], content: [Unicode.Scalar])
        /// Runs of `<0xNN>` tokens → their UTF-8 text, or one U+FFFD per byte if invalid.
        case byteFallback
        /// Concatenates all tokens into one.
        case fuse
        /// Removes up to `start` leading and `stop` trailing `content` scalars of every token.
        case strip(content: Unicode.Scalar, start: Int, stop: Int)
        /// Replacement scalar → space; in the first token it is dropped instead when
        /// `dropsInFirstToken` (prepend scheme other than `never`).
        case metaspace(replacement: Unicode.Scalar, dropsInFirstToken: Bool)
        /// WordPiece: every token but the first gets a leading space unless it starts with `prefix`,
        /// which is removed; `cleanup` then glues punctuation and English contractions back.
        case wordPiece(prefix: String, cleanup: Bool)
    }

    let steps: [Step]

    func decode(_ tokens: [String]) -> String {
        guard !steps.isEmpty else { return tokens.joined(separator: " ") }
        var tokens = tokens
        for step in steps {
            tokens = Self.apply(step, to: tokens)
        }
        return tokens.joined()
    }

    /// Applies a step that works token by token (everything but byte-level, byte fallback and fuse).
    static func applyPerToken(_ step: Step, to token: String, index: Int) -> String {
        switch step {
        case let .replace(pattern, content):
            return String(String.UnicodeScalarView(
                replaceScalars(Array(token.unicodeScalars), pattern: pattern, with: content)))
        case let .strip(content, start, stop):
            return strip(token, content: content, start: start, stop: stop)
        case let .metaspace(replacement, dropsInFirstToken):
            var view = String.UnicodeScalarView()
            for scalar in token.unicodeScalars {
                if scalar != replacement {
                    view.append(scalar)
                } else if !(index == 0 && dropsInFirstToken) {
                    view.append(" ")
                }
            }
            return String(view)
        case let .wordPiece(prefix, cleanup):
            var token = token
            if index != 0 {
                // By scalars, not Characters: "##" before a combining mark or an emoji modifier is
                // one grapheme with it ("##ि", "##🏽"), and Hugging Face compares bytes.
                let scalars = token.unicodeScalars
                if !prefix.isEmpty, scalars.starts(with: prefix.unicodeScalars) {
                    token = String(scalars.dropFirst(prefix.unicodeScalars.count))
                } else {
                    token = " " + token
                }
            }
            return cleanup ? wordPieceCleanup(token) : token
        case .byteLevel, .byteFallback, .fuse:
            return token
        }
    }

    /// Hugging Face's `decoders::wordpiece::cleanup`: the same literal replacements, in order.
    static func wordPieceCleanup(_ text: String) -> String {
        let replacements: [(String, String)] = [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                                                (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")]
        return replacements.reduce(text) { $0.replacingOccurrences(of: $1.0, with: $1.1, options: .literal) }
    }

    /// The byte a `<0xNN>` token stands for, if it is one.
    static func fallbackByte(_ token: String) -> UInt8? {
        let utf8 = Array(token.utf8)
        guard utf8.count == 6, utf8[0] == 0x3C, utf8[1] == 0x30, utf8[2] == 0x78, utf8[5] == 0x3E else {
            return nil
        }
        return UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16)
    }

    private static func apply(_ step: Step, to tokens: [String]) -> [String] {
        switch step {
        case .byteLevel:
            var bytes: [UInt8] = []
            for token in tokens { bytes += ByteLevelMapping.decode(token) }
            return [UTF8Repair.lossyString(bytes)]
        case .fuse:
            return [tokens.joined()]
        case .byteFallback:
            var output: [String] = []
            var group: [UInt8] = []
            func flush() {
                guard !group.isEmpty else { return }
                if UTF8Repair.isValid(group) {
                    output.append(String(decoding: group, as: UTF8.self))
                } else {
                    output.append(contentsOf: repeatElement("\u{FFFD}", count: group.count))
                }
                group.removeAll()
            }
            for token in tokens {
                if let byte = fallbackByte(token) {
                    group.append(byte)
                } else {
                    flush()
                    output.append(token)
                }
            }
            flush()
            return output
        case .replace, .strip, .metaspace, .wordPiece:
            return tokens.enumerated().map { applyPerToken(step, to: $0.element, index: $0.offset) }
        }
    }

    private static func strip(_ token: String, content: Unicode.Scalar, start: Int, stop: Int) -> String {
        let scalars = Array(token.unicodeScalars)
        var head = 0
        while head < min(start, scalars.count), scalars[head] == content { head += 1 }
        var tail = scalars.count
        var removed = 0
        while removed < stop, tail > head, scalars[tail - 1] == content {
            tail -= 1
            removed += 1
        }
        return String(String.UnicodeScalarView(scalars[head..<tail]))
    }
}
