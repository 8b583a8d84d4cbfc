import Foundation

/// NLTK 3.8.1's `NLTKWordTokenizer.tokenize` (the improved Treebank tokenizer behind
/// `word_tokenize`), applied to one sentence.
///
/// The same ordered regular-expression rewrites as NLTK: starting quotes (`"` → ` `` `, curly
/// and low quotes split), punctuation (final period only at the end of the sentence, commas and
/// colons unless followed by a digit, ellipses, `;@#$%&`, `?!`, `*`), brackets, `--`, ending quotes
/// (`"` → `''`, clitics `'s 'm 'd 'll 're 've n't` split off), MacIntyre contractions (`cannot`,
/// `gimme`, `gonna`, `gotta`, `lemme`, `more'n`, `wanna`, `d'ye`, `'tis`, `'twas`), then a split on
/// Python whitespace. Parentheses are not converted to `-LRB-` (NLTK's default).
public struct TreebankWordTokenizer: Sendable {
    private struct Rule: Sendable {
        let pattern: PythonRegex
        let template: String
    }

    private let startingQuotes: [Rule]
    private let punctuation: [Rule]
    private let brackets: Rule
    private let doubleDashes: Rule
    private let endingQuotes: [Rule]
    private let contractions: [Rule]

    public init() {
        let s = PythonRegex.space, w = PythonRegex.word, b = PythonRegex.boundary, end = PythonRegex.end
        func rule(_ pattern: String, _ template: String, caseInsensitive: Bool = false) -> Rule {
            Rule(pattern: PythonRegex(pattern, caseInsensitive: caseInsensitive), template: template)
        }
        startingQuotes = [
            rule("([«“‘„]|[`]+)", " $1 "),
            rule("^\\\"", "``"),
            rule("(``)", " $1 "),
            rule("([ \\(\\[\\{<])(\\\"|\\'{2})", "$1 `` "),
            rule("(\\')(?!re|ve|ll|m|t|s|d|n)(\(w))\(b)", "$1 $2", caseInsensitive: true),
        ]
        punctuation = [
            rule("([^\\.])(\\.)([\\]\\)\\}>\\\"\\'»”’ ]*)\(s)*\(end)", "$1 $2 $3 "),
            rule("([:,])([^\\p{Nd}])", " $1 $2"),
            rule("([:,])\(end)", " $1 "),
            rule("\\.{2,}", " $0 "),
            rule("[;@#\\$%&]", " $0 "),
            rule("([^\\.])(\\.)([\\]\\)\\}>\\\"\\']*)\(s)*\(end)", "$1 $2$3 "),
            rule("[\\?!]", " $0 "),
            rule("([^'])' ", "$1 ' "),
            rule("[\\*]", " $0 "),
        ]
        brackets = rule("[\\]\\[\\(\\)\\{\\}<>]", " $0 ")
        doubleDashes = rule("--", " -- ")
        endingQuotes = [
            rule("([»”’])", " $1 "),
            rule("''", " '' "),
            rule("\\\"", " '' "),
            rule("([^' ])('[sS]|'[mM]|'[dD]|') ", "$1 $2 "),
            rule("([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", "$1 $2 "),
        ]
        contractions = [
            "\(b)(can)(not)\(b)", "\(b)(d)('ye)\(b)", "\(b)(gim)(me)\(b)", "\(b)(gon)(na)\(b)",
            "\(b)(got)(ta)\(b)", "\(b)(lem)(me)\(b)", "\(b)(more)('n)\(b)", "\(b)(wan)(na)(?=\(s))",
            " ('t)(is)\(b)", " ('t)(was)\(b)",
        ].map { rule($0, " $1 $2 ", caseInsensitive: true) }
    }

    /// Tokens of one sentence.
    public func tokenize(_ sentence: String) -> [String] {
        var text = sentence
        for rule in startingQuotes { text = rule.pattern.replace(text, with: rule.template) }
        for rule in punctuation { text = rule.pattern.replace(text, with: rule.template) }
        text = brackets.pattern.replace(text, with: brackets.template)
        text = doubleDashes.pattern.replace(text, with: doubleDashes.template)
        text = " " + text + " "
        for rule in endingQuotes { text = rule.pattern.replace(text, with: rule.template) }
        for rule in contractions { text = rule.pattern.replace(text, with: rule.template) }
        return PythonString.splitWhitespace(text)
    }
}
