import Foundation

/// A compiled ICU regular expression written to behave as a Python `re` pattern does.
///
/// NLTK's patterns are ported by hand with the classes below substituted for Python's
/// `\s`, `\S`, `\w`, `\d`, `\b` and `$`, whose ICU meanings differ slightly (ICU's `\s` lacks
/// U+001C…U+001F, its `\w` includes combining marks, its `$` stops before any line
/// terminator). Offsets are UTF-16 (`NSString`) offsets; NLTK only slices at match and
/// whitespace boundaries, which are code-point boundaries, so slices equal Python's.
struct PythonRegex: Sendable {
    /// Python `\s` (`str.isspace`).
    static let space = "[\\t\\n\\x{0B}\\f\\r\\x{1C}-\\x{1F} \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}]"
    /// Python `\S`.
    static let nonSpace = "[^\\t\\n\\x{0B}\\f\\r\\x{1C}-\\x{1F} \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}]"
    /// Python `\w` (alphanumeric or underscore).
    static let word = "[\\p{L}\\p{N}_]"
    /// Python `[^\W\d]`: word characters that are not decimal digits.
    static let letter = "[\\p{L}\\p{Nl}\\p{No}_]"
    /// Python `\b`.
    static let boundary = "(?:(?<=\(word))(?!\(word))|(?<!\(word))(?=\(word)))"
    /// Python `$` without MULTILINE: end of text, or before a final `\n`.
    static let end = "(?=\\n?\\z)"
    /// Python `$` with MULTILINE: before any `\n`, or at the end.
    static let lineEnd = "(?=\\n|\\z)"

    let regex: NSRegularExpression

    /// Compiles a built-in pattern; an invalid one is a programming error.
    init(_ pattern: String, caseInsensitive: Bool = false) {
        do {
            regex = try NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
        } catch {
            preconditionFailure("built-in pattern does not compile: \(pattern): \(error)")
        }
    }

    /// `re.sub(pattern, template, text)`; the template uses ICU's `$1` group syntax.
    func replace(_ text: String, with template: String) -> String {
        regex.stringByReplacingMatches(in: text, options: [], range: NSRange(location: 0, length: text.utf16.count), withTemplate: template)
    }

    /// All non-overlapping matches in `text` (`re.finditer`).
    func matches(in text: NSString) -> [NSTextCheckingResult] {
        regex.matches(in: text as String, options: [], range: NSRange(location: 0, length: text.length))
    }

    /// `re.match`: a match starting at offset 0 of `text`, or nil.
    func matchAtStart(_ text: NSString) -> NSTextCheckingResult? {
        regex.firstMatch(in: text as String, options: [.anchored], range: NSRange(location: 0, length: text.length))
    }
}
