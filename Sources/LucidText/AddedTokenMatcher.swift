/// Finds added tokens in text, leftmost-longest, the way Hugging Face's AddedVocabulary does.
///
/// Two passes: tokens with `normalized == false` are matched in the raw text; every
/// remaining segment is then normalized and searched for the `normalized == true`
/// tokens (whose patterns are normalized too). `singleWord`, `lstrip` and `rstrip`
/// are applied to each match exactly as in `AddedVocabulary::find_matches`.
struct AddedTokenMatcher: Sendable {
    /// A piece of the input: an added token, or text for the model.
    enum Segment: Equatable {
        case token(Int)
        /// Normalized text, and whether it begins at offset 0 of the original input.
        case text(String, atOriginalStart: Bool)
    }

    private let rawTokens: [AddedToken]
    private let rawTrie: ByteTrie
    private let normalizedTokens: [AddedToken]
    private let normalizedTrie: ByteTrie

    init(tokens: [AddedToken], normalizer: Normalizer) {
        let raw = tokens.filter { !$0.normalized && !$0.content.isEmpty }
        let normalized = tokens.filter { $0.normalized && !$0.content.isEmpty }
        rawTokens = raw
        rawTrie = ByteTrie(patterns: raw.map { Array($0.content.utf8) })
        normalizedTokens = normalized
        normalizedTrie = ByteTrie(patterns: normalized.map { Array(normalizer.normalize($0.content).utf8) })
    }

    /// Splits `text` into added tokens and normalized text segments (never empty).
    func segments(_ text: String, normalizer: Normalizer) -> [Segment] {
        var output: [Segment] = []
        let bytes = Array(text.utf8)
        for (token, range) in Self.matches(bytes, trie: rawTrie, tokens: rawTokens) {
            if let token {
                output.append(.token(token.id))
                continue
            }
            let normalized = normalizer.normalize(String(decoding: bytes[range], as: UTF8.self))
            let normalizedBytes = Array(normalized.utf8)
            for (inner, innerRange) in Self.matches(normalizedBytes, trie: normalizedTrie, tokens: normalizedTokens) {
                if let inner {
                    output.append(.token(inner.id))
                } else if !innerRange.isEmpty {
                    let piece = String(decoding: normalizedBytes[innerRange], as: UTF8.self)
                    output.append(.text(piece, atOriginalStart: range.lowerBound == 0 && innerRange.lowerBound == 0))
                }
            }
        }
        return output
    }

    /// `find_matches`: splits covering `bytes`, each either a token match or plain text.
    private static func matches(_ bytes: [UInt8], trie: ByteTrie,
                                tokens: [AddedToken]) -> [(AddedToken?, Range<Int>)] {
        guard !bytes.isEmpty else { return [] }
        var splits: [(AddedToken?, Range<Int>)] = []
        var startOffset = 0
        var position = 0
        while position < bytes.count {
            guard let (end, index) = trie.longestMatch(in: bytes, at: position) else {
                position += 1
                continue
            }
            let token = tokens[index]
            var start = position
            var stop = end
            position = end
            if token.singleWord {
                let startIsBoundary = start == 0 || !isWordScalar(scalar(endingAt: start, in: bytes))
                let stopIsBoundary = stop == bytes.count || !isWordScalar(scalar(startingAt: stop, in: bytes))
                if !startIsBoundary || !stopIsBoundary { continue }
            }
            if token.lstrip {
                var newStart = start
                while newStart > 0, let s = scalar(endingAt: newStart, in: bytes), s.properties.isWhitespace {
                    newStart -= UTF8.width(s)
                }
                start = max(newStart, startOffset)
            }
            if token.rstrip {
                while stop < bytes.count, let s = scalar(startingAt: stop, in: bytes), s.properties.isWhitespace {
                    stop += UTF8.width(s)
                }
            }
            if startOffset < start { splits.append((nil, startOffset..<start)) }
            splits.append((token, start..<stop))
            startOffset = stop
        }
        if startOffset < bytes.count { splits.append((nil, startOffset..<bytes.count)) }
        return splits
    }

    /// Rust regex `\w`: Alphabetic, marks, decimal digits, connector punctuation, Join_Control.
    private static func isWordScalar(_ scalar: Unicode.Scalar?) -> Bool {
        guard let scalar else { return false }
        let properties = scalar.properties
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation:
            return true
        default:
            return false
        }
    }

    private static func scalar(startingAt index: Int, in bytes: [UInt8]) -> Unicode.Scalar? {
        guard index < bytes.count, case let .valid(length) = UTF8Repair.step(bytes, at: index) else { return nil }
        return String(decoding: bytes[index..<index + length], as: UTF8.self).unicodeScalars.first
    }

    private static func scalar(endingAt index: Int, in bytes: [UInt8]) -> Unicode.Scalar? {
        var start = index - 1
        while start > 0, bytes[start] & 0xC0 == 0x80 { start -= 1 }
        guard start >= 0 else { return nil }
        return scalar(startingAt: start, in: bytes)
    }
}

/// A byte trie answering "longest pattern starting here".
struct ByteTrie: Sendable {
    private var edges: [[UInt8: Int32]] = [[:]]
    private var terminal: [Int32] = [-1]

    init(patterns: [[UInt8]]) {
        for (index, pattern) in patterns.enumerated() where !pattern.isEmpty {
            var node = 0
            for byte in pattern {
                if let next = edges[node][byte] {
                    node = Int(next)
                } else {
                    edges.append([:])
                    terminal.append(-1)
                    edges[node][byte] = Int32(edges.count - 1)
                    node = edges.count - 1
                }
            }
            if terminal[node] < 0 { terminal[node] = Int32(index) }
        }
    }

    /// The end offset and pattern index of the longest pattern starting at `start`.
    func longestMatch(in bytes: [UInt8], at start: Int) -> (Int, Int)? {
        var node = 0
        var best: (Int, Int)?
        var index = start
        while index < bytes.count, let next = edges[node][bytes[index]] {
            node = Int(next)
            index += 1
            if terminal[node] >= 0 { best = (index, Int(terminal[node])) }
        }
        return best
    }
}
