import Foundation
import Testing
@testable import LucidWorld

struct SceneTextTests {
    let config = ShapesWorldConfig(seed: 31, count: 300, imageSize: 64, hazardProbability: 0.1)
    let vocabulary = ShapesWorldVocabulary()

    private func scenes() throws -> [Scene] { try ShapesWorld.generate(config) }

    @Test func groundedDescriptionMentionsExactlyThePresentCategories() throws {
        for scene in try scenes() {
            let text = SceneText(scene: scene, config: config)
            #expect(Set(vocabulary.mentions(in: text.grounded)) == Set(scene.categories), "\(text.grounded)")
            #expect(text.description.hasPrefix(text.grounded))
        }
    }

    @Test func groundedDescriptionStatesEveryObjectsSizeColourAndPosition() throws {
        for scene in try scenes() {
            let text = SceneText(scene: scene, config: config).grounded
            for object in scene.objects {
                let phrase = scene.count(of: object.category) == 1
                    ? "\(object.size.name) \(object.color.name) \(object.category.name)"
                    : "\(object.size.name) \(object.color.name) one \(object.cell.phrase)"
                #expect(text.contains(phrase), "missing '\(phrase)' in: \(text)")
                #expect(text.lowercased().contains(object.cell.phrase), "missing '\(object.cell.phrase)' in: \(text)")
            }
        }
    }

    @Test func groundedDescriptionStatesCounts() throws {
        for scene in try scenes() {
            let text = SceneText(scene: scene, config: config).grounded
            let total = scene.objects.count == 1 ? "a single object" : "\(EnglishText.number(scene.objects.count)) objects"
            #expect(text.contains(total), "missing '\(total)' in: \(text)")
            for category in scene.categories where scene.count(of: category) > 1 {
                let phrase = "\(EnglishText.number(scene.count(of: category))) \(category.plural)"
                #expect(text.lowercased().contains(phrase), "missing '\(phrase)' in: \(text)")
            }
        }
    }

    @Test func captionNamesExactlyThePresentCategories() throws {
        for scene in try scenes() {
            let caption = SceneText(scene: scene, config: config).caption
            #expect(Set(vocabulary.mentions(in: caption)) == Set(scene.categories), "\(caption)")
        }
    }

    @Test func tailObjectMentionsAreAllTracked() throws {
        var hallucinated = 0
        var partnerMentions = 0
        for scene in try scenes() {
            let text = SceneText(scene: scene, config: config)
            #expect(vocabulary.mentions(in: text.tail) == text.tailObjects, "\(text.tail)")
            #expect(text.tailHallucinations == text.tailObjects.filter { !scene.contains($0) })
            if !scene.containsHazard { #expect(text.tailObjects.allSatisfy { !$0.isHazard }) }
            hallucinated += text.tailHallucinations.count
            for object in text.tailHallucinations where scene.categories.contains(where: { config.bias.probability($0, object) != nil }) {
                partnerMentions += 1
            }
        }
        // About half of the tails name an absent object, most often a bias partner.
        #expect(hallucinated > 100 && hallucinated < 200)
        #expect(partnerMentions > 30)
    }

    @Test func tailsNameNoAbsentObjectWhenTheProbabilityIsZero() throws {
        var clean = config
        clean.text.tailAbsentMentionProbability = 0
        for scene in try ShapesWorld.generate(clean) {
            #expect(SceneText(scene: scene, config: clean).tailHallucinations.isEmpty)
        }
    }

    /// Share of tail-invented objects that are bias partners of a present object.
    private func partnerShare(_ options: SceneTextOptions) throws -> (share: Double, invented: Int) {
        var world = config
        world.count = 1500
        world.text = options
        var partners = 0, invented = 0
        for scene in try ShapesWorld.generate(world) {
            let present = Set(scene.categories)
            for object in SceneText(scene: scene, config: world).tailHallucinations {
                invented += 1
                if present.contains(where: { category in world.bias.partners(of: category).contains { $0.category == object } }) { partners += 1 }
            }
        }
        return (Double(partners) / Double(Swift.max(invented, 1)), invented)
    }

    @Test func partnerPreferenceMakesTailsInventMostlyCoOccurrencePartners() throws {
        let defaults = try partnerShare(SceneTextOptions())
        let partnered = try partnerShare(SceneTextOptions(tailPartnerPreference: 1, tailOtherAbsentProbability: 0.25))
        #expect(defaults.share < 0.5, "defaults: \(defaults)")
        #expect(partnered.share > 0.6, "partner-preferring tails: \(partnered)")
        #expect(partnered.invented < defaults.invented, "fewer non-partner inventions means fewer inventions")
    }

    @Test func textOptionsWrittenBeforeThePartnerKeysStillDecode() throws {
        let old = #"{"tailAbsentMentionProbability":0.3,"tailPresentMentionProbability":0.4,"existenceQuestions":2}"#
        let options = try JSONDecoder().decode(SceneTextOptions.self, from: Data(old.utf8))
        #expect(options == SceneTextOptions(tailAbsentMentionProbability: 0.3))
        var bad = SceneTextOptions()
        bad.tailPartnerPreference = 1.5
        #expect(throws: ShapesWorldError.self) { try bad.validate() }
    }

    @Test func questionsHaveCorrectAnswers() throws {
        var kinds = Set<SceneQuestion.Kind>()
        for scene in try scenes() {
            let questions = SceneText(scene: scene, config: config).questions
            let existence = questions.filter { $0.kind == .existence }
            #expect(existence.filter { $0.answer == "yes" }.count == existence.filter { $0.answer == "no" }.count)
            for question in questions {
                kinds.insert(question.kind)
                switch question.kind {
                case .existence:
                    guard let category = question.category else { Issue.record("no category"); continue }
                    #expect(question.answer == (scene.contains(category) ? "yes" : "no"))
                    #expect(question.question.contains(" \(category.name) in the image?"))
                case .count:
                    let expected = question.category.map { scene.count(of: $0) } ?? scene.objects.count
                    #expect(question.answer == String(expected), "\(question.question)")
                case .color:
                    guard let category = question.category else { Issue.record("no category"); continue }
                    let candidates = scene.objects(of: category)
                    let object = candidates.count == 1 ? candidates.first : candidates.first { question.question.contains($0.cell.phrase) }
                    #expect(object?.color.name == question.answer, "\(question.question) → \(question.answer)")
                case .position:
                    guard let category = question.category else { Issue.record("no category"); continue }
                    #expect(scene.objects(of: category).map(\.cell.name) == [question.answer])
                }
            }
        }
        #expect(kinds == Set(SceneQuestion.Kind.allCases))
    }

    @Test func adversarialNegativesPreferAbsentBiasPartners() throws {
        for scene in try scenes() {
            let negatives = SceneText(scene: scene, config: config).questions
                .filter { $0.kind == .existence && $0.answer == "no" }.compactMap(\.category)
            let absentPartners = Set(scene.categories.flatMap { config.bias.partners(of: $0).map(\.category) })
                .filter { !scene.contains($0) }
            if !absentPartners.isEmpty, let first = negatives.first {
                #expect(absentPartners.contains(first))
            }
        }
    }

    @Test func textIsReproducibleAndVaried() throws {
        let all = try scenes()
        let first = all.map { SceneText(scene: $0, config: config) }
        let second = all.map { SceneText(scene: $0, config: config) }
        #expect(first == second)
        let openings = Set(first.map { $0.grounded.prefix(12) })
        #expect(openings.count >= 3)
        #expect(Set(first.map { $0.caption.prefix(8) }).count >= 4)
    }

    @Test func englishHelpersUseTheRightArticleAndList() {
        #expect(EnglishText.withArticle("orange cup") == "an orange cup")
        #expect(EnglishText.withArticle("large apple") == "a large apple")
        #expect(EnglishText.list(["a", "b", "c"]) == "a, b and c")
        #expect(POPESampler.question(for: .apple) == "Is there an apple in the image?")
        #expect(ShapeCategory.knife.plural == "knives" && ShapeCategory.fish.plural == "fish" && ShapeCategory.box.plural == "boxes")
    }
}
