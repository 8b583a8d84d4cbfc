import Foundation

/// NLTK 3.8.1's `PunktSentenceTokenizer.tokenize` (Kiss & Strunk 2006) with trained parameters.
///
/// Reproduces NLTK's decision procedure exactly: candidate ends `.`, `?`, `!` found by the
/// period-context pattern, the context text re-tokenised with Punkt's word pattern, the
/// first annotation pass (sentence-end characters, ellipses, known abbreviations) and the
/// second pass (collocations, orthographic heuristic, frequent sentence starters, initials and
/// numbers), then boundary realignment so that closing quotes and brackets stay with their
/// sentence. Quirks kept: a whitespace at offset 0 of the text before a candidate is ignored
/// (`_get_last_whitespace_index` returns 0 for "not found" and for "found at 0").
public struct PunktSentenceTokenizer: Sendable {
    /// Orthographic-context flags (`_ORTHO_*`).
    public enum Ortho {
        public static let begUpper = 1 << 1
        public static let midUpper = 1 << 2
        public static let unkUpper = 1 << 3
        public static let begLower = 1 << 4
        public static let midLower = 1 << 5
        public static let unkLower = 1 << 6
        public static let upper = begUpper | midUpper | unkUpper
        public static let lower = begLower | midLower | unkLower
    }

    public let parameters: PunktParameters

    private let periodContext: PythonRegex
    private let wordPattern: PythonRegex
    private let realignment: PythonRegex

    public init(parameters: PunktParameters) {
        self.parameters = parameters
        let s = PythonRegex.space, nonS = PythonRegex.nonSpace, end = PythonRegex.end
        // _re_non_word_chars, _re_multi_char_punct, _re_word_start of PunktLanguageVars.
        let nonWord = "(?:[\\)\\\";\\}\\]\\*:@\\'\\(\\{\\[\\?!])"
        let multiChar = "(?:\\-{2,}|\\.{2,}|(?:\\.\(s)){2,}\\.)"
        let wordStart = "[^\\(\\\"\\`\\{\\[:;&\\#\\*@\\)\\}\\]\\-,]"
        periodContext = PythonRegex("[\\.\\?!](?=(\(nonWord)|\(s)+(\(nonS)+)))")
        wordPattern = PythonRegex(
            "(\(multiChar)|(?=\(wordStart))\(nonS)+?(?=\(s)|\(end)|\(nonWord)|\(multiChar)|,(?=\(end)|\(s)|\(nonWord)|\(multiChar)))|\(nonS))")
        realignment = PythonRegex("[\\\"\\'\\)\\]\\}]+?(?:\(s)+|(?=--)|\(PythonRegex.lineEnd))")
    }

    /// Splits `text` into sentences (`tokenize(text)` with `realign_boundaries=True`).
    public func tokenize(_ text: String) -> [String] {
        let ns = text as NSString
        return spans(ns).map { substring(ns, $0.start, $0.stop) }
    }

    // MARK: - Spans

    private struct Span { var start: Int; var stop: Int }

    private func substring(_ text: NSString, _ start: Int, _ stop: Int) -> String {
        let lower = min(max(start, 0), text.length)
        let upper = min(max(stop, 0), text.length)
        guard lower < upper else { return "" }
        return text.substring(with: NSRange(location: lower, length: upper - lower))
    }

    private func spans(_ text: NSString) -> [Span] {
        let slices = slicesFromText(text)
        var result: [Span] = []
        var realign = 0
        for (i, slice) in slices.enumerated() {
            let sentence1 = Span(start: slice.start + realign, stop: slice.stop)
            guard i + 1 < slices.count else {
                if !substring(text, sentence1.start, sentence1.stop).isEmpty { result.append(sentence1) }
                continue
            }
            let sentence2 = slices[i + 1]
            let next = substring(text, sentence2.start, sentence2.stop) as NSString
            if let match = realignment.matchAtStart(next) {
                let matched = next.substring(with: match.range) as NSString
                result.append(Span(start: sentence1.start, stop: sentence2.start + rstripLength(matched)))
                realign = match.range.location + match.range.length
            } else {
                realign = 0
                if !substring(text, sentence1.start, sentence1.stop).isEmpty { result.append(sentence1) }
            }
        }
        return result
    }

    private func slicesFromText(_ text: NSString) -> [Span] {
        var slices: [Span] = []
        var lastBreak = 0
        for (match, context) in potentialEndContexts(text) where containsSentenceBreak(context) {
            let matchEnd = match.range.location + match.range.length
            slices.append(Span(start: lastBreak, stop: matchEnd))
            let nextToken = match.range(at: 2)
            if nextToken.location != NSNotFound, nextToken.length > 0 {
                lastBreak = nextToken.location
            } else {
                lastBreak = matchEnd
            }
        }
        slices.append(Span(start: lastBreak, stop: rstripLength(text)))
        return slices
    }

    /// `len(text.rstrip())` in UTF-16 units (Python whitespace is all in the BMP).
    private func rstripLength(_ text: NSString) -> Int {
        var length = text.length
        while length > 0, let scalar = Unicode.Scalar(UInt32(text.character(at: length - 1))),
              PythonString.isSpace(scalar) {
            length -= 1
        }
        return length
    }

    private func potentialEndContexts(_ text: NSString) -> [(NSTextCheckingResult, String)] {
        var contexts: [(NSTextCheckingResult, String)] = []
        var previous = Span(start: 0, stop: 0)
        var previousMatch: NSTextCheckingResult?
        func context(_ match: NSTextCheckingResult, _ slice: Span) -> String {
            substring(text, slice.start, slice.stop) + text.substring(with: match.range) + text.substring(with: match.range(at: 1))
        }
        for match in periodContext.matches(in: text) {
            let start = match.range.location
            var lastSpace = 0
            if previous.stop < start {
                var i = start - 1
                while i >= previous.stop {
                    if PythonString.isASCIIWhitespace(text.character(at: i)) {
                        lastSpace = i - previous.stop
                        break
                    }
                    i -= 1
                }
            }
            let wordStart = lastSpace != 0 ? lastSpace + previous.stop + 1 : previous.start
            let previousWord = Span(start: wordStart, stop: start)
            if let previousMatch, previous.stop <= previousWord.start {
                contexts.append((previousMatch, context(previousMatch, previous)))
            }
            previousMatch = match
            previous = previousWord
        }
        if let previousMatch {
            contexts.append((previousMatch, context(previousMatch, previous)))
        }
        return contexts
    }

    // MARK: - Annotation

    private struct Token {
        let text: String
        let type: String
        let periodFinal: Bool
        let firstUpper: Bool
        let firstLower: Bool
        let isEllipsis: Bool
        let isInitial: Bool
        var sentenceBreak = false
        var abbreviation = false
        var ellipsis = false

        init(_ text: String) {
            self.text = text
            type = Self.type(of: text)
            periodFinal = PythonString.hasSuffix(text, ".")
            let scalars = Array(text.unicodeScalars)
            firstUpper = scalars.first.map(PythonString.isUpper) ?? false
            firstLower = scalars.first.map(PythonString.isLower) ?? false
            isEllipsis = scalars.count >= 2 && scalars.allSatisfy { $0 == "." }
            isInitial = scalars.count == 2 && scalars[1] == "."
                && PythonString.isWordCharacter(scalars[0]) && !PythonString.isDecimal(scalars[0])
        }

        /// `tok.lower()` with a number-like token replaced by `##number##`
        /// (`^-?[\.,]?\d[\d,\.-]*\.?$`).
        static func type(of text: String) -> String {
            let lowered = PythonString.lower(text)
            let scalars = Array(lowered.unicodeScalars)
            var i = 0
            if i < scalars.count, scalars[i] == "-" { i += 1 }
            if i < scalars.count, scalars[i] == "." || scalars[i] == "," { i += 1 }
            guard i < scalars.count, PythonString.isDecimal(scalars[i]) else { return lowered }
            i += 1
            while i < scalars.count, PythonString.isDecimal(scalars[i]) || ",.-".unicodeScalars.contains(scalars[i]) { i += 1 }
            return i == scalars.count ? "##number##" : lowered
        }

        var typeNoPeriod: String {
            if type.unicodeScalars.count > 1, PythonString.hasSuffix(type, ".") { return PythonString.dropLast(type, 1) }
            return type
        }

        var typeNoSentencePeriod: String { sentenceBreak ? typeNoPeriod : type }
    }

    private func words(_ text: String) -> [Token] {
        var tokens: [Token] = []
        for line in PythonString.split(text, "\n") {
            guard !PythonString.strip(line).isEmpty else { continue }
            let ns = line as NSString
            for match in wordPattern.matches(in: ns) {
                tokens.append(Token(ns.substring(with: match.range(at: 1))))
            }
        }
        return tokens
    }

    private func firstPass(_ token: inout Token) {
        let text = token.text
        if text == "." || text == "?" || text == "!" {
            token.sentenceBreak = true
        } else if token.isEllipsis {
            token.ellipsis = true
        } else if token.periodFinal && !PythonString.hasSuffix(text, "..") {
            let stem = PythonString.lower(PythonString.dropLast(text, 1))
            let lastPart = PythonString.split(stem, "-").last ?? stem
            if parameters.abbreviations.contains(stem) || parameters.abbreviations.contains(lastPart) {
                token.abbreviation = true
            } else {
                token.sentenceBreak = true
            }
        }
    }

    private enum Heuristic { case yes, no, unknown }

    private func orthoHeuristic(_ token: Token) -> Heuristic {
        if [";", ":", ",", ".", "!", "?"].contains(token.text) { return .no }
        let context = parameters.orthographicContext[token.typeNoSentencePeriod] ?? 0
        if token.firstUpper && (context & Ortho.lower) != 0 && (context & Ortho.midUpper) == 0 { return .yes }
        if token.firstLower && ((context & Ortho.upper) != 0 || (context & Ortho.begLower) == 0) { return .no }
        return .unknown
    }

    private func secondPass(_ token: inout Token, next: Token) {
        guard token.periodFinal else { return }
        let type = token.typeNoPeriod
        let nextType = next.typeNoSentencePeriod
        let isInitial = token.isInitial
        if parameters.collocations.contains(.init(type, nextType)) {
            token.sentenceBreak = false
            token.abbreviation = true
            return
        }
        if (token.abbreviation || token.ellipsis) && !isInitial {
            if orthoHeuristic(next) == .yes {
                token.sentenceBreak = true
                return
            }
            if next.firstUpper && parameters.sentenceStarters.contains(nextType) {
                token.sentenceBreak = true
                return
            }
        }
        if isInitial || type == "##number##" {
            let heuristic = orthoHeuristic(next)
            if heuristic == .no {
                token.sentenceBreak = false
                token.abbreviation = true
                return
            }
            if heuristic == .unknown && isInitial && next.firstUpper
                && ((parameters.orthographicContext[nextType] ?? 0) & Ortho.lower) == 0 {
                token.sentenceBreak = false
                token.abbreviation = true
            }
        }
    }

    /// `text_contains_sentbreak`: some token other than the last ends a sentence.
    private func containsSentenceBreak(_ text: String) -> Bool {
        var tokens = words(text)
        for i in tokens.indices { firstPass(&tokens[i]) }
        for i in tokens.indices {
            if i + 1 < tokens.count { secondPass(&tokens[i], next: tokens[i + 1]) }
            if tokens[i].sentenceBreak && i + 1 < tokens.count { return true }
        }
        return false
    }
}
