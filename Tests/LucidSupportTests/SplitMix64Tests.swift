import Testing
import LucidSupport

@Suite("SplitMix64")
struct SplitMix64Tests {
    @Test func stepMatchesTheReferenceOutputs() {
        // Vigna's splitmix64.c from seed 1234567.
        var state: UInt64 = 1_234_567
        let outputs = (0 ..< 3).map { _ in SplitMix64.next(&state) }
        #expect(outputs == [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423])
        var generator = SplitMix64(state: 1_234_567)
        #expect((0 ..< 3).map { _ in generator.next() } == outputs)
    }

    @Test func seedStartsOneIncrementPastTheSeed() {
        var seeded = SplitMix64(seed: 1_234_567 &- 0x9E37_79B9_7F4A_7C15)
        #expect(seeded.next() == 6_457_827_717_110_365_317)
    }

    @Test func aStreamIsAFunctionOfSeedStepAndStream() {
        var a = SplitMix64.stream(seed: 5, step: 17, stream: 2)
        var b = SplitMix64.stream(seed: 5, step: 17, stream: 2)
        let first = (0 ..< 20).map { _ in a.next() }
        #expect(first == (0 ..< 20).map { _ in b.next() })
        for other in [SplitMix64.stream(seed: 6, step: 17, stream: 2), .stream(seed: 5, step: 18, stream: 2), .stream(seed: 5, step: 17, stream: 3)] {
            var c = other
            #expect(first != (0 ..< 20).map { _ in c.next() })
        }
    }

    @Test func drawsStayInTheirRanges() {
        var random = SplitMix64(seed: 9)
        for _ in 0 ..< 1000 {
            #expect((0 ..< 7).contains(random.below(7)))
            let unit = random.unit()
            #expect(unit >= 0 && unit < 1)
        }
        #expect(random.below(0) == 0)
        #expect(random.element(of: [Int]()) == nil)
        #expect(random.element(of: [4]) == 4)
    }
}
