import Foundation
import Testing
@testable import LucidEval

@Suite("POPE question building")
struct POPEBuilderTests {
    static func oracleLines(_ name: String) throws -> [String] {
        let url = try EvalFixtures.url("pope", name)
        return PythonString.textLines(try #require(String(data: try Data(contentsOf: url), encoding: .utf8)))
    }

    /// Golden files written by POPE's own main.py (scripts/make_pope_oracle.py), seed 2023, 60 images.
    @Test func seededBuildEqualsPOPEsCodeOnInstructBLIPObjects() throws {
        let images = try POPEImage.loadObjectList(from: try EvalFixtures.url("chair", "gt_objects_instructblip.json"), naming: .coco(split: "val2014"))
        var builder = POPEBuilder()
        builder.seed = 2023
        builder.imageCount = 60
        builder.articleRule = .popeCode
        builder.vocabulary = POPEBuilder.cocoCategories
        let sets = try builder.build(images)
        #expect(sets.map(\.strategy) == [.random, .popular, .adversarial])
        for set in sets {
            #expect(set.questions.map(\.jsonLine) == (try Self.oracleLines("instructblip500_pope_\(set.strategy.rawValue).json")))
        }
    }

    @Test func seededBuildEqualsPOPEsCodeWhenAdversarialFallsBackToRandom() throws {
        let images = try POPEImage.loadObjectList(from: try EvalFixtures.url("pope", "tiny_objects.json"), naming: .coco(split: "val2014"))
        var builder = POPEBuilder()
        builder.seed = 7
        builder.imageCount = 4
        for set in try builder.build(images) {
            #expect(set.questions.map(\.jsonLine) == (try Self.oracleLines("tiny_pope_\(set.strategy.rawValue).json")))
        }
    }

    @Test func everyImageGetsAlternatingYesNoQuestionsWithBalancedLabels() throws {
        let images = try POPEImage.loadObjectList(from: try EvalFixtures.url("chair", "gt_objects_instructblip.json"))
        var builder = POPEBuilder()
        builder.imageCount = 100
        for set in try builder.build(images) {
            #expect(set.questions.count == 600)
            #expect(set.questions.map(\.questionID) == Array(1...600))
            #expect(set.questions.enumerated().allSatisfy { $0.element.label == ($0.offset % 2 == 0 ? "yes" : "no") })
            for start in stride(from: 0, to: 600, by: 6) {
                let block = set.questions[start..<start + 6]
                #expect(Set(block.map(\.image)).count == 1)
                #expect(Set(block.map(\.text)).count == 6)
            }
        }
    }

    @Test func articleRuleFixedOnlyChangesTheArticle() {
        var builder = POPEBuilder()
        #expect(builder.question(for: "umbrella") == "Is there an umbrella in the image?")
        #expect(builder.question(for: "dog") == "Is there a dog in the image?")
        builder.articleRule = .popeCode
        #expect(builder.question(for: "umbrella") == "Is there an umbrella in the imange?")
        #expect(builder.question(for: "dog") == "Is there a dog in the image?")
    }

    @Test func impossibleRequestsThrowInsteadOfLoopingForever() throws {
        var builder = POPEBuilder()
        builder.imageCount = 3
        let few = [POPEImage(image: "a", objects: ["cat", "dog", "tv"]), POPEImage(image: "b", objects: ["cat", "dog"])]
        #expect(throws: EvalError.samplingImpossible("only 1 images have at least 3 objects; 3 were asked for")) {
            try builder.build(few)
        }
        builder.imageCount = 2
        let same = [POPEImage(image: "a", objects: ["cat", "dog", "tv"]), POPEImage(image: "b", objects: ["tv", "cat", "dog"])]
        #expect {
            try builder.build(same, strategies: [.random])
        } throws: { error in
            guard case .samplingImpossible = error as? EvalError else { return false }
            return true
        }
    }

    @Test func objectsOutsideTheVocabularyAndBadTemplatesAreRejected() {
        var builder = POPEBuilder()
        builder.vocabulary = POPEBuilder.cocoCategories
        #expect(throws: EvalError.unknownObject(name: "unicorn", source: "image x")) {
            try builder.build([POPEImage(image: "x", objects: ["cat", "unicorn", "dog"])])
        }
        builder.template = "Is there a thing?"
        #expect(throws: EvalError.invalidArgument("the template must contain exactly one {} placeholder: Is there a thing?")) {
            try builder.build([])
        }
    }

    @Test func segmentationFilesAndObjectListsLoadInFileOrder() throws {
        let url = try EvalFixtures.temporaryFile("""
        {"image": "b.jpg", "objects": ["tv", "cat"]}
        {"image": "a.jpg", "objects": []}
        """)
        #expect(try POPEImage.loadSegmentation(from: url) == [POPEImage(image: "b.jpg", objects: ["tv", "cat"]), POPEImage(image: "a.jpg", objects: [])])
        let list = try EvalFixtures.temporaryFile(#"{"9": ["dog"], "10": ["cat"], "2": []}"#, name: "objects.json")
        #expect(try POPEImage.loadObjectList(from: list).map(\.image) == ["9", "10", "2"])
        #expect(try POPEImage.loadObjectList(from: list, naming: .coco(split: "val2014")).first?.image == "COCO_val2014_000000000009.jpg")
        let bad = try EvalFixtures.temporaryFile(#"{"x": ["dog"]}"#, name: "objects.json")
        #expect(throws: EvalError.invalidField(path: bad.path, line: nil, field: "x", reason: "is not a non-negative integer id, as COCO naming needs")) {
            try POPEImage.loadObjectList(from: bad, naming: .coco(split: "val2014"))
        }
    }

    @Test func vocabulariesLoadFromJSONArraysOrLines() throws {
        #expect(try POPEBuilder.loadVocabulary(from: try EvalFixtures.temporaryFile(#"["dog", "cat"]"#, name: "v.json")) == ["dog", "cat"])
        #expect(try POPEBuilder.loadVocabulary(from: try EvalFixtures.temporaryFile("dog\n\n cat \n", name: "v.txt")) == ["dog", "cat"])
        let bad = try EvalFixtures.temporaryFile(#"["dog", 3]"#, name: "v.json")
        #expect(throws: EvalError.invalidField(path: bad.path, line: nil, field: "(document)", reason: "holds a value that is not a category name")) {
            try POPEBuilder.loadVocabulary(from: bad)
        }
    }

    @Test func questionFilesRoundTrip() throws {
        let questions = [POPEQuestion(questionID: 1, image: "x.jpg", text: "Is there a café?", label: "yes")]
        let url = try EvalFixtures.temporaryFile("")
        try POPEQuestion.write(questions, to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == #"{"question_id": 1, "image": "x.jpg", "text": "Is there a caf\u00e9?", "label": "yes"}"# + "\n")
        #expect(try POPEQuestion.load(from: url) == questions)
    }
}
