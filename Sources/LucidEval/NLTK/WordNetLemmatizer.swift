import Foundation

/// WordNet 3.0 `morphy` as NLTK 3.8.1's `WordNetLemmatizer.lemmatize(word, pos)` runs it.
///
/// Needs only `index.{noun,verb,adj,adv}` (which lemmas exist for which part of speech) and
/// `{noun,verb,adj,adv}.exc` (irregular forms), as installed by Debian's `wordnet-base` in
/// `/usr/share/wordnet`. The algorithm: if the word is in the exception list, the candidates are
/// the word and its listed base forms (and nothing else); otherwise the word and one round of
/// suffix substitutions, then further rounds while nothing is found. Candidates that are lemmas
/// of that part of speech are kept in order without duplicates, and the shortest (first among
/// equals) is returned; with no candidate the word comes back unchanged.
public final class WordNetLemmatizer: Sendable {
    /// Debian's location of WordNet 3.0 (`apt-get install wordnet-base`).
    public static let defaultDirectory = URL(fileURLWithPath: "/usr/share/wordnet")

    /// WordNet's four parts of speech (satellite adjectives behave as adjectives).
    public enum PartOfSpeech: String, CaseIterable, Sendable {
        case noun = "n", verb = "v", adjective = "a", adverb = "r"

        var fileSuffix: String {
            switch self {
            case .noun: return "noun"
            case .verb: return "verb"
            case .adjective: return "adj"
            case .adverb: return "adv"
            }
        }

        var bit: UInt8 {
            switch self {
            case .noun: return 1
            case .verb: return 2
            case .adjective: return 4
            case .adverb: return 8
            }
        }

        /// NLTK's `MORPHOLOGICAL_SUBSTITUTIONS`, in order.
        var substitutions: [(old: String, new: String)] {
            switch self {
            case .noun:
                return [("s", ""), ("ses", "s"), ("ves", "f"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"),
                        ("men", "man"), ("ies", "y")]
            case .verb:
                return [("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", "")]
            case .adjective:
                return [("er", ""), ("est", ""), ("er", "e"), ("est", "e")]
            case .adverb:
                return []
            }
        }
    }

    private let lemmas: [String: UInt8]
    private let exceptions: [PartOfSpeech: [String: [String]]]

    /// Reads WordNet's index and exception files from `directory`.
    public init(directory: URL = WordNetLemmatizer.defaultDirectory) throws(EvalError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .missingResource(name: "WordNet 3.0", path: directory.path,
                                   hint: "Install it with `apt-get install wordnet-base` (Debian/Ubuntu) or pass the directory holding index.noun and noun.exc.")
        }
        var lemmas: [String: UInt8] = [:]
        var exceptions: [PartOfSpeech: [String: [String]]] = [:]
        for pos in PartOfSpeech.allCases {
            try Self.forEachLine(directory, "index.\(pos.fileSuffix)") { line in
                // Lines starting with a space are the licence header; the rest are
                // "lemma pos synset_cnt …" separated by single spaces.
                guard let first = line.first, first != 0x20 else { return }
                let fields = line.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: true)
                guard fields.count >= 2, let filePOS = PartOfSpeech(rawValue: String(decoding: fields[1], as: UTF8.self)) else { return }
                lemmas[String(decoding: fields[0], as: UTF8.self), default: 0] |= filePOS.bit
            }
            var table: [String: [String]] = [:]
            try Self.forEachLine(directory, "\(pos.fileSuffix).exc") { line in
                let fields = PythonString.splitWhitespace(String(decoding: line, as: UTF8.self))
                guard let form = fields.first else { return }
                table[form] = Array(fields.dropFirst())
            }
            exceptions[pos] = table
        }
        self.lemmas = lemmas
        self.exceptions = exceptions
    }

    /// `WordNetLemmatizer().lemmatize(word, pos)`.
    public func lemmatize(_ word: String, as pos: PartOfSpeech) -> String {
        let candidates = morphy(word, pos)
        guard var best = candidates.first else { return word }
        for candidate in candidates.dropFirst() where candidate.unicodeScalars.count < best.unicodeScalars.count {
            best = candidate
        }
        return best
    }

    /// Whether `lemma` is an entry of WordNet for `pos`.
    public func contains(_ lemma: String, as pos: PartOfSpeech) -> Bool {
        ((lemmas[lemma] ?? 0) & pos.bit) != 0
    }

    /// `_morphy(form, pos)`: every base form found, in NLTK's order.
    func morphy(_ form: String, _ pos: PartOfSpeech) -> [String] {
        func filter(_ forms: [String]) -> [String] {
            var seen = Set<String>()
            var result: [String] = []
            for form in forms where contains(form, as: pos) && !seen.contains(form) {
                result.append(form)
                seen.insert(form)
            }
            return result
        }
        func applyRules(_ forms: [String]) -> [String] {
            var out: [String] = []
            for form in forms {
                for (old, new) in pos.substitutions where PythonString.hasSuffix(form, old) {
                    out.append(PythonString.dropLast(form, old.unicodeScalars.count) + new)
                }
            }
            return out
        }
        if let listed = exceptions[pos]?[form] {
            return filter([form] + listed)
        }
        var forms = applyRules([form])
        let results = filter([form] + forms)
        if !results.isEmpty { return results }
        while !forms.isEmpty {
            forms = applyRules(forms)
            let results = filter(forms)
            if !results.isEmpty { return results }
        }
        return []
    }

    private static func forEachLine(_ directory: URL, _ name: String, _ body: (ArraySlice<UInt8>) -> Void) throws(EvalError) {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw .missingResource(name: "WordNet file \(name)", path: url.path,
                                   hint: "Install WordNet 3.0 with `apt-get install wordnet-base`.")
        }
        // Debian's WordNet files are plain ASCII with `\n` line ends.
        let bytes = try JSONLines.readBytes(url)
        var start = 0
        for i in bytes.indices where bytes[i] == 0x0A {
            body(bytes[start..<i])
            start = i + 1
        }
        if start < bytes.count { body(bytes[start...]) }
    }
}
