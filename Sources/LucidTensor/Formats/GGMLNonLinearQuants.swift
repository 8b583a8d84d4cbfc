/// Decoders for ggml's 4-bit non-linear types, whose 4-bit codes index a fixed table of 16 levels
/// (`kvalues_iq4nl`) instead of being the value: IQ4_NL (32-element blocks; llama.cpp writes it for the
/// tensors of Q2_K/Q3_K files whose rows are not multiples of 256) and IQ4_XS (256-element super-blocks with
/// 6-bit sub-block scales; IQ4_XS files).
extension GGMLDequantizer {
    /// ggml's `kvalues_iq4nl`.
    static let iq4Levels: [Int8] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

    /// The 4-bit code of element `l` (0..<32) of a 16-byte run: byte l's low nibble for l < 16, else byte
    /// l − 16's high nibble.
    @inline(__always)
    static func iq4Code(_ codes: UnsafeRawPointer, _ l: Int) -> Int {
        Int(l < 16 ? byte(codes, l) & 0x0F : byte(codes, l - 16) >> 4)
    }

    /// IQ4_NL: f16 scale `d`, 16 code bytes (18 bytes); x = d·level(code).
    @inline(__always)
    static func iq4_nl(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let levels = iq4Levels  // read the global once, not per element
        for l in 0 ..< 32 { out[l] = d * Float(levels[iq4Code(block + 2, l)]) }
    }

    /// IQ4_XS: f16 d, a 16-bit word of scale top bits (bits 2s, 2s + 1 for sub-block s), 4 bytes of scale low
    /// nibbles (sub-block s: byte s / 2, low nibble for even s), 128 code bytes, 16 per sub-block of 32 (136
    /// bytes); x = (d·(scale − 32))·level(code).
    @inline(__always)
    static func iq4_xs(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let top = loadLE(block, 2, UInt16.self)
        let levels = iq4Levels
        for sub in 0 ..< 8 {
            let lowByte = byte(block, 4 + sub / 2)
            let low = sub % 2 == 0 ? lowByte & 0x0F : lowByte >> 4
            let high = UInt8((top >> UInt16(2 * sub)) & 3)
            let scale = d * Float(Int(low | high << 4) - 32)
            for l in 0 ..< 32 { out[32 * sub + l] = scale * Float(levels[iq4Code(block + 8 + 16 * sub, l)]) }
        }
    }
}
