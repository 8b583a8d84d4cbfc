import Testing
@testable import LucidGeneration
@testable import LucidTensor

/// The sampling options at the edges of their documented ranges (docs/security.md, "Flags"): each
/// extreme value Lucid accepts means what its definition says, as in transformers' warpers, and
/// the one it cannot sample is a typed error. These pin why `lucid generate` accepts them.
/// A subnormal Double (~1e-320), built at run time: the literal would warn that it loses precision.
private let subnormal = Double.leastNonzeroMagnitude * 2024

@Suite("Sampling options at their extremes")
struct SamplingExtremesTests {
    /// Two rows over a 7-token vocabulary with a unique maximum per row.
    static var logits: Tensor { Tensor([0.5, -1.25, 3.0, 2.5, 0.0, -4.0, 1.0,
                                        2.0, 2.25, -0.5, 0.75, 5.5, -3.0, 1.5]).reshaped([2, 7]) }

    static func finiteCount(_ row: [Double]) -> Int { row.filter(\.isFinite).count }

    @Test(arguments: [7, 8, 1 << 30, Int.max])
    func topKOfAtLeastTheVocabularyKeepsEveryToken(_ k: Int) {
        let kept = LogitsWarpers.topK(Self.logits, k).toArray(Double.self)
        #expect(kept == Self.logits.toArray(Double.self))
    }

    @Test func topKBelowTheVocabularyStillFilters() {
        let kept = LogitsWarpers.topK(Self.logits, 6).toArray(Double.self)
        #expect(Self.finiteCount(Array(kept[0..<7])) == 6 && Self.finiteCount(Array(kept[7..<14])) == 6)
    }

    @Test(arguments: [subnormal, 1e-9, Double.leastNonzeroMagnitude])
    func aVanishingTopPKeepsOnlyTheMostLikelyToken(_ p: Double) {
        let kept = LogitsWarpers.topP(Self.logits, p).toArray(Double.self)
        let rows = [Array(kept[0..<7]), Array(kept[7..<14])]
        #expect(rows.map(Self.finiteCount) == [1, 1])
        #expect(rows[0][2] == 3.0 && rows[1][4] == 5.5)
    }

    @Test(arguments: [9.223372036854775807e18, 1e300])
    func aHugeTemperatureSamplesUniformly(_ temperature: Double) {
        let probabilities = LogitsWarpers.temperature(Self.logits.to(.f32), temperature).softmax(axis: -1).toArray(Double.self)
        for probability in probabilities { #expect(abs(probability - 1.0 / 7) < 1e-6) }
    }

    @Test func aTemperatureThatOverflowsTheLogitsIsATypedErrorNamingIt() {
        let scores = LogitsWarpers.temperature(Self.logits.to(.f32).selected(axis: 0, index: 0), subnormal)
        #expect {
            _ = try GenerationDriver.sample(scores, generator: Generator(seed: 1), temperature: subnormal)
        } throws: { error in
            "\(error)".contains("temperature")
        }
    }
}
