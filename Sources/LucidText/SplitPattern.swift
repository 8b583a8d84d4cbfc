/// The regex pre-tokenizer patterns LucidText implements, matched by hand.
///
/// Each case reproduces, scalar for scalar, what Hugging Face `tokenizers` (Oniguruma)
/// and Python's `regex` module produce for the pattern, including the backtracking of
/// `\s+(?!\S)` (a whitespace run before a word gives its last space to the word) and
/// `\s*[\r\n]+` (a run ends at its last newline). `\s` is Unicode White_Space,
/// `\p{L}` / `\p{N}` the letter / number general categories.
enum SplitPattern: Sendable, Equatable {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    /// Llama-3: case-insensitive contractions, one optional non-letter before a word,
    /// numbers in groups of at most three, punctuation runs keep trailing newlines.
    case llama3
    /// Qwen2: Llama-3's pattern with every number scalar on its own.
    case qwen2
    /// Mistral's tekken (Nemo, Ministral, Pixtral): words split by letter case, no contractions, every number
    /// scalar on its own (`SplitPattern+Tekken.swift`).
    case tekken

    static let gpt2Source =
        #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Source =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Source =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The pattern whose source text is exactly `source`, if LucidText implements it.
    init?(regexSource source: String) {
        switch source {
        case Self.gpt2Source: self = .gpt2
        case Self.llama3Source: self = .llama3
        case Self.qwen2Source: self = .qwen2
        case Self.tekkenSource: self = .tekken
        default: return nil
        }
    }

    /// Consecutive, non-overlapping ranges that cover `scalars` (isolated matches).
    func split(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        while start < scalars.count {
            let end: Int
            switch self {
            case .gpt2: end = gpt2Match(scalars, at: start)
            case .llama3, .qwen2: end = llamaMatch(scalars, at: start)
            case .tekken: end = tekkenMatch(scalars, at: start)
            }
            ranges.append(start..<end)
            start = end
        }
        return ranges
    }

    private func gpt2Match(_ s: [Unicode.Scalar], at p: Int) -> Int {
        if s[p] == "'", let end = Self.contraction(s, at: p, ignoringCase: false) { return end }
        let kind = ScalarClass(s[p])
        if kind != .whitespace {
            return Self.run(of: kind, in: s, from: p)
        }
        if s[p] == " ", p + 1 < s.count {
            let next = ScalarClass(s[p + 1])
            if next != .whitespace { return Self.run(of: next, in: s, from: p + 1) }
        }
        return Self.whitespaceTail(s, at: p)
    }

    private func llamaMatch(_ s: [Unicode.Scalar], at p: Int) -> Int {
        let c = s[p]
        if c == "'", let end = Self.contraction(s, at: p, ignoringCase: true) { return end }
        let kind = ScalarClass(c)
        let nextKind = p + 1 < s.count ? ScalarClass(s[p + 1]) : nil
        switch kind {
        case .letter:
            return Self.run(of: .letter, in: s, from: p)
        case .number:
            let end = Self.run(of: .number, in: s, from: p)
            return Swift.min(end, p + (self == .llama3 ? 3 : 1))
        case .other, .whitespace:
            if c != "\r", c != "\n", nextKind == .letter {
                return Self.run(of: .letter, in: s, from: p + 1)
            }
        }
        return Self.punctuationOrWhitespace(s, at: p)
    }

    /// ` ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+` at a scalar that is no letter or number (the
    /// Llama-3, Qwen2 and tekken patterns' last alternatives; tekken's `[\r\n/]*` takes no slash the run left).
    static func punctuationOrWhitespace(_ s: [Unicode.Scalar], at p: Int) -> Int {
        let (c, kind) = (s[p], ScalarClass(s[p]))
        let nextKind = p + 1 < s.count ? ScalarClass(s[p + 1]) : nil
        if kind == .other || (c == " " && nextKind == .other) {
            let end = Self.run(of: .other, in: s, from: kind == .other ? p : p + 1)
            return Self.newlineRun(s, from: end)
        }
        // Whitespace: `\s*[\r\n]+` ends at the run's last newline, if it has one.
        let end = Self.run(of: .whitespace, in: s, from: p)
        var lastNewline = -1
        for index in p..<end where s[index] == "\r" || s[index] == "\n" { lastNewline = index }
        if lastNewline >= 0 { return lastNewline + 1 }
        return Self.whitespaceTail(s, at: p)
    }

    /// `\s+(?!\S)|\s+` at a whitespace scalar.
    private static func whitespaceTail(_ s: [Unicode.Scalar], at p: Int) -> Int {
        let end = run(of: .whitespace, in: s, from: p)
        if end == s.count || end - p == 1 { return end }
        return end - 1
    }

    static func run(of kind: ScalarClass, in s: [Unicode.Scalar], from start: Int) -> Int {
        var end = start
        while end < s.count, ScalarClass(s[end]) == kind { end += 1 }
        return end
    }

    private static func newlineRun(_ s: [Unicode.Scalar], from start: Int) -> Int {
        var end = start
        while end < s.count, s[end] == "\r" || s[end] == "\n" { end += 1 }
        return end
    }

    /// End of `'s|'t|'re|'ve|'m|'ll|'d` at an apostrophe, or nil.
    private static func contraction(_ s: [Unicode.Scalar], at p: Int, ignoringCase: Bool) -> Int? {
        func letter(_ offset: Int) -> Unicode.Scalar? {
            guard p + offset < s.count else { return nil }
            let scalar = s[p + offset]
            guard ignoringCase else { return scalar }
            if scalar == "\u{17F}" { return "s" }  // LATIN SMALL LETTER LONG S case-folds to s
            if scalar.value >= 0x41, scalar.value <= 0x5A { return Unicode.Scalar(scalar.value + 32) }
            return scalar
        }
        switch letter(1) {
        case "s", "t", "m", "d": return p + 2
        case "r": return letter(2) == "e" ? p + 3 : nil
        case "v": return letter(2) == "e" ? p + 3 : nil
        case "l": return letter(2) == "l" ? p + 3 : nil
        default: return nil
        }
    }
}

/// The four classes the split patterns distinguish.
enum ScalarClass: UInt8, Sendable {
    case letter, number, whitespace, other

    private static let ascii: [ScalarClass] = (0..<128).map { value in
        let scalar = Unicode.Scalar(UInt8(value))
        return ScalarClass(classifying: scalar)
    }

    init(_ scalar: Unicode.Scalar) {
        if scalar.value < 128 {
            self = Self.ascii[Int(scalar.value)]
        } else {
            self.init(classifying: scalar)
        }
    }

    private init(classifying scalar: Unicode.Scalar) {
        let properties = scalar.properties
        if properties.isWhitespace {
            self = .whitespace
            return
        }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            self = .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            self = .number
        default:
            self = .other
        }
    }
}
