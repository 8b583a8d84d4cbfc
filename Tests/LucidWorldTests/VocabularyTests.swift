import Testing
@testable import LucidWorld

struct VocabularyTests {
    @Test func thereAreAtLeast24OrdinaryCategoriesAndFourHazards() {
        #expect(ShapeCategory.ordinary.count >= 24)
        #expect(ShapeCategory.hazards == [.skull, .bomb, .gun, .syringe])
        #expect(ShapeCategory.allCases.map(\.id) == Array(1 ... ShapeCategory.allCases.count))
        #expect(ShapeCategory(name: "Knives") == .knife)
        #expect(ShapeCategory(name: "giraffe") == nil)
    }

    @Test func everyVariantMapsToOneCategory() {
        var owner: [String: ShapeCategory] = [:]
        for category in ShapeCategory.allCases {
            let variants = ShapesWorldVocabulary.variants(of: category)
            #expect(variants.first == category.name)
            #expect(variants.contains(category.plural))
            for variant in variants {
                #expect(owner[variant] == nil, "'\(variant)' belongs to two categories")
                owner[variant] = category
            }
        }
        let vocabulary = ShapesWorldVocabulary()
        #expect(vocabulary.words["mugs"] == .cup && vocabulary.words["alarm clock"] == .clock)
    }

    @Test func synonymsTextHasCHAIRsFormat() {
        let text = ShapesWorldVocabulary().synonymsText
        let lines = text.split(separator: "\n")
        #expect(lines.count == ShapeCategory.allCases.count)
        #expect(lines.first == "ball, balls, beach ball, beach balls")
        #expect(text.hasSuffix("\n"))
        for (line, category) in zip(lines, ShapeCategory.allCases) {
            #expect(line.components(separatedBy: ", ").first == category.name)
        }
    }

    @Test func mentionsFindWordsPluralsAndPhrases() {
        let vocabulary = ShapesWorldVocabulary()
        #expect(vocabulary.mentions(in: "Two Mugs and a top hat, next to knives; a starry sky.") == [.cup, .hat, .knife])
        #expect(vocabulary.mentions(in: "An alarm clock rings.") == [.clock])
        #expect(ShapesWorldVocabulary(categories: [.cup]).mentions(in: "a cup and a knife") == [.cup])
    }

    @Test func aSingleWordNamesItsCategoryInAnyCaseOrNumber() {
        let vocabulary = ShapesWorldVocabulary()
        #expect(vocabulary.category(of: "Mugs") == ShapeCategory.cup.name)
        #expect(vocabulary.category(of: "cup") == ShapeCategory.cup.name)
        #expect(vocabulary.category(of: "CRATE") == ShapeCategory.box.name)
        #expect(vocabulary.category(of: "table") == nil)
        #expect(ShapesWorldVocabulary(categories: [.box]).category(of: "mug") == nil)
    }
}
