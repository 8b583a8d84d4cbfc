import Foundation
import Testing
@testable import LucidEval

/// The Swift text pipeline against golden files written by real NLTK 3.8.1
/// (`scripts/make_eval_nltk_oracle.py`).
@Suite("NLTK 3.8.1 oracle")
struct NLTKOracleTests {
    @Test func wordTokenizeTagAndLemmatizeMatchNLTKOnAll500Captions() throws {
        let english = try EvalFixtures.english()
        let captions = try EvalFixtures.jsonLines("chair", "instructblip_greedy.jsonl")
        let oracle = try EvalFixtures.jsonLines("nltk", "nltk_oracle_captions.jsonl")
        #expect(captions.count == 500 && oracle.count == 500)
        var tokenMismatches: [Int] = [], tagMismatches: [Int] = [], lemmaMismatches: [Int] = []
        for (i, (caption, expected)) in zip(captions, oracle).enumerated() {
            let text = PythonString.lower(caption.value(forKey: "caption")?.stringValue ?? "")
            let (tokens, tags, lemmas) = english.analyse(text)
            if tokens != EvalFixtures.strings(expected.value(forKey: "tokens")) { tokenMismatches.append(i) }
            if tags != EvalFixtures.strings(expected.value(forKey: "tags")) { tagMismatches.append(i) }
            if lemmas != EvalFixtures.strings(expected.value(forKey: "lemmas")) { lemmaMismatches.append(i) }
        }
        #expect(tokenMismatches.isEmpty)
        #expect(tagMismatches.isEmpty)
        #expect(lemmaMismatches.isEmpty)
    }

    @Test func edgeCaseSentencesTokensAndTagsMatchNLTK() throws {
        let english = try EvalFixtures.english()
        for case let row in try EvalFixtures.jsonLines("nltk", "nltk_oracle_edge_cases.jsonl") {
            let text = row.value(forKey: "text")?.stringValue ?? ""
            let tokens = english.wordTokenize(text)
            #expect(english.sentenceTokenizer.tokenize(text) == EvalFixtures.strings(row.value(forKey: "sentences")), "\(text)")
            #expect(tokens == EvalFixtures.strings(row.value(forKey: "tokens")), "\(text)")
            #expect(english.posTag(tokens) == EvalFixtures.strings(row.value(forKey: "tags")), "\(text)")
        }
    }

    @Test func lemmatizeMatchesNLTKForEveryPartOfSpeech() throws {
        let lemmatizer = try EvalFixtures.english().lemmatizer
        var mismatches: [String] = []
        let rows = try EvalFixtures.jsonLines("nltk", "nltk_oracle_morphy.jsonl")
        #expect(rows.count > 4000)
        for row in rows {
            let word = row.value(forKey: "word")?.stringValue ?? ""
            for pos in WordNetLemmatizer.PartOfSpeech.allCases {
                let expected = row.value(forKey: pos.rawValue)?.stringValue
                let actual = lemmatizer.lemmatize(word, as: pos)
                if actual != expected { mismatches.append("\(word)/\(pos.rawValue): \(actual) vs \(expected ?? "nil")") }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20))")
    }
}
