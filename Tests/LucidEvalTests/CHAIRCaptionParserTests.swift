import Foundation
import Testing
@testable import LucidEval

/// Mentions of hand-written captions; the `.opera` expectations were produced by OPERA's
/// chair.py `caption_to_words` under nltk 3.8.1.
@Suite("CHAIR caption parsing")
struct CHAIRCaptionParserTests {
    static func parser(_ variant: CHAIRVocabulary.Variant = .opera) throws -> CHAIRCaptionParser {
        CHAIRCaptionParser(english: try EvalFixtures.english(), vocabulary: CHAIRVocabulary(variant: variant))
    }

    @Test func leadingSpaceSynonymsNeverMatchInOperaButDoWhenFixed() throws {
        let caption = "A man riding a motor bike past a cheesecake."
        let opera = try Self.parser(.opera).mentions(in: caption)
        #expect(opera.objectWords == ["man"])
        #expect(opera.nodeWords == ["person"])
        #expect(opera.tokens.count == 9)
        let fixed = try Self.parser(.fixed).mentions(in: caption)
        #expect(fixed.objectWords == ["man", "motor bike", "cheesecake"])
        #expect(fixed.nodeWords == ["person", "motorcycle", "cake"])
    }

    @Test func stoveTopOvenCountsTwiceInOperaAndOnceWhenFixed() throws {
        let caption = "There is a stove top oven in the kitchen."
        #expect(try Self.parser(.opera).mentions(in: caption).nodeWords == ["oven", "oven"])
        let fixed = try Self.parser(.fixed).mentions(in: caption)
        #expect(fixed.objectWords == ["stove top oven"])
        #expect(fixed.tokens.count == 8)
    }

    @Test func capitalisedIPhoneOnlyMatchesWhenFixed() throws {
        #expect(try Self.parser(.opera).mentions(in: "She is holding an iPhone.").nodeWords.isEmpty)
        #expect(try Self.parser(.fixed).mentions(in: "She is holding an iPhone.").nodeWords == ["cell phone"])
    }

    @Test func toiletRemovesEverySeatAndToiletSeatMerges() throws {
        let parser = try Self.parser()
        #expect(parser.mentions(in: "A seat next to the toilet.").objectWords == ["toilet"])
        let merged = parser.mentions(in: "The toilet seat is up.")
        #expect(merged.objectWords == ["toilet"])
        #expect(merged.tokens.count == 5)
    }

    @Test func qualifiersDoNotFirePersonAndStoppersBlockTrain() throws {
        let parser = try Self.parser()
        #expect(parser.mentions(in: "A baby elephant and an adult giraffe near a passenger train.").nodeWords == ["elephant", "giraffe", "train"])
        #expect(parser.mentions(in: "A train track runs past home plate.").nodeWords.isEmpty)
    }

    @Test func verbLemmasFireObjectsAsInOpera() throws {
        let parser = try Self.parser()
        #expect(parser.mentions(in: "A man seated at a desk.").nodeWords == ["person", "chair", "dining table"])
        let skiing = parser.mentions(in: "A woman skiing down a hill while a dog is tied to a pole.")
        #expect(skiing.objectWords == ["woman", "ski", "dog", "tie"])
        #expect(skiing.nodeWords == ["person", "skis", "dog", "tie"])
    }

    @Test func pluralPhrasesMergeAfterLemmatisation() throws {
        let mentions = try Self.parser().mentions(in: "The people are sitting on chairs around the dining table with wine glasses and hot dogs.")
        #expect(mentions.objectWords == ["people", "chair", "table", "wine glass", "hot dog"])
        #expect(mentions.nodeWords == ["person", "chair", "dining table", "wine glass", "hot dog"])
        #expect(mentions.tokens.count == 15)
        #expect(try Self.parser().mentions(in: "Two teddy bears and a bow tie.").nodeWords == ["teddy bear", "tie"])
    }

    @Test func repeatedSynonymsCountEveryMention() throws {
        let mentions = try Self.parser().mentions(in: "Several motorcycles and scooters are parked near people.")
        #expect(mentions.nodeWords == ["motorcycle", "motorcycle", "person"])
    }

    @Test func emptyCaptionHasNoTokens() throws {
        let mentions = try Self.parser().mentions(in: "")
        #expect(mentions.tokens.isEmpty && mentions.nodeWords.isEmpty)
    }
}
