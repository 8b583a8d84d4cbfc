/// Decoders for ggml's ternary types (TQ1_0, TQ2_0: values in {−d, 0, d}, the BitNet b1.58 and TriLM files) and
/// MXFP4 (OCP microscaling FP4 with a power-of-two scale, gpt-oss's experts).
extension GGMLDequantizer {
    /// TQ1_0 (54 bytes): 48 bytes packing five trits each, 4 bytes packing four, f16 d last. A byte holds its
    /// trits as a base-3 fraction scaled to 256, so trit n is `((byte·3ⁿ mod 256)·3) >> 8`; the first 32 bytes give
    /// values n·32 + m, the next 16 values 160 + n·16 + m, the last 4 values 240 + n·4 + m; x = d·(trit − 1).
    static func tq1_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 52)
        func trit(_ byte: UInt8, _ power: UInt8) -> Float { Float(Int((UInt16(byte &* power) * 3) >> 8) - 1) }
        var power: UInt8 = 1  // 3ⁿ
        for n in 0 ..< 5 {
            for m in 0 ..< 32 { out[32 * n + m] = d * trit(byte(block, m), power) }
            for m in 0 ..< 16 { out[160 + 16 * n + m] = d * trit(byte(block, 32 + m), power) }
            if n < 4 {
                for m in 0 ..< 4 { out[240 + 4 * n + m] = d * trit(byte(block, 48 + m), power) }
            }
            power &*= 3
        }
    }

    /// TQ2_0 (66 bytes): 64 bytes of four 2-bit codes each, f16 d last; byte c·32 + m holds values
    /// c·128 + l·32 + m in bits 2l…2l + 1; x = d·(code − 1).
    static func tq2_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 64)
        for chunk in 0 ..< 2 {
            for l in 0 ..< 4 {
                for m in 0 ..< 32 {
                    let code = Int(byte(block, 32 * chunk + m) >> UInt8(2 * l) & 3)
                    out[128 * chunk + 32 * l + m] = d * Float(code - 1)
                }
            }
        }
    }

    /// FP4 (E2M1) values doubled, as ggml's `kvalues_mxfp4` keeps them (the scale is halved to match).
    static let mxfp4Levels: [Int8] = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12]

    /// MXFP4 (17 bytes): an E8M0 exponent e, then 16 bytes of two 4-bit codes (low nibble: values 0…15, high:
    /// 16…31); x = 2^(e − 128)·level(code), the halved scale built from its bits as ggml does (subnormal for e < 2).
    static func mxfp4(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let e = UInt32(byte(block, 0))
        let d = Float(bitPattern: e < 2 ? UInt32(0x0020_0000) << e : (e - 1) << 23)
        let levels = mxfp4Levels
        for j in 0 ..< 16 {
            let codes = byte(block, 1 + j)
            out[j] = d * Float(levels[Int(codes & 0x0F)])
            out[16 + j] = d * Float(levels[Int(codes >> 4)])
        }
    }
}
