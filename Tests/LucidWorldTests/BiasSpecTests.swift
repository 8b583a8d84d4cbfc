import Foundation
import Testing
@testable import LucidWorld

struct BiasSpecTests {
    @Test func parsesPairsAndPrintsThemBack() throws {
        let spec = try BiasSpec.parse(" fork:knife=0.85, Sun:clouds=0.8 ")
        #expect(spec.pairs == [BiasPair(.fork, .knife, probability: 0.85), BiasPair(.sun, .cloud, probability: 0.8)])
        #expect(spec.description == "fork:knife=0.85,sun:cloud=0.8")
        #expect(try BiasSpec.parse(spec.description) == spec)
        #expect(spec.probability(.knife, .fork) == 0.85)
        #expect(spec.partners(of: .cloud).map(\.category) == [.sun])
    }

    @Test func defaultAndNoneAreKeywords() throws {
        #expect(try BiasSpec.parse("default") == BiasSpec.default)
        #expect(try BiasSpec.parse("none") == BiasSpec.none)
        #expect(try BiasSpec.parse("") == BiasSpec.none)
        let extended = try BiasSpec.parse("default,fork:knife=0.5,key:box=0.6")
        #expect(extended.probability(.fork, .knife) == 0.5)
        #expect(extended.probability(.key, .box) == 0.6)
        #expect(extended.pairs.count == BiasSpec.default.pairs.count + 1)
    }

    @Test func theDefaultSetUsesEachCategoryOnce() {
        let categories = BiasSpec.default.pairs.flatMap { [$0.first, $0.second] }
        #expect(Set(categories).count == categories.count)
        #expect(BiasSpec.default.pairs.count >= 8)
    }

    @Test func badSpecsGiveClearErrors() {
        func error(_ text: String) -> BiasSpecError? {
            do {
                _ = try BiasSpec.parse(text)
                return nil
            } catch {
                return error
            }
        }
        #expect(error("fork:knife=0.85,,sun:cloud=0.8") == .emptyEntry(position: 2))
        #expect(error("fork:knife=0.85,") == .emptyEntry(position: 2))
        #expect(error("fork:knife") == .missingProbability(position: 1, entry: "fork:knife"))
        #expect(error("fork=0.5") == .malformedPair(position: 1, entry: "fork=0.5"))
        #expect(error("fork:knife:cup=0.5") == .malformedPair(position: 1, entry: "fork:knife:cup=0.5"))
        #expect(error("fork:knife=0.5=1") == .malformedPair(position: 1, entry: "fork:knife=0.5=1"))
        #expect(error("fork:knif=0.5") == .unknownCategory(position: 1, name: "knif", suggestion: "knife"))
        #expect(error("fork:giraffe=0.5") == .unknownCategory(position: 1, name: "giraffe", suggestion: nil))
        #expect(error("fork:forks=0.5") == .selfPair(position: 1, category: "fork"))
        #expect(error("fork:knife=1.5") == .invalidProbability(position: 1, entry: "fork:knife=1.5", value: "1.5"))
        #expect(error("fork:knife=high") == .invalidProbability(position: 1, entry: "fork:knife=high", value: "high"))
        #expect(error("fork:knife=nan") == .invalidProbability(position: 1, entry: "fork:knife=nan", value: "nan"))
        #expect(error("fork:knife=0.5,knife:fork=0.6") == .duplicatePair(position: 2, first: "knife", second: "fork"))
        #expect(error("none,fork:knife=0.5") == .noneNotAlone)
    }

    @Test func errorDescriptionsNameTheEntryAndTheExpectedSyntax() {
        let missing = BiasSpecError.missingProbability(position: 1, entry: "fork:knife").description
        #expect(missing.contains("'fork:knife'") && missing.contains("CATEGORY:CATEGORY=PROBABILITY"))
        let unknown = BiasSpecError.unknownCategory(position: 3, name: "knif", suggestion: "knife").description
        #expect(unknown.contains("entry 3") && unknown.contains("did you mean 'knife'") && unknown.contains("umbrella"))
        let range = BiasSpecError.invalidProbability(position: 2, entry: "a:b=2", value: "2").description
        #expect(range.contains("between 0 and 1"))
    }

    @Test func theSpecRoundTripsThroughJSONAsText() throws {
        let config = ShapesWorldConfig(bias: try BiasSpec.parse("fork:knife=0.85"))
        let data = try JSONEncoder().encode(config)
        #expect(String(decoding: data, as: UTF8.self).contains("\"fork:knife=0.85\""))
        #expect(try JSONDecoder().decode(ShapesWorldConfig.self, from: data) == config)
    }

    @Test func validatingInitializerRejectsBadPairs() {
        #expect(throws: BiasSpecError.self) { try BiasSpec(pairs: [BiasPair(.cup, .cup, probability: 0.5)]) }
        #expect(throws: BiasSpecError.self) { try BiasSpec(pairs: [BiasPair(.cup, .key, probability: -1)]) }
        #expect(throws: BiasSpecError.self) {
            try BiasSpec(pairs: [BiasPair(.cup, .key, probability: 0.5), BiasPair(.key, .cup, probability: 0.5)])
        }
    }
}
