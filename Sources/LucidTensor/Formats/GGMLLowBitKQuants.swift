/// Decoders for the 2- and 3-bit K-quant super-blocks (256 elements, 16 sub-blocks of 16), as ggml's
/// `dequantize_row_q2_K` / `dequantize_row_q3_K` define them (Q2_K, Q3_K, Q3_K_S/M/L and Q2_K files use them,
/// beside Q4_K–Q6_K for some tensors).
///
/// Both lay out their 2-bit quants the same way: element e of the super-block is bits 2·j, 2·j + 1 of quant
/// byte 32·(e / 128) + e % 32, with j = (e % 128) / 32 (four 2-bit planes per 32 bytes), and belongs to
/// sub-block e / 16.
extension GGMLDequantizer {
    /// The 2-bit quant of element `e` from the 64 quant bytes at `quants`.
    @inline(__always)
    static func twoBitQuant(_ quants: UnsafeRawPointer, _ e: Int) -> UInt8 {
        (byte(quants, 32 * (e / 128) + e % 32) >> UInt8(2 * ((e % 128) / 32))) & 3
    }

    /// Q2_K: 16 scale bytes (low nibble: the sub-block's scale, high nibble: its min), 64 quant bytes, f16 d,
    /// f16 dmin (84 bytes); x = (d·scale)·q − dmin·min.
    @inline(__always)
    static func q2_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let quants = block + 16
        let d = half(block, 80)
        let dmin = half(block, 82)
        for sub in 0 ..< 16 {
            let packed = byte(block, sub)
            let scale = d * Float(packed & 0x0F)
            let min = dmin * Float(packed >> 4)
            for e in 16 * sub ..< 16 * sub + 16 {
                out[e] = scale * Float(twoBitQuant(quants, e)) - min
            }
        }
    }

    /// Q3_K: 32 bytes of third bits (bit e / 32 of byte e % 32; a clear bit lowers q by 4), 64 quant bytes,
    /// 12 bytes of 6-bit scales, f16 d (110 bytes); x = (d·(scale − 32))·(q − 4·(1 − bit)).
    ///
    /// Scale i keeps its low 4 bits in byte i (i < 8, low nibble) or byte i − 8 (high nibble), and its top 2
    /// bits in byte 8 + i % 4 at bits 2·(i / 4).
    @inline(__always)
    static func q3_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let highBits = block
        let quants = block + 32
        let scales = block + 96
        let d = half(block, 108)
        for sub in 0 ..< 16 {
            let low = sub < 8 ? byte(scales, sub) & 0x0F : byte(scales, sub - 8) >> 4
            let top = (byte(scales, 8 + sub % 4) >> UInt8(2 * (sub / 4))) & 3
            let scale = d * Float(Int(low | top << 4) - 32)
            for e in 16 * sub ..< 16 * sub + 16 {
                let bit = (byte(highBits, e % 32) >> UInt8(e / 32)) & 1
                out[e] = scale * Float(Int(twoBitQuant(quants, e)) - (bit == 0 ? 4 : 0))
            }
        }
    }
}
