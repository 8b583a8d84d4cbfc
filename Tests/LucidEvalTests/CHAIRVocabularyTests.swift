import Foundation
import Testing
@testable import LucidEval

@Suite("CHAIR vocabulary")
struct CHAIRVocabularyTests {
    @Test func operaVariantHasChairPysSizesAndEmptyString() {
        let vocabulary = CHAIRVocabulary(variant: .opera)
        #expect(vocabulary.categories.count == 80)
        #expect(vocabulary.nodeWords.count == 404)
        #expect(vocabulary.doubleWords.count == 55)
        #expect(vocabulary.nodeWords[""] == "")
        #expect(vocabulary.categories.first == "person" && vocabulary.categories.last == "toothbrush")
    }

    @Test func operaVariantKeepsTheLeadingSpaceAndCapitalQuirks() {
        let vocabulary = CHAIRVocabulary(variant: .opera)
        #expect(vocabulary.nodeWords[" motor bike"] == "motorcycle")
        #expect(vocabulary.nodeWords["motor bike"] == nil)
        #expect(vocabulary.nodeWords[" cheesecake"] == "cake")
        #expect(vocabulary.nodeWords["cheesecake"] == nil)
        #expect(vocabulary.nodeWords["iPhone"] == "cell phone")
        #expect(vocabulary.nodeWords["iphone"] == nil)
        #expect(vocabulary.tripleWords.isEmpty)
    }

    @Test func fixedVariantRepairsExactlyTheFourParsingQuirks() {
        let vocabulary = CHAIRVocabulary(variant: .fixed)
        #expect(vocabulary.nodeWords["motor bike"] == "motorcycle")
        #expect(vocabulary.nodeWords["cheesecake"] == "cake")
        #expect(vocabulary.nodeWords["iphone"] == "cell phone")
        #expect(vocabulary.nodeWords[""] == nil)
        #expect(vocabulary.tripleWords == ["stove top oven": "stove top oven"])
        #expect(vocabulary.nodeWords.count == 403)
        #expect(vocabulary.categories == CHAIRVocabulary(variant: .opera).categories)
        #expect(vocabulary.doubleWords == CHAIRVocabulary(variant: .opera).doubleWords)
    }

    @Test func doubleWordRulesMapQualifiedAnimalsAndVehicles() {
        let words = CHAIRVocabulary().doubleWords
        #expect(words["baby cub"] == "cub")
        #expect(words["adult bear"] == "bear")
        #expect(words["passenger jet"] == "jet")
        #expect(words["bow tie"] == "tie")
        #expect(words["toilet seat"] == "toilet")
        #expect(words["wine glas"] == "wine glass")
        #expect(words["home plate"] == "home plate")
    }

    @Test func categoryOfAcceptsNodeWordsAndSynonymsButNotTheEmptyString() {
        let vocabulary = CHAIRVocabulary()
        #expect(vocabulary.category(of: "sofa") == "couch")
        #expect(vocabulary.category(of: "dining table") == "dining table")
        #expect(vocabulary.category(of: "") == nil)
        #expect(vocabulary.category(of: "unicorn") == nil)
    }
}
