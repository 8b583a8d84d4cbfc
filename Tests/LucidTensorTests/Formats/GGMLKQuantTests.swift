import Testing
@testable import LucidTensor

/// K-quant super-blocks built byte by byte from chosen scales and quants.
///
/// Expected values come straight from the definitions: element i of a super-block
/// belongs to sub-block i/32 (Q4_K, Q5_K) or i/16 (Q6_K); the tests place each
/// quant at its byte and bit position with explicit index arithmetic, then
/// compare every element. Chosen values are small multiples of powers of two,
/// so the float results are exact.
@Suite struct GGMLKQuantTests {
    // 6-bit scales and mins for the 8 sub-blocks, several ≥ 16 to exercise the top bits.
    let scales: [[UInt8]] = [[1, 17, 33, 63, 5, 48, 31, 60], [63, 0, 16, 32, 47, 15, 62, 9]]
    let mins: [[UInt8]] = [[0, 63, 16, 47, 32, 15, 62, 7], [12, 40, 3, 63, 20, 50, 1, 33]]

    /// Packs 8 scales and 8 mins (6 bits each) into the 12-byte K-quant layout.
    func packScales(_ sc: [UInt8], _ m: [UInt8]) -> [UInt8] {
        var packed = [UInt8](repeating: 0, count: 12)
        for j in 0 ..< 4 {
            packed[j] = (sc[j] & 0x3F) | ((sc[j + 4] >> 4) << 6)
            packed[j + 4] = (m[j] & 0x3F) | ((m[j + 4] >> 4) << 6)
            packed[j + 8] = (sc[j + 4] & 0x0F) | ((m[j + 4] & 0x0F) << 4)
        }
        return packed
    }

    /// A deterministic quant in `0 ..< limit` for element i of super-block b.
    func quant(_ b: Int, _ i: Int, limit: Int) -> Int { (i * 13 + b * 5 + (i >> 5) * 3) % limit }

    func decode(_ type: GGMLType, _ bytes: [UInt8], count: Int) throws -> [Float] {
        try bytes.withUnsafeBytes { try dequantize(type, $0, count: count) }
    }

    @Test func q4_K() throws {
        let d: [Float16] = [0.5, -0.25], dmin: [Float16] = [-0.125, 2]
        var bytes: [UInt8] = []
        var expected: [Float] = []
        for b in 0 ..< 2 {
            var qs = [UInt8](repeating: 0, count: 128)
            for i in 0 ..< 256 {
                let sub = i / 32, l = i % 32
                let byteIndex = (sub / 2) * 32 + l
                let q = UInt8(quant(b, i, limit: 16))
                qs[byteIndex] |= sub % 2 == 0 ? q : q << 4
                expected.append(Float(d[b]) * Float(scales[b][sub]) * Float(q) - Float(dmin[b]) * Float(mins[b][sub]))
            }
            bytes += FormatsBytes.f16(d[b]) + FormatsBytes.f16(dmin[b]) + packScales(scales[b], mins[b]) + qs
        }
        #expect(bytes.count == 2 * 144)
        let values = try decode(.q4_K, bytes, count: 512)
        #expect(values == expected)
        // Sub-block 3 of block 0 uses scale 63 / min 47 and sub-block 7 uses 60 / 7.
        #expect(values[3 * 32] == 0.5 * 63 * Float(quant(0, 96, limit: 16)) + 0.125 * 47)
        #expect(values[7 * 32 + 31] == 0.5 * 60 * Float(quant(0, 255, limit: 16)) + 0.125 * 7)
    }

    @Test func q5_K() throws {
        let d: [Float16] = [-0.5, 0.25], dmin: [Float16] = [0.25, -1]
        var bytes: [UInt8] = []
        var expected: [Float] = []
        for b in 0 ..< 2 {
            var qh = [UInt8](repeating: 0, count: 32)
            var qs = [UInt8](repeating: 0, count: 128)
            for i in 0 ..< 256 {
                let sub = i / 32, l = i % 32
                let q = UInt8(quant(b, i, limit: 32))
                qs[(sub / 2) * 32 + l] |= sub % 2 == 0 ? q & 0x0F : (q & 0x0F) << 4
                if q >= 16 { qh[l] |= 1 << sub }
                expected.append(Float(d[b]) * Float(scales[b][sub]) * Float(q) - Float(dmin[b]) * Float(mins[b][sub]))
            }
            bytes += FormatsBytes.f16(d[b]) + FormatsBytes.f16(dmin[b]) + packScales(scales[b], mins[b]) + qh + qs
        }
        #expect(bytes.count == 2 * 176)
        let values = try decode(.q5_K, bytes, count: 512)
        #expect(values == expected)
        // The fifth bit matters: every sub-block has quants ≥ 16.
        for sub in 0 ..< 8 {
            #expect((0 ..< 32).contains { quant(0, sub * 32 + $0, limit: 32) >= 16 })
        }
    }

    @Test func q6_K() throws {
        let d: [Float16] = [-0.5, 0.0625]
        let subScales: [[Int8]] = [
            [-128, 127, -1, 1, 64, -64, 3, -7, 100, -100, 0, 5, -33, 33, 127, -128],
            [2, -2, 4, -4, 8, -8, 16, -16, 32, -32, 64, -64, 1, -1, 127, -127],
        ]
        var bytes: [UInt8] = []
        var expected: [Float] = []
        for b in 0 ..< 2 {
            var ql = [UInt8](repeating: 0, count: 128)
            var qh = [UInt8](repeating: 0, count: 64)
            for i in 0 ..< 256 {
                let half = i / 128, quarter = (i % 128) / 32, l = i % 32
                let q = quant(b, i, limit: 64)
                let lowIndex = half * 64 + l + (quarter % 2 == 1 ? 32 : 0)
                ql[lowIndex] |= quarter < 2 ? UInt8(q & 0x0F) : UInt8(q & 0x0F) << 4
                qh[half * 32 + l] |= UInt8(q >> 4) << (2 * quarter)
                expected.append(Float(d[b]) * Float(subScales[b][i / 16]) * Float(q - 32))
            }
            bytes += ql + qh + subScales[b].map { UInt8(bitPattern: $0) } + FormatsBytes.f16(d[b])
        }
        #expect(bytes.count == 2 * 210)
        let values = try decode(.q6_K, bytes, count: 512)
        #expect(values == expected)
        // Extremes: q = 0 gives -32 and q = 63 gives +31, both present.
        #expect((0 ..< 256).contains { quant(0, $0, limit: 64) == 0 })
        #expect((0 ..< 256).contains { quant(0, $0, limit: 64) == 63 })
    }
}
