import Foundation

/// NLTK 3.8.1's averaged-perceptron part-of-speech tagger (`nltk.pos_tag`, Penn Treebank tags).
///
/// Loads the pickle-free model files (`*.weights.json`: feature → {tag: weight};
/// `*.tagdict.json`: frequent unambiguous word → tag; `*.classes.json`: the tag set). Tagging
/// is greedy left to right: a word found in the tag dictionary (exact, case-sensitive) takes its
/// tag; otherwise the 14 features of `_get_features` are scored. The context is
/// `-START-, -START2-`, the normalised words, `-END-, -END2-`; normalisation maps a word with
/// an inner hyphen to `!HYPHEN`, a 4-digit word to `!YEAR`, a word starting with a digit to
/// `!DIGITS`, anything else to lower case. Scores are summed in feature order in `Double`
/// exactly as Python does, and ties go to the greatest tag name (`max` over `(score, label)`).
public final class PerceptronTagger: Sendable {
    /// File names inside the model directory.
    public static let weightsFile = "averaged_perceptron_tagger_eng.weights.json"
    public static let tagDictionaryFile = "averaged_perceptron_tagger_eng.tagdict.json"
    public static let classesFile = "averaged_perceptron_tagger_eng.classes.json"

    /// The tag set, sorted.
    public let classes: [String]
    private let weights: [String: [(tag: Int, weight: Double)]]
    private let tagDictionary: [String: String]

    /// Loads the three JSON files from `directory` (NLTK's `averaged_perceptron_tagger_eng`).
    public convenience init(directory: URL) throws(EvalError) {
        func load(_ name: String) throws(EvalError) -> OrderedJSON {
            let url = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw .missingResource(name: "POS tagger file \(name)", path: url.path,
                                       hint: "Expected NLTK's averaged_perceptron_tagger_eng JSON files (see Data/nltk/README.md).")
            }
            return try JSONLines.readDocument(url)
        }
        let classesPath = directory.appendingPathComponent(Self.classesFile).path
        guard let classList = try load(Self.classesFile).arrayValue?.compactMap(\.stringValue), !classList.isEmpty else {
            throw .invalidField(path: classesPath, line: nil, field: "classes", reason: "is not a non-empty array of strings")
        }
        let dictionaryPath = directory.appendingPathComponent(Self.tagDictionaryFile).path
        guard let dictionaryMembers = try load(Self.tagDictionaryFile).objectValue else {
            throw .invalidField(path: dictionaryPath, line: nil, field: "tagdict", reason: "is not an object")
        }
        var dictionary: [String: String] = [:]
        for (word, tag) in dictionaryMembers {
            guard let tag = tag.stringValue else {
                throw .invalidField(path: dictionaryPath, line: nil, field: word, reason: "is not a tag string")
            }
            dictionary[word] = tag
        }
        let weightsPath = directory.appendingPathComponent(Self.weightsFile).path
        guard let weightMembers = try load(Self.weightsFile).objectValue else {
            throw .invalidField(path: weightsPath, line: nil, field: "weights", reason: "is not an object")
        }
        var table: [String: [String: Double]] = [:]
        table.reserveCapacity(weightMembers.count)
        for (feature, perTag) in weightMembers {
            guard let members = perTag.objectValue else {
                throw .invalidField(path: weightsPath, line: nil, field: feature, reason: "is not an object of weights")
            }
            var row: [String: Double] = [:]
            for (tag, weight) in members {
                guard let value = weight.doubleValue else {
                    throw .invalidField(path: weightsPath, line: nil, field: "\(feature)/\(tag)", reason: "is not a number")
                }
                row[tag] = value
            }
            table[feature] = row
        }
        try self.init(weights: table, tagDictionary: dictionary, classes: classList)
    }

    /// A tagger from in-memory model tables; every weight's tag must be one of `classes`.
    public init(weights: [String: [String: Double]], tagDictionary: [String: String], classes: [String]) throws(EvalError) {
        let sorted = Array(Set(classes)).sorted { Array($0.unicodeScalars.map(\.value)).lexicographicallyPrecedes($1.unicodeScalars.map(\.value)) }
        let index = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($1, $0) })
        var table: [String: [(tag: Int, weight: Double)]] = [:]
        table.reserveCapacity(weights.count)
        for (feature, row) in weights {
            var entries: [(tag: Int, weight: Double)] = []
            for (tag, weight) in row {
                guard let i = index[tag] else {
                    throw .invalidField(path: "tagger weights", line: nil, field: feature, reason: "uses tag \(tag) outside the classes")
                }
                entries.append((i, weight))
            }
            table[feature] = entries
        }
        self.classes = sorted
        self.weights = table
        self.tagDictionary = tagDictionary
    }

    /// `nltk.pos_tag(tokens)`: one Penn Treebank tag per token.
    public func tag(_ tokens: [String]) -> [String] {
        let context = ["-START-", "-START2-"] + tokens.map(Self.normalize) + ["-END-", "-END2-"]
        var previous = "-START-"
        var previous2 = "-START2-"
        var tags: [String] = []
        tags.reserveCapacity(tokens.count)
        for (i, word) in tokens.enumerated() {
            let tag = tagDictionary[word] ?? predict(features(i, word, context, previous, previous2))
            tags.append(tag)
            previous2 = previous
            previous = tag
        }
        return tags
    }

    /// `PerceptronTagger.normalize`.
    static func normalize(_ word: String) -> String {
        let scalars = word.unicodeScalars
        if scalars.contains("-"), scalars.first != "-" { return "!HYPHEN" }
        if PythonString.isDigit(word) && scalars.count == 4 { return "!YEAR" }
        if let first = scalars.first, PythonString.isDigit(first) { return "!DIGITS" }
        return PythonString.lower(word)
    }

    /// `_get_features` in insertion order with multiplicities.
    private func features(_ i: Int, _ word: String, _ context: [String], _ previous: String, _ previous2: String) -> [(String, Int)] {
        let i = i + 2
        var features: [(String, Int)] = []
        func add(_ parts: String...) {
            let key = parts.joined(separator: " ")
            if let j = features.firstIndex(where: { $0.0 == key }) {
                features[j].1 += 1
            } else {
                features.append((key, 1))
            }
        }
        add("bias")
        add("i suffix", PythonString.suffix(word, 3))
        add("i pref1", PythonString.first(word))
        add("i-1 tag", previous)
        add("i-2 tag", previous2)
        add("i tag+i-2 tag", previous, previous2)
        add("i word", context[i])
        add("i-1 tag+i word", previous, context[i])
        add("i-1 word", context[i - 1])
        add("i-1 suffix", PythonString.suffix(context[i - 1], 3))
        add("i-2 word", context[i - 2])
        add("i+1 word", context[i + 1])
        add("i+1 suffix", PythonString.suffix(context[i + 1], 3))
        add("i+2 word", context[i + 2])
        return features
    }

    private func predict(_ features: [(String, Int)]) -> String {
        var scores = [Double](repeating: 0, count: classes.count)
        for (feature, value) in features where value != 0 {
            guard let row = weights[feature] else { continue }
            for entry in row { scores[entry.tag] += Double(value) * entry.weight }
        }
        var best = 0
        for i in 1..<classes.count where scores[i] >= scores[best] {
            // Classes are sorted, so on a tie the later (greater) label wins, as Python's max does.
            best = i
        }
        return classes[best]
    }
}
