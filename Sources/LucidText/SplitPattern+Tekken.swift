/// Mistral's tekken split pattern, matched by hand as the other patterns are:
///
///     [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+
///     |[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*
///     |\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
///
/// A word is an optional non-letter (not a newline), then "upper" scalars (Lu, Lt, Lm, Lo and marks) and
/// "lower" ones (Ll, Lm, Lo and marks), with the regex engine's order: the first alternative with the prefix,
/// then without it, then the second with and without; each greedy run gives back scalars only as far as the
/// alternative needs. Marks are non-letters too, so one can be the prefix.
extension SplitPattern {
    static let tekkenSource = #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|"#
        + #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|"#
        + #"\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    func tekkenMatch(_ s: [Unicode.Scalar], at p: Int) -> Int {
        let kind = ScalarClass(s[p])
        let prefixed = kind != .letter && kind != .number && s[p] != "\r" && s[p] != "\n"
        if prefixed, let end = Self.upperThenLower(s, from: p + 1) { return end }
        if let end = Self.upperThenLower(s, from: p) { return end }
        if prefixed, let end = Self.upperRun(s, from: p + 1) { return end }
        if let end = Self.upperRun(s, from: p) { return end }
        if kind == .number { return p + 1 }
        return Self.punctuationOrWhitespace(s, at: p)
    }

    /// `[upper]*[lower]+` from `start`: the longest upper run, then the lower run after it; else the upper run
    /// given back to its last scalar that is lower too, which then ends the match alone.
    static func upperThenLower(_ s: [Unicode.Scalar], from start: Int) -> Int? {
        var end = start
        while end < s.count, CaseClass(s[end]).isUpper { end += 1 }
        if end < s.count, CaseClass(s[end]).isLower {
            while end < s.count, CaseClass(s[end]).isLower { end += 1 }
            return end
        }
        guard let last = (start ..< end).last(where: { CaseClass(s[$0]).isLower }) else { return nil }
        return last + 1
    }

    /// `[upper]+[lower]*` from `start`.
    static func upperRun(_ s: [Unicode.Scalar], from start: Int) -> Int? {
        var end = start
        while end < s.count, CaseClass(s[end]).isUpper { end += 1 }
        guard end > start else { return nil }
        while end < s.count, CaseClass(s[end]).isLower { end += 1 }
        return end
    }
}

/// Where a scalar stands in tekken's two letter classes: upper `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]` and lower
/// `[\p{Ll}\p{Lm}\p{Lo}\p{M}]` (modifier and other letters and marks are both).
struct CaseClass {
    let isUpper: Bool
    let isLower: Bool

    /// ASCII's classes, looked up rather than read from the Unicode tables (as `ScalarClass` does).
    private static let ascii: [CaseClass] = (0 ..< 128).map { CaseClass(classifying: Unicode.Scalar(UInt8($0))) }

    init(_ scalar: Unicode.Scalar) {
        self = scalar.value < 128 ? Self.ascii[Int(scalar.value)] : CaseClass(classifying: scalar)
    }

    private init(classifying scalar: Unicode.Scalar) {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .titlecaseLetter: (isUpper, isLower) = (true, false)
        case .lowercaseLetter: (isUpper, isLower) = (false, true)
        case .modifierLetter, .otherLetter, .nonspacingMark, .spacingMark, .enclosingMark: (isUpper, isLower) = (true, true)
        default: (isUpper, isLower) = (false, false)
        }
    }
}
