import Foundation
import Testing
@testable import LucidEval

@Suite("Averaged-perceptron tagger")
struct PerceptronTaggerTests {
    @Test func tagsNLTKsDocumentedExamples() throws {
        let tagger = try EvalFixtures.english().tagger
        #expect(tagger.tag("The quick brown fox jumps over the lazy dog".split(separator: " ").map(String.init))
            == ["DT", "JJ", "NN", "NN", "VBZ", "IN", "DT", "JJ", "NN"])
        #expect(tagger.tag(["The", "red", "cat"]) == ["DT", "JJ", "NN"])
    }

    @Test func tagsCaptionVerbsThatDecideCHAIRObjects() throws {
        let english = try EvalFixtures.english()
        #expect(english.posTag(["a", "man", "seated", "at", "a", "desk", "."]) == ["DT", "NN", "VBN", "IN", "DT", "NN", "."])
        #expect(english.posTag(["a", "woman", "skiing", "down", "a", "hill"]) == ["DT", "NN", "VBG", "RP", "DT", "NN"])
    }

    @Test func normalisationMapsHyphensYearsAndDigits() {
        #expect(PerceptronTagger.normalize("well-known") == "!HYPHEN")
        #expect(PerceptronTagger.normalize("-5") == "-5")
        #expect(PerceptronTagger.normalize("1999") == "!YEAR")
        #expect(PerceptronTagger.normalize("12") == "!DIGITS")
        #expect(PerceptronTagger.normalize("3rd") == "!DIGITS")
        #expect(PerceptronTagger.normalize("Dog") == "dog")
        #expect(PerceptronTagger.normalize("") == "")
    }

    @Test func tiesGoToTheGreatestTagAndTheDictionaryWins() throws {
        let tagger = try PerceptronTagger(weights: ["bias": ["A": 1, "B": 1]], tagDictionary: ["x": "A"], classes: ["B", "A"])
        #expect(tagger.tag(["y", "x"]) == ["B", "A"])
        let scored = try PerceptronTagger(weights: ["bias": ["A": 0.5], "i word y": ["B": 0.25, "A": -0.5]], tagDictionary: [:], classes: ["A", "B"])
        #expect(scored.tag(["y"]) == ["B"])
        #expect(scored.tag(["z"]) == ["A"])
    }

    @Test func weightsWithATagOutsideTheClassesAreRejected() {
        #expect(throws: EvalError.invalidField(path: "tagger weights", line: nil, field: "bias", reason: "uses tag C outside the classes")) {
            try PerceptronTagger(weights: ["bias": ["C": 1]], tagDictionary: [:], classes: ["A"])
        }
    }

    @Test func missingModelDirectoryNamesWhatIsMissing() {
        let directory = URL(fileURLWithPath: "/nonexistent/lucid/nltk")
        #expect {
            try NLTKEnglish(nltkDirectory: directory)
        } throws: { error in
            guard case let .missingResource(_, path, _) = error as? EvalError else { return false }
            return path == directory.path
        }
    }
}

@Suite("WordNet morphy")
struct WordNetMorphyTests {
    @Test func regularSuffixRulesPerPartOfSpeech() throws {
        let wordnet = try EvalFixtures.english().lemmatizer
        #expect(wordnet.lemmatize("glasses", as: .noun) == "glass")
        #expect(wordnet.lemmatize("dishes", as: .noun) == "dish")
        #expect(wordnet.lemmatize("leaves", as: .noun) == "leaf")
        #expect(wordnet.lemmatize("leaves", as: .verb) == "leave")
        #expect(wordnet.lemmatize("skiing", as: .verb) == "ski")
        #expect(wordnet.lemmatize("seated", as: .verb) == "seat")
        #expect(wordnet.lemmatize("tied", as: .verb) == "tie")
        #expect(wordnet.lemmatize("happier", as: .adjective) == "happy")
    }

    @Test func exceptionListsReplaceTheRules() throws {
        let wordnet = try EvalFixtures.english().lemmatizer
        #expect(wordnet.lemmatize("women", as: .noun) == "woman")
        #expect(wordnet.lemmatize("geese", as: .noun) == "goose")
        #expect(wordnet.lemmatize("was", as: .verb) == "be")
        #expect(wordnet.lemmatize("better", as: .adjective) == "good")
        #expect(wordnet.lemmatize("better", as: .adverb) == "well")
    }

    @Test func shortestCandidateWinsAndKnownFormsStay() throws {
        let wordnet = try EvalFixtures.english().lemmatizer
        #expect(wordnet.lemmatize("axes", as: .noun) == "ax")
        #expect(wordnet.lemmatize("was", as: .noun) == "wa")
        #expect(wordnet.lemmatize("men", as: .noun) == "men")
        #expect(wordnet.lemmatize("people", as: .noun) == "people")
        #expect(wordnet.lemmatize("news", as: .noun) == "news")
        #expect(wordnet.lemmatize("ss", as: .noun) == "s")
    }

    @Test func unknownWordsComeBackUnchanged() throws {
        let wordnet = try EvalFixtures.english().lemmatizer
        #expect(wordnet.lemmatize("glorfs", as: .noun) == "glorfs")
        #expect(wordnet.lemmatize("xyzzyq", as: .verb) == "xyzzyq")
        #expect(wordnet.lemmatize("", as: .noun) == "")
        #expect(wordnet.lemmatize("skiing", as: .adverb) == "skiing")
    }

    @Test func missingWordNetDirectoryExplainsHowToInstallIt() {
        #expect {
            try WordNetLemmatizer(directory: URL(fileURLWithPath: "/nonexistent/wordnet"))
        } throws: { error in
            guard case let .missingResource(name, _, hint) = error as? EvalError else { return false }
            return name == "WordNet 3.0" && hint.contains("wordnet-base")
        }
    }
}
