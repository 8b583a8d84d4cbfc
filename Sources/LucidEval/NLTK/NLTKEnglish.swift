import Foundation

/// NLTK 3.8.1's English text pipeline: `word_tokenize`, `pos_tag` and the WordNet lemmatizer,
/// loaded from data files at run time.
///
/// Expected layout of `nltkDirectory` (Lucid ships it as `Data/nltk/`):
/// `punkt_tab_english/{abbrev_types.txt,collocations.tab,ortho_context.tab,sent_starters.txt}` and
/// `averaged_perceptron_tagger_eng/averaged_perceptron_tagger_eng.{weights,tagdict,classes}.json`.
/// WordNet 3.0 comes from Debian's `wordnet-base` (`/usr/share/wordnet` by default).
public final class NLTKEnglish: Sendable {
    /// `Data/nltk`, relative to the current directory (the repository root when run from it).
    public static let defaultDirectory = URL(fileURLWithPath: "Data/nltk")

    /// Where Lucid's NLTK model files are: `explicit` when given, else `$LUCID_NLTK_DATA`, `./Data/nltk`,
    /// or `Data/nltk` of the repository the running binary was built in (`<repo>/.build/<triple>/<configuration>/lucid`),
    /// else `defaultDirectory`.
    public static func dataDirectory(_ explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let explicit { return URL(fileURLWithPath: explicit) }
        if let variable = environment["LUCID_NLTK_DATA"], !variable.isEmpty { return URL(fileURLWithPath: variable) }
        if FileManager.default.fileExists(atPath: defaultDirectory.path) { return defaultDirectory }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = url.appendingPathComponent("Data/nltk")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            url.deleteLastPathComponent()
        }
        return defaultDirectory
    }
    /// Sub-directory holding the Punkt parameters.
    public static let punktSubdirectory = "punkt_tab_english"
    /// Sub-directory holding the tagger model.
    public static let taggerSubdirectory = "averaged_perceptron_tagger_eng"

    public let sentenceTokenizer: PunktSentenceTokenizer
    public let wordTokenizer: TreebankWordTokenizer
    public let tagger: PerceptronTagger
    public let lemmatizer: WordNetLemmatizer

    /// Loads the Punkt parameters and tagger from `nltkDirectory` and WordNet from `wordNetDirectory`.
    public convenience init(nltkDirectory: URL = NLTKEnglish.defaultDirectory,
                            wordNetDirectory: URL = WordNetLemmatizer.defaultDirectory) throws(EvalError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: nltkDirectory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .missingResource(name: "NLTK English models", path: nltkDirectory.path,
                                   hint: "Pass the directory holding \(Self.punktSubdirectory)/ and \(Self.taggerSubdirectory)/ (Lucid's Data/nltk).")
        }
        let punkt = try PunktParameters(directory: nltkDirectory.appendingPathComponent(Self.punktSubdirectory))
        let tagger = try PerceptronTagger(directory: nltkDirectory.appendingPathComponent(Self.taggerSubdirectory))
        let lemmatizer = try WordNetLemmatizer(directory: wordNetDirectory)
        self.init(sentenceTokenizer: PunktSentenceTokenizer(parameters: punkt), tagger: tagger, lemmatizer: lemmatizer)
    }

    /// A pipeline from already loaded parts.
    public init(sentenceTokenizer: PunktSentenceTokenizer, tagger: PerceptronTagger, lemmatizer: WordNetLemmatizer) {
        self.sentenceTokenizer = sentenceTokenizer
        self.wordTokenizer = TreebankWordTokenizer()
        self.tagger = tagger
        self.lemmatizer = lemmatizer
    }

    /// `nltk.word_tokenize(text)`: Punkt sentences, each split by the Treebank tokenizer.
    public func wordTokenize(_ text: String) -> [String] {
        sentenceTokenizer.tokenize(text).flatMap { wordTokenizer.tokenize($0) }
    }

    /// `nltk.pos_tag(tokens)`.
    public func posTag(_ tokens: [String]) -> [String] {
        tagger.tag(tokens)
    }

    /// OPERA's `get_wordnet_pos(tag) or wordnet.NOUN`: J→adjective, V→verb, N→noun, R→adverb,
    /// anything else noun.
    public static func wordNetPOS(forTag tag: String) -> WordNetLemmatizer.PartOfSpeech {
        switch tag.unicodeScalars.first {
        case "J": return .adjective
        case "V": return .verb
        case "R": return .adverb
        default: return .noun
        }
    }

    /// Tokens, tags and OPERA-style lemmas of `text` (no lower-casing here).
    public func analyse(_ text: String) -> (tokens: [String], tags: [String], lemmas: [String]) {
        let tokens = wordTokenize(text)
        let tags = posTag(tokens)
        let lemmas = zip(tokens, tags).map { lemmatizer.lemmatize($0, as: Self.wordNetPOS(forTag: $1)) }
        return (tokens, tags, lemmas)
    }
}
