import Foundation
import Testing
@testable import LucidEval

/// Outputs of CPython 3.11's `random` module for the same seeds (computed with python3).
@Suite("Python-compatible random")
struct PythonRandomTests {
    @Test func getrandbitsMatchesCPythonAfterSeed() {
        var random = PythonRandom(seed: 42)
        #expect((0..<3).map { _ in random.getrandbits(32) } == [2_746_317_213, 478_163_327, 107_420_369])
        var zero = PythonRandom(seed: 0)
        #expect(zero.getrandbits(64) == 7_106_521_602_475_165_645)
    }

    @Test func seedsWiderThan32BitsUseEveryWord() {
        var random = PythonRandom(seed: (1 << 40) + 5)
        #expect(random.getrandbits(40) == 569_101_979_940)
        #expect(random.getrandbits(7) == 34)
    }

    @Test func choiceMatchesCPython() {
        var random = PythonRandom(seed: 0)
        #expect((0..<5).map { _ in random.choice(Array(0..<7)) } == [6, 3, 6, 3, 0])
        #expect(random.choice([Int]()) == nil)
    }

    @Test func sampleMatchesCPythonOnBothAlgorithms() {
        var pool = PythonRandom(seed: 2023)
        #expect(pool.sample(Array(0..<10), 4) == [6, 7, 9, 2])
        var set = PythonRandom(seed: 5)
        #expect(set.sample(Array(0..<10_000), 6) == [4185, 5874, 8684, 475, 7628, 4080])
        #expect(set.sample([1, 2], 3) == nil)
    }
}
