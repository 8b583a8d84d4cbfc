import Foundation

/// Trained Punkt parameters (abbreviations, collocations, sentence starters, orthographic
/// contexts), read from NLTK's pickle-free `punkt_tab` text format.
///
/// Files: `abbrev_types.txt`, `sent_starters.txt` (one type per line), `collocations.tab`
/// (two tab-separated types per line), `ortho_context.tab` (type, tab, integer flags). As NLTK's
/// `PunktDecoder` does, only the final `\n` of each line is removed — other whitespace is kept
/// (the English model has an abbreviation `". . "` with a trailing space).
public struct PunktParameters: Sendable {
    /// Known abbreviation types (lower case, without the final period).
    public var abbreviations: Set<String>
    /// Pairs of types (first without its period) that do not form a sentence break.
    public var collocations: Set<Collocation>
    /// Types that frequently start sentences.
    public var sentenceStarters: Set<String>
    /// Orthographic-context flags per type (see `PunktSentenceTokenizer.Ortho`).
    public var orthographicContext: [String: Int]

    /// A collocation (`typ`, `next_typ`).
    public struct Collocation: Hashable, Sendable {
        public var first: String
        public var second: String
        public init(_ first: String, _ second: String) {
            self.first = first
            self.second = second
        }
    }

    public init(abbreviations: Set<String> = [], collocations: Set<Collocation> = [],
                sentenceStarters: Set<String> = [], orthographicContext: [String: Int] = [:]) {
        self.abbreviations = abbreviations
        self.collocations = collocations
        self.sentenceStarters = sentenceStarters
        self.orthographicContext = orthographicContext
    }

    /// Reads the four files of a `punkt_tab/<language>` directory.
    public init(directory: URL) throws(EvalError) {
        abbreviations = Set(try Self.lines(directory, "abbrev_types.txt"))
        sentenceStarters = Set(try Self.lines(directory, "sent_starters.txt"))
        var collocations = Set<Collocation>()
        for line in try Self.lines(directory, "collocations.tab") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 2 else {
                throw .invalidField(path: directory.appendingPathComponent("collocations.tab").path, line: nil,
                                    field: line, reason: "is not two tab-separated types")
            }
            collocations.insert(Collocation(fields[0], fields[1]))
        }
        self.collocations = collocations
        var context: [String: Int] = [:]
        for line in try Self.lines(directory, "ortho_context.tab") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 2, let flags = Int(fields[1]) else {
                throw .invalidField(path: directory.appendingPathComponent("ortho_context.tab").path, line: nil,
                                    field: line, reason: "is not a type and an integer")
            }
            context[String(fields[0])] = flags
        }
        orthographicContext = context
    }

    private static func lines(_ directory: URL, _ name: String) throws(EvalError) -> [String] {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw .missingResource(name: "Punkt parameter file \(name)", path: url.path,
                                   hint: "Expected NLTK's punkt_tab English files (see Data/nltk/README.md).")
        }
        let bytes = try JSONLines.readBytes(url)
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw .unreadable(path: url.path, reason: "not UTF-8")
        }
        return PythonString.textLines(text)
    }
}
