import Testing
@testable import LucidSupport

/// LLaVA-OneVision's `anyres_max_N` arithmetic against CPython (values from `python3 -c 'print(1 // 0.1, …)'`).
@Suite("anyres_max_N downsizing")
struct AnyresDownsizingTests {
    /// Python's float `//` is not floor(x / y): 1 // 0.1 is 9.0 and 100 // 3.3333333333333335 is 29.0,
    /// where the rounded quotient's floor is 10 and 30.
    @Test func floorDivisionIsPythonsNotTheFloorOfTheRoundedQuotient() {
        #expect(AnyresGeometry.pythonFloorDivision(1, 0.1) == 9)
        #expect(AnyresGeometry.pythonFloorDivision(100, 3.3333333333333335) == 29)
        #expect(AnyresGeometry.pythonFloorDivision(6, 1.5.squareRoot()) == 4)
        #expect(AnyresGeometry.pythonFloorDivision(27, 3) == 9)
    }

    @Test func aGridWithinOnePointOneOfTheLimitStaysAndALargerOneShrinks() {
        // 4 × 4 patches a tile, at most 1 tile: 16 stays, 19 (ratio 1.09) stays, 24 shrinks by √1.5.
        #expect(AnyresGeometry.downsized(rows: 4, columns: 4, maxTiles: 1, side: 4)! == (4, 4))
        #expect(AnyresGeometry.downsized(rows: 1, columns: 19, maxTiles: 1, side: 4)! == (1, 19))
        #expect(AnyresGeometry.downsized(rows: 4, columns: 6, maxTiles: 1, side: 4)! == (3, 4))
        // OneVision's own: 27 × 27 patches a tile, 9 tiles; a 6 × 6-tile square grid shrinks by 2.
        #expect(AnyresGeometry.downsized(rows: 162, columns: 162, maxTiles: 9, side: 27)! == (81, 81))
        // A row that would shrink to nothing is refused, not passed on as an empty grid.
        #expect(AnyresGeometry.downsized(rows: 1, columns: 200, maxTiles: 1, side: 4) == nil)
    }
}
