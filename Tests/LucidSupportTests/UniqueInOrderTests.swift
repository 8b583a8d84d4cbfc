import LucidSupport
import Testing

@Suite("unique in order")
struct UniqueInOrderTests {
    @Test func eachElementIsKeptWhereItFirstOccurs() {
        #expect([2, 0, 2, 5, 0, 1].uniqueInOrder() == [2, 0, 5, 1])
        #expect([Int]().uniqueInOrder().isEmpty)
        #expect("abracadabra".uniqueInOrder() == ["a", "b", "r", "c", "d"])
    }
}
