import Foundation

/// The character rules of BERT's normalizer and pre-tokenizer (Hugging Face `tokenizers`:
/// `normalizers/bert.rs`, `pre_tokenizers/bert.rs`).
enum BertNormalization {
    /// `BertNormalizer` on one text segment.
    static func apply(_ text: String, cleanText: Bool, handleChineseChars: Bool, stripAccents: Bool, lowercase: Bool) -> String {
        var scalars = Array(text.unicodeScalars)
        if cleanText {
            scalars = scalars.compactMap { scalar in
                if scalar.value == 0 || scalar.value == 0xFFFD || isControl(scalar) { return nil }
                return isWhitespace(scalar) ? " " : scalar
            }
        }
        if handleChineseChars {
            var spaced: [Unicode.Scalar] = []
            spaced.reserveCapacity(scalars.count)
            for scalar in scalars {
                if isChineseCharacter(scalar) {
                    spaced += [" ", scalar, " "]
                } else {
                    spaced.append(scalar)
                }
            }
            scalars = spaced
        }
        var result = String(String.UnicodeScalarView(scalars))
        if stripAccents {
            result = String(String.UnicodeScalarView(result.decomposedStringWithCanonicalMapping.unicodeScalars.filter {
                $0.properties.generalCategory != .nonspacingMark
            }))
        }
        if lowercase {
            var view = String.UnicodeScalarView()
            for scalar in result.unicodeScalars { view.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars) }
            result = String(view)
        }
        return result
    }

    /// Tab, newline, carriage return, or a White_Space scalar.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar.properties.isWhitespace
    }

    /// A control, format, surrogate, private-use or unassigned scalar other than tab, newline, return.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    /// The CJK Unified Ideographs blocks BERT spaces out (not Japanese kana or Hangul).
    static func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F, 0x2B920...0x2CEAF,
             0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// ASCII punctuation (symbols such as `$`, `+`, `^` included) or a Unicode punctuation scalar (P*).
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let v = scalar.value
            return (0x21...0x2F).contains(v) || (0x3A...0x40).contains(v) || (0x5B...0x60).contains(v) || (0x7B...0x7E).contains(v)
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// `BertPreTokenizer`: the ranges of the words of `scalars`, split at whitespace (dropped) and
    /// with every punctuation scalar alone.
    static func wordRanges(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        for (index, scalar) in scalars.enumerated() {
            let space = scalar.properties.isWhitespace
            guard space || isPunctuation(scalar) else { continue }
            if start < index { ranges.append(start..<index) }
            if !space { ranges.append(index..<(index + 1)) }
            start = index + 1
        }
        if start < scalars.count { ranges.append(start..<scalars.count) }
        return ranges
    }
}
