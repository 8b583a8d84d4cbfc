import Testing
@testable import LucidTensor

/// Plain types and the 32-element block quantisations, built byte by byte.
@Suite struct GGMLDequantizeTests {
    func decode(_ type: GGMLType, _ bytes: [UInt8], count: Int) throws -> [Float] {
        try bytes.withUnsafeBytes { try dequantize(type, $0, count: count) }
    }

    @Test func plainTypes() throws {
        let f32: [Float] = [1.5, -2.25, 0, .infinity, -0.0, 3.0e-38]
        #expect(try decode(.f32, f32.flatMap(FormatsBytes.f32), count: 6).map(\.bitPattern) == f32.map(\.bitPattern))

        let halves: [Float16] = [1, -0.5, 65504, 0.000_061_035_156, 5.96e-8, -.infinity]
        #expect(try decode(.f16, halves.flatMap(FormatsBytes.f16), count: 6) == halves.map(Float.init))

        // bf16 is the top half of a float: 1.0 = 0x3F80, -2.5 = 0xC020.
        #expect(try decode(.bf16, [0x80, 0x3F, 0x20, 0xC0], count: 2) == [1.0, -2.5])

        #expect(try decode(.f64, FormatsBytes.f64(-0.125) + FormatsBytes.f64(1e10), count: 2) == [-0.125, 1e10])
        #expect(try decode(.i8, [0x80, 0x7F, 0xFF], count: 3) == [-128, 127, -1])
        #expect(try decode(.i16, FormatsBytes.bytes(Int16(-300)) + FormatsBytes.bytes(Int16(300)), count: 2) == [-300, 300])
        #expect(try decode(.i32, FormatsBytes.bytes(Int32(-70000)) + FormatsBytes.bytes(Int32(16_777_216)), count: 2) == [-70000, 16_777_216])
        #expect(try decode(.i64, FormatsBytes.bytes(Int64(-5)), count: 1) == [-5])
    }

    @Test func q8_0() throws {
        // Two blocks: d = -0.25 then d = 2, quants sweep the int8 range.
        let scales: [Float16] = [-0.25, 2]
        var bytes: [UInt8] = []
        var expected: [Float] = []
        for (block, d) in scales.enumerated() {
            bytes += FormatsBytes.f16(d)
            for j in 0 ..< 32 {
                let q = Int8(truncatingIfNeeded: block == 0 ? j * 8 - 128 : 127 - j * 5)
                bytes.append(UInt8(bitPattern: q))
                expected.append(Float(d) * Float(q))
            }
        }
        #expect(bytes.count == 2 * GGMLType.q8_0.bytesPerBlock)
        #expect(try decode(.q8_0, bytes, count: 64) == expected)
    }

    /// Quant value (0...15) placed at element `i` of block `block` in the 4-bit tests.
    func nibble(_ block: Int, _ i: Int) -> UInt8 { UInt8((i * 7 + block * 3 + i / 16) % 16) }

    /// Packs 32 nibbles the ggml way: byte j = element j (low) | element j+16 (high).
    func packNibbles(block: Int) -> [UInt8] {
        (0 ..< 16).map { j in nibble(block, j) | nibble(block, j + 16) << 4 }
    }

    @Test func q4_0() throws {
        let scales: [Float16] = [0.5, -3]
        var bytes: [UInt8] = []
        for (block, d) in scales.enumerated() { bytes += FormatsBytes.f16(d) + packNibbles(block: block) }
        #expect(bytes.count == 2 * 18)
        var expected: [Float] = []
        for element in 0 ..< 64 {
            let block = element / 32, i = element % 32
            expected.append(Float(scales[block]) * Float(Int(nibble(block, i)) - 8))
        }
        let values = try decode(.q4_0, bytes, count: 64)
        #expect(values == expected)
        // Both nibble halves reach the extremes: q = 0 → -8·d and q = 15 → 7·d somewhere.
        #expect(values.contains(-8 * 0.5) && values.contains(7 * 0.5))
    }

    @Test func q4_1() throws {
        let scales: [Float16] = [0.25, -1.5]
        let mins: [Float16] = [-4, 0.125]
        var bytes: [UInt8] = []
        for block in 0 ..< 2 { bytes += FormatsBytes.f16(scales[block]) + FormatsBytes.f16(mins[block]) + packNibbles(block: block) }
        #expect(bytes.count == 2 * 20)
        var expected: [Float] = []
        for element in 0 ..< 64 {
            let block = element / 32, i = element % 32
            expected.append(Float(scales[block]) * Float(nibble(block, i)) + Float(mins[block]))
        }
        #expect(try decode(.q4_1, bytes, count: 64) == expected)
    }

    @Test func intoBufferWritesOnlyCount() throws {
        let bytes = FormatsBytes.f16(1) + [UInt8](repeating: 0x88, count: 16)  // every q = 8 → 0
        var out = [Float](repeating: 42, count: 40)
        try bytes.withUnsafeBytes { raw in
            try out.withUnsafeMutableBufferPointer { try dequantize(.q4_0, raw, count: 32, into: $0) }
        }
        #expect(out[0 ..< 32].allSatisfy { $0 == 0 })
        #expect(out[32...].allSatisfy { $0 == 42 })
    }

    @Test func rejectsBadArguments() throws {
        let bytes = [UInt8](repeating: 0, count: 18)
        #expect(throws: GGMLError.notBlockMultiple(type: .q4_0, elements: 31)) { try decode(.q4_0, bytes, count: 31) }
        #expect(throws: GGMLError.notBlockMultiple(type: .q4_0, elements: -32)) { try decode(.q4_0, bytes, count: -32) }
        #expect(throws: GGMLError.bufferTooSmall(what: "input bytes", needed: 36, available: 18)) {
            try decode(.q4_0, bytes, count: 64)
        }
        #expect(throws: GGMLError.unsupportedType(.q8_K)) { try decode(.q8_K, bytes, count: 256) }
        var out = [Float](repeating: 0, count: 16)
        #expect(throws: GGMLError.bufferTooSmall(what: "output float", needed: 32, available: 16)) {
            try bytes.withUnsafeBytes { raw in
                try out.withUnsafeMutableBufferPointer { try dequantize(.q4_0, raw, count: 32, into: $0) }
            }
        }
        #expect(try decode(.q4_K, [], count: 0).isEmpty)
    }

    @Test func blockGeometry() throws {
        #expect(try GGMLType.q4_K.byteCount(elements: 512) == 288)
        #expect(try GGMLType.f16.byteCount(elements: 3) == 6)
        #expect(throws: GGMLError.notBlockMultiple(type: .q6_K, elements: 100)) {
            try GGMLType.q6_K.byteCount(elements: 100)
        }
        #expect(throws: GGMLError.sizeOverflow(type: .f64, elements: Int.max / 2)) {
            try GGMLType.f64.byteCount(elements: Int.max / 2)
        }
        #expect(GGMLType.q4_K.name == "Q4_K")
        #expect(GGMLType(rawValue: 30) == .bf16 && GGMLType(rawValue: 4) == nil && GGMLType(rawValue: 31) == nil)
    }
}
