/// Decoders for the 256-element K-quant super-blocks.
///
/// Q4_K and Q5_K split a super-block into 8 sub-blocks of 32. Each sub-block s
/// has a 6-bit scale and a 6-bit min packed into 12 bytes (see ``kScaleMin``),
/// multiplied by the f16 super-scales `d` and `dmin`: x = d·sc·q − dmin·m.
/// Quant bytes come in 4 groups of 32: byte l of group g holds sub-block 2g in
/// its low nibble and sub-block 2g+1 in its high nibble, element l of each.
/// Q5_K adds a fifth bit: bit s of high-bit byte l belongs to element l of
/// sub-block s.
///
/// Q6_K has 16 sub-blocks of 16 with signed 8-bit scales; each 128-element half
/// uses 64 low-nibble bytes and 32 high-bit bytes. For element l (0..<32) of
/// quarter k (0..<4) of a half: the low 4 bits come from byte l (k = 0, 2) or
/// byte l+32 (k = 1, 3), low nibble for k < 2 and high nibble otherwise; the top
/// 2 bits are bits 2k, 2k+1 of high-bit byte l; q is then offset by −32.
extension GGMLDequantizer {
    /// Scale and min (6 bits each) of sub-block `j` (0..<8) from the 12 packed bytes.
    ///
    /// Bytes 0–3 hold scales 0–3 in their low 6 bits, bytes 4–7 hold mins 0–3.
    /// Scales/mins 4–7 keep their low 4 bits in the low/high nibble of bytes 8–11
    /// and their top 2 bits in the spare top bits of bytes 0–3 (scales) / 4–7 (mins).
    @inline(__always)
    static func kScaleMin(_ scales: UnsafeRawPointer, _ j: Int) -> (scale: UInt8, min: UInt8) {
        if j < 4 {
            return (byte(scales, j) & 0x3F, byte(scales, j + 4) & 0x3F)
        }
        let packed = byte(scales, j + 4)
        let scale = (packed & 0x0F) | ((byte(scales, j - 4) >> 6) << 4)
        let min = (packed >> 4) | ((byte(scales, j) >> 6) << 4)
        return (scale, min)
    }

    /// Scales and mins of quant group `group` (0..<4) of a Q4_K/Q5_K super-block: sub-blocks 2g (low
    /// nibbles) and 2g+1 (high nibbles), each `d·sc` and `dmin·m` from the f16 super-scales at bytes 0
    /// and 2 and the packed scale bytes at 4.
    @inline(__always)
    static func kGroupScales(_ block: UnsafeRawPointer, _ group: Int)
        -> (lowScale: Float, lowMin: Float, highScale: Float, highMin: Float) {
        let d = half(block, 0)
        let dmin = half(block, 2)
        let low = kScaleMin(block + 4, 2 * group)
        let high = kScaleMin(block + 4, 2 * group + 1)
        return (d * Float(low.scale), dmin * Float(low.min), d * Float(high.scale), dmin * Float(high.min))
    }

    /// Q4_K: f16 d, f16 dmin, 12 scale bytes, 128 quant bytes (144 bytes).
    @inline(__always)
    static func q4_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let quants = block + 16
        for group in 0 ..< 4 {
            let (lowScale, lowMin, highScale, highMin) = kGroupScales(block, group)
            let target = out + 64 * group
            for l in 0 ..< 32 {
                let packed = byte(quants, 32 * group + l)
                target[l] = lowScale * Float(packed & 0x0F) - lowMin
                target[32 + l] = highScale * Float(packed >> 4) - highMin
            }
        }
    }

    /// Q5_K: f16 d, f16 dmin, 12 scale bytes, 32 high-bit bytes, 128 quant bytes (176 bytes).
    @inline(__always)
    static func q5_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let highBits = block + 16
        let quants = block + 48
        for group in 0 ..< 4 {
            let (lowScale, lowMin, highScale, highMin) = kGroupScales(block, group)
            let lowShift = UInt8(2 * group), highShift = UInt8(2 * group + 1)
            let target = out + 64 * group
            for l in 0 ..< 32 {
                let packed = byte(quants, 32 * group + l)
                let extra = byte(highBits, l)
                let q0 = (packed & 0x0F) | (((extra >> lowShift) & 1) << 4)
                let q1 = (packed >> 4) | (((extra >> highShift) & 1) << 4)
                target[l] = lowScale * Float(q0) - lowMin
                target[32 + l] = highScale * Float(q1) - highMin
            }
        }
    }

    /// Q6_K: 128 low-nibble bytes, 64 high-bit bytes, 16 int8 scales, f16 d (210 bytes).
    @inline(__always)
    static func q6_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 208)
        for part in 0 ..< 2 {
            let lowBytes = block + 64 * part
            let highBytes = block + 128 + 32 * part
            let scales = block + 192 + 8 * part
            let target = out + 128 * part
            for l in 0 ..< 32 {
                let first = byte(lowBytes, l)
                let second = byte(lowBytes, l + 32)
                let top = byte(highBytes, l)
                let sub = l / 16
                let q0 = Int((first & 0x0F) | ((top & 0x03) << 4)) - 32
                let q1 = Int((second & 0x0F) | (((top >> 2) & 0x03) << 4)) - 32
                let q2 = Int((first >> 4) | (((top >> 4) & 0x03) << 4)) - 32
                let q3 = Int((second >> 4) | (((top >> 6) & 0x03) << 4)) - 32
                target[l] = d * scale(scales, sub) * Float(q0)
                target[32 + l] = d * scale(scales, sub + 2) * Float(q1)
                target[64 + l] = d * scale(scales, sub + 4) * Float(q2)
                target[96 + l] = d * scale(scales, sub + 6) * Float(q3)
            }
        }
    }

    /// Signed 8-bit Q6_K sub-block scale `index` as a Float.
    @inline(__always)
    private static func scale(_ scales: UnsafeRawPointer, _ index: Int) -> Float {
        Float(Int8(bitPattern: byte(scales, index)))
    }
}
