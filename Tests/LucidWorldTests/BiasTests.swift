import Testing
@testable import LucidWorld

struct BiasTests {
    /// P(b present | a present) over `scenes`, and how many scenes contain `a`.
    private func conditional(_ b: ShapeCategory, given a: ShapeCategory, in scenes: [Scene]) -> (rate: Double, support: Int) {
        let withA = scenes.filter { $0.contains(a) }
        let both = withA.filter { $0.contains(b) }
        return (withA.isEmpty ? 0 : Double(both.count) / Double(withA.count), withA.count)
    }

    @Test func defaultPairsCoOccurAtTheirConfiguredRateInBothDirections() throws {
        let scenes = try ShapesWorld.generate(ShapesWorldConfig(seed: 2024, count: 2000, imageSize: 64))
        for pair in BiasSpec.default.pairs {
            for (a, b) in [(pair.first, pair.second), (pair.second, pair.first)] {
                let (rate, support) = conditional(b, given: a, in: scenes)
                #expect(support > 150, "\(a.name) appears in only \(support) scenes")
                #expect(abs(rate - pair.probability) < 0.08, "P(\(b.name) | \(a.name)) = \(rate), configured \(pair.probability)")
            }
        }
    }

    @Test func aCustomSpecSetsTheRate() throws {
        var config = ShapesWorldConfig(seed: 77, count: 2000, imageSize: 64)
        config.bias = try BiasSpec.parse("fork:knife=0.3,sun:moon=0.95")
        let scenes = try ShapesWorld.generate(config)
        #expect(abs(conditional(.knife, given: .fork, in: scenes).rate - 0.3) < 0.08)
        #expect(abs(conditional(.moon, given: .sun, in: scenes).rate - 0.95) < 0.05)
        // cloud is no longer paired with sun: it co-occurs only at the base rate.
        #expect(conditional(.cloud, given: .sun, in: scenes).rate < 0.25)
    }

    @Test func withoutBiasPartnersAppearOnlyAtTheBaseRate() throws {
        var config = ShapesWorldConfig(seed: 5, count: 2000, imageSize: 64)
        config.bias = .none
        let scenes = try ShapesWorld.generate(config)
        let base = Double(scenes.filter { $0.contains(.knife) }.count) / Double(scenes.count)
        let rate = conditional(.knife, given: .fork, in: scenes).rate
        #expect(rate < base + 0.1, "P(knife | fork) = \(rate), base rate \(base)")
    }

    @Test func probabilityZeroKeepsAPairApartAndOneKeepsItTogether() throws {
        var config = ShapesWorldConfig(seed: 12, count: 1000, imageSize: 64)
        config.bias = try BiasSpec.parse("fork:knife=0,sun:cloud=1")
        let scenes = try ShapesWorld.generate(config)
        #expect(!scenes.contains { $0.contains(.fork) && $0.contains(.knife) })
        #expect(scenes.filter { $0.contains(.sun) }.allSatisfy { $0.contains(.cloud) })
        #expect(scenes.filter { $0.contains(.cloud) }.allSatisfy { $0.contains(.sun) })
    }

    @Test func pairsWithADisabledCategoryAreInactive() {
        var config = ShapesWorldConfig()
        config.categories = [.fork, .knife, .sun]
        #expect(config.activeBiasPairs == [BiasPair(.fork, .knife, probability: 0.85)])
    }
}
