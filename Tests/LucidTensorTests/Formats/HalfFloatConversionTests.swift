import Testing
@testable import LucidTensor

@Suite struct HalfFloatConversionTests {
    @Test func halfWideningMatchesFloat16ForAllBitPatterns() {
        var mismatches = 0
        for bits in 0 ... UInt16.max {
            let ours = HalfFloatConversion.float(fromHalf: bits)
            let reference = Float(Float16(bitPattern: bits))
            if ours.isNaN ? !reference.isNaN : ours.bitPattern != reference.bitPattern { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test func halfNarrowingRoundsToNearestEven() {
        var generator = SystemRandomNumberGenerator()
        var samples: [Float] = [0, -0, 1, -1, 65504, 65520, 65519.99, 1e-8, 2.98e-8, 2.9802322e-8, 5.96e-8,
                                6.1e-5, 6.097e-5, .infinity, -.infinity, .greatestFiniteMagnitude,
                                .leastNonzeroMagnitude, 1 + 0x1p-11, 1 + 0x1p-11 + 0x1p-23, 1 + 3 * 0x1p-11]
        for _ in 0 ..< 200_000 { samples.append(Float(bitPattern: generator.next())) }
        var mismatches: [Float] = []
        for value in samples where !value.isNaN {
            if HalfFloatConversion.halfBits(from: value) != Float16(value).bitPattern { mismatches.append(value) }
        }
        #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(5))")
        #expect(HalfFloatConversion.float(fromHalf: HalfFloatConversion.halfBits(from: .nan)).isNaN)
    }

    @Test func bfloat16() {
        #expect(HalfFloatConversion.float(fromBFloat16: 0x3F80) == 1)
        #expect(HalfFloatConversion.float(fromBFloat16: 0xC020) == -2.5)
        #expect(HalfFloatConversion.bfloat16Bits(from: 1) == 0x3F80)
        // 1 + 2^-8 is exactly halfway between bf16 1.0 and 1.0078125: ties to even (1.0).
        #expect(HalfFloatConversion.bfloat16Bits(from: 1 + 0x1p-8) == 0x3F80)
        #expect(HalfFloatConversion.bfloat16Bits(from: 1 + 0x1p-8 + 0x1p-20) == 0x3F81)
        #expect(HalfFloatConversion.bfloat16Bits(from: 1 + 3 * 0x1p-8) == 0x3F82)
        #expect(HalfFloatConversion.bfloat16Bits(from: .infinity) == 0x7F80)
        #expect(HalfFloatConversion.float(fromBFloat16: HalfFloatConversion.bfloat16Bits(from: .nan)).isNaN)
    }
}
