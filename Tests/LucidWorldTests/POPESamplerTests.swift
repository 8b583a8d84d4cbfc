import Testing
@testable import LucidWorld

struct POPESamplerTests {
    private func scenes() throws -> [Scene] {
        try ShapesWorld.generate(ShapesWorldConfig(seed: 13, count: 400, imageSize: 64))
    }

    @Test func everyStrategyIsBalancedAndAsksAboutAbsentObjectsForNo() throws {
        let scenes = try scenes()
        let byFile = Dictionary(uniqueKeysWithValues: scenes.map { ($0.fileName, $0) })
        for strategy in POPESampler.Strategy.allCases {
            let items = POPESampler().build(scenes, strategy: strategy)
            #expect(items.map(\.questionID) == Array(1 ... items.count))
            #expect(items.filter { $0.label == "yes" }.count * 2 == items.count)
            for item in items {
                let present = byFile[item.image]?.contains(item.category) ?? false
                #expect(present == (item.label == "yes"))
            }
            // At most three positives per image, each followed by its negative.
            let perImage = Dictionary(grouping: items, by: \.image)
            #expect(perImage.values.allSatisfy { $0.count <= 6 && Set($0.map(\.category)).count == $0.count })
        }
    }

    @Test func popularNegativesAreTheMostFrequentAbsentCategories() throws {
        let scenes = try scenes()
        let statistics = POPESampler.Statistics(scenes)
        let items = POPESampler().build(scenes, strategy: .popular)
        let top = Array(statistics.byFrequency.prefix(8))
        let negatives = items.filter { $0.label == "no" }
        #expect(negatives.allSatisfy { top.contains($0.category) })
    }

    @Test func adversarialNegativesFollowCoOccurrence() throws {
        let scenes = try scenes()
        let byFile = Dictionary(uniqueKeysWithValues: scenes.map { ($0.fileName, $0) })
        let items = POPESampler().build(scenes, strategy: .adversarial)
        var forkWithoutKnife = 0
        var knifeNegatives = 0
        for index in stride(from: 0, to: items.count, by: 2) where items[index].category == .fork {
            guard let scene = byFile[items[index].image], !scene.contains(.knife) else { continue }
            forkWithoutKnife += 1
            if items[index + 1].category == .knife { knifeNegatives += 1 }
        }
        // The knife co-occurs with the fork most, so it is the negative whenever it is absent.
        #expect(forkWithoutKnife >= 3)
        #expect(knifeNegatives == forkWithoutKnife)
        let randomItems = POPESampler().build(scenes, strategy: .random)
        #expect(randomItems.filter { $0.label == "no" }.map(\.category) != items.filter { $0.label == "no" }.map(\.category))
    }

    @Test func samplingIsSeeded() throws {
        let scenes = try scenes()
        #expect(POPESampler(seed: 1).build(scenes, strategy: .random) == POPESampler(seed: 1).build(scenes, strategy: .random))
        #expect(POPESampler(seed: 1).build(scenes, strategy: .random) != POPESampler(seed: 2).build(scenes, strategy: .random))
    }
}
