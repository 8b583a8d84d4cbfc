import Testing
@testable import LucidEval

/// POPE building is linear in the object mentions for fixed parameters (issue 20: one image with a
/// long object list used to cost O(k²) pair updates). Compares operation counts, not time.
@Suite("POPE builder scaling")
struct POPEBuilderScalingTests {
    static func images(longList k: Int) -> [POPEImage] {
        [POPEImage(image: "long.png", objects: (0..<k).map { "o\($0 % (k / 2))" })]  // every object twice: multiplicities count
            + (0..<20).map { POPEImage(image: "\($0).png", objects: ["o\($0)", "o\($0 + 1)", "o\($0 + 2)", "x\($0)"]) }
    }

    @Test func coOccurrenceWorkGrowsLinearlyWithOneImagesObjectList() {
        let small = POPEBuilder.Statistics(Self.images(longList: 4_000), positivesPerImage: 3).pairUpdates
        let large = POPEBuilder.Statistics(Self.images(longList: 16_000), positivesPerImage: 3).pairUpdates
        // Quadratic work would grow 16×; linear work 4×.
        #expect(small > 0)
        #expect(Double(large) / Double(small) < 4.5, "pair updates \(small) → \(large)")
    }

    @Test func repeatedObjectsCountAsPOPEsNestedLoopsDo() throws {
        let images = [POPEImage(image: "a", objects: ["cat", "dog", "cat", "car"]), POPEImage(image: "b", objects: ["dog", "car", "bus", "cat"])]
        let statistics = POPEBuilder.Statistics(images, positivesPerImage: 2)
        // cat: with dog 2·1 (a) + 1·1 (b) = 3, with car 2·1 + 1 = 3, with bus 1; ties keep first-seen order.
        #expect(statistics.coOccurring["cat"] == ["dog", "car", "bus"])
        #expect(statistics.coOccurring["dog"] == ["cat", "car", "bus"])
        #expect(statistics.byFrequency == ["cat", "dog", "car", "bus"])
        #expect(statistics.coOccurring["bus"] == nil, "bus is no image's positive")
    }
}
