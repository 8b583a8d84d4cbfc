/// A manifest that cannot be used: the file, the line when known, the key path and what is wrong.
///
/// Printed as `runs.yaml:12: methods[1].beams: expected an integer, found a string`.
public struct ManifestError: Error, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int?
    /// `models[0].path`, `dataset.kind`, …; empty for the whole document.
    public let keyPath: String
    public let reason: String

    public init(file: String, line: Int?, keyPath: String, reason: String) {
        self.file = file
        self.line = line
        self.keyPath = keyPath
        self.reason = reason
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return keyPath.isEmpty ? "\(location): \(reason)" : "\(location): \(keyPath): \(reason)"
    }
}

/// Near-miss suggestions for unknown keys and values ("did you mean `seeds`?").
public enum KeySuggestion {
    /// The closest candidate within a small edit distance (case-insensitive, transpositions count 1), if any.
    static func closest(to word: String, among candidates: [String]) -> String? {
        // Within distance 2 the lengths differ by at most 2: a longer word (up to the manifest's 4 MiB)
        // is no near miss, and its edit-distance table is never built.
        let length = word.count
        let lowered = word.lowercased()
        var best: (String, Int)?
        for candidate in candidates where abs(candidate.count - length) <= 2 {
            let distance = editDistance(lowered, candidate.lowercased())
            let allowed = max(1, min(2, candidate.count / 3))
            if distance <= allowed, distance < (best?.1 ?? .max) { best = (candidate, distance) }
        }
        return best?.0
    }

    /// Optimal string alignment distance.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }

    /// ` (did you mean `x`?)` or the empty string.
    public static func hint(for word: String, among candidates: [String]) -> String {
        closest(to: word, among: candidates).map { " (did you mean `\($0)`?)" } ?? ""
    }
}
