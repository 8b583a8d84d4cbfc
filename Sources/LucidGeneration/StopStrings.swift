/// Stop-string matching on decoded text, on Unicode scalars as Python's `str` matches code points
/// (and as `StopStringStream` cuts), not on Swift's characters: a stop "e" is found in "e\u{301}".
enum StopStrings {
    static func firstMatch(_ limits: GenerationLimits, _ tokens: [Int]) -> String? {
        guard !limits.stopStrings.isEmpty, let decode = limits.decode else { return nil }
        let text = decode(tokens).unicodeScalars
        return limits.stopStrings.first { !$0.isEmpty && text.firstRange(of: $0.unicodeScalars) != nil }
    }

    /// The length of the shortest prefix of `tokens` whose text holds a stop string, and that string;
    /// nil when the whole text holds none. Binary search: a prefix that holds one stays holding it.
    static func firstCompletion(_ limits: GenerationLimits, _ tokens: [Int]) -> (end: Int, stop: String)? {
        guard firstMatch(limits, tokens) != nil else { return nil }
        var (low, high) = (1, tokens.count)  // the prefix of length `high` holds one
        while low < high {
            let middle = (low + high) / 2
            if firstMatch(limits, Array(tokens[..<middle])) != nil { high = middle } else { low = middle + 1 }
        }
        return firstMatch(limits, Array(tokens[..<high])).map { (high, $0) }
    }

    /// Whether `token` after `sequence` completes a stop string: the text with it holds an occurrence that
    /// ends past what the text without it already had (transformers' `StopStringCriteria`: a stop string
    /// overlapping the last token). `before` is `sequence`'s text, decoded once a beam. Beam search asks
    /// this of every candidate; a running sequence holds no stop string, except the rare one it must keep
    /// when too few candidates are free of one (then only a new occurrence counts, as transformers').
    static func completes(_ limits: GenerationLimits, before: String, sequence: [Int], token: Int) -> Bool {
        guard !limits.stopStrings.isEmpty, let decode = limits.decode else { return false }
        let old = Array(before.unicodeScalars)
        let new = Array(decode(sequence + [token]).unicodeScalars)
        var common = 0
        while common < old.count, common < new.count, old[common] == new[common] { common += 1 }
        return limits.stopStrings.contains { stop in
            let scalars = Array(stop.unicodeScalars)
            guard !scalars.isEmpty else { return false }
            // An occurrence ending past `common` starts at or after common − count + 1.
            let from = Swift.max(0, common - scalars.count + 1)
            return new[from...].firstRange(of: scalars) != nil
        }
    }
}
