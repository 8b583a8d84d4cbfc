import Foundation

/// Rewrites a text segment before pre-tokenization (Hugging Face `normalizer`).
///
/// Applied separately to every segment left between added tokens, exactly like
/// Hugging Face does; that is why Llama-2's `Prepend("▁")` puts a "▁" after every
/// special token too.
struct Normalizer: Sendable {
    /// One normalization step.
    enum Step: Sendable, Equatable {
        /// Prepends the string to non-empty input.
        case prepend(String)
        /// Replaces every occurrence of a literal pattern (scalar by scalar, left to right).
        case replace(pattern: [Unicode.Scalar], content: [Unicode.Scalar])
        case nfc, nfd, nfkc, nfkd
        /// Per-scalar full lowercase mapping (no context rules, as in Rust's `char::to_lowercase`).
        case lowercase
        /// Removes leading and/or trailing White_Space.
        case strip(left: Bool, right: Bool)
        /// BERT's normalizer: drop NUL, U+FFFD and control/format/unassigned scalars and turn
        /// whitespace into spaces (`cleanText`), space out CJK ideographs, strip accents (NFD, then
        /// no nonspacing marks), lowercase — in that order, as Hugging Face's `BertNormalizer`.
        case bert(cleanText: Bool, handleChineseChars: Bool, stripAccents: Bool, lowercase: Bool)
    }

    let steps: [Step]

    /// Whether normalization leaves every input unchanged.
    var isIdentity: Bool { steps.isEmpty }

    func normalize(_ text: String) -> String {
        var text = text
        for step in steps {
            text = Self.apply(step, to: text)
        }
        return text
    }

    private static func apply(_ step: Step, to text: String) -> String {
        switch step {
        case let .prepend(prefix):
            return text.isEmpty ? text : prefix + text
        case let .replace(pattern, content):
            return String(String.UnicodeScalarView(
                replaceScalars(Array(text.unicodeScalars), pattern: pattern, with: content)))
        case .nfc: return text.precomposedStringWithCanonicalMapping
        case .nfd: return text.decomposedStringWithCanonicalMapping
        case .nfkc: return text.precomposedStringWithCompatibilityMapping
        case .nfkd: return text.decomposedStringWithCompatibilityMapping
        case .lowercase:
            var view = String.UnicodeScalarView()
            for scalar in text.unicodeScalars {
                view.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
            return String(view)
        case let .bert(cleanText, handleChineseChars, stripAccents, lowercase):
            return BertNormalization.apply(text, cleanText: cleanText, handleChineseChars: handleChineseChars,
                                           stripAccents: stripAccents, lowercase: lowercase)
        case let .strip(left, right):
            var scalars = Substring(text).unicodeScalars[...]
            if left { while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() } }
            if right { while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() } }
            return String(String.UnicodeScalarView(scalars))
        }
    }
}

/// Replaces every non-overlapping occurrence of `pattern` in `scalars`, left to right.
func replaceScalars(_ scalars: [Unicode.Scalar], pattern: [Unicode.Scalar],
                    with content: [Unicode.Scalar]) -> [Unicode.Scalar] {
    guard let first = pattern.first, scalars.count >= pattern.count else { return scalars }
    var output: [Unicode.Scalar] = []
    output.reserveCapacity(scalars.count)
    var index = 0
    while index < scalars.count {
        if scalars[index] == first, index + pattern.count <= scalars.count,
           scalars[index..<index + pattern.count].elementsEqual(pattern) {
            output.append(contentsOf: content)
            index += pattern.count
        } else {
            output.append(scalars[index])
            index += 1
        }
    }
    return output
}
