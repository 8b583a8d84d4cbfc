/// Decoders for ggml's 1- to 3-bit i-quants (256-element super-blocks of eight 32-element sub-blocks), whose
/// codes index lattice grids (`GGMLIQGrids.swift`) of 4 or 8 values, with sign bits beside them: IQ2_XXS,
/// IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S (the IQ2_* and IQ3_* files, IQ3_M's) and IQ1_S, IQ1_M. Each value is
/// scale · grid value · sign, or for IQ1 scale · (grid value ± 1/8).
extension GGMLDequantizer {
    /// IQ2_XXS (66 bytes): f16 d, then per sub-block two 32-bit words: four grid indices (a byte each) and
    /// four 7-bit sign patterns with a 4-bit scale s on top; x = (d·(½ + s)·¼)·grid·sign.
    static func iq2_xxs(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let (grid, signs) = (iq2xxsGrid, iq2Signs)
        for sub in 0 ..< 8 {
            let word = loadLE(block, 2 + 8 * sub + 4, UInt32.self)
            let scale = d * (0.5 + Float(word >> 28)) * 0.25
            for l in 0 ..< 4 {
                let entry = 8 * Int(byte(block, 2 + 8 * sub + l))
                signedEight(out + 32 * sub + 8 * l, scale, grid, entry, entry + 4, signs[Int(word >> UInt32(7 * l)) & 127])
            }
        }
    }

    /// IQ2_XS (74 bytes): f16 d, 32 16-bit codes (a 9-bit grid index, a 7-bit sign pattern above it), then a
    /// byte of two 4-bit scales a sub-block (low for its first 16 values); x = (d·(½ + s)·¼)·grid·sign.
    static func iq2_xs(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let (grid, signs) = (iq2xsGrid, iq2Signs)
        for sub in 0 ..< 8 {
            let scales = byte(block, 66 + sub)
            for l in 0 ..< 4 {
                let code = loadLE(block, 2 + 2 * (4 * sub + l), UInt16.self)
                let scale = d * (0.5 + Float(l < 2 ? scales & 0x0F : scales >> 4)) * 0.25
                let entry = 8 * Int(code & 511)
                signedEight(out + 32 * sub + 8 * l, scale, grid, entry, entry + 4, signs[Int(code >> 9)])
            }
        }
    }

    /// IQ2_S (82 bytes): f16 d, 32 bytes of grid-index low bits, 32 sign bytes, 8 bytes of index high bits
    /// (two a group of eight), 8 scale bytes as IQ2_XS's; x = (d·(½ + s)·¼)·grid·sign.
    static func iq2_s(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let grid = iq2sGrid
        for sub in 0 ..< 8 {
            let (high, scales) = (Int(byte(block, 66 + sub)), byte(block, 74 + sub))
            for l in 0 ..< 4 {
                let scale = d * (0.5 + Float(l < 2 ? scales & 0x0F : scales >> 4)) * 0.25
                let entry = 8 * (Int(byte(block, 2 + 4 * sub + l)) | (high << (8 - 2 * l) & 0x300))
                signedEight(out + 32 * sub + 8 * l, scale, grid, entry, entry + 4, byte(block, 34 + 4 * sub + l))
            }
        }
    }

    /// IQ3_XXS (98 bytes): f16 d, 64 grid indices (a byte for four values), then per sub-block a 32-bit word
    /// of four 7-bit sign patterns and a 4-bit scale on top; x = (d·(½ + s)·½)·grid·sign.
    static func iq3_xxs(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let (grid, signs) = (iq3xxsGrid, iq2Signs)
        for sub in 0 ..< 8 {
            let word = loadLE(block, 66 + 4 * sub, UInt32.self)
            let scale = d * (0.5 + Float(word >> 28)) * 0.5
            for l in 0 ..< 4 {
                let (first, second) = (4 * Int(byte(block, 2 + 8 * sub + 2 * l)), 4 * Int(byte(block, 3 + 8 * sub + 2 * l)))
                signedEight(out + 32 * sub + 8 * l, scale, grid, first, second, signs[Int(word >> UInt32(7 * l)) & 127])
            }
        }
    }

    /// IQ3_S (110 bytes): f16 d, 64 bytes of grid-index low bits (a byte for four values), 8 bytes of index
    /// ninth bits (one a sub-block), 32 sign bytes, 4 bytes of 4-bit scales (low nibble for even sub-blocks);
    /// x = (d·(1 + 2s))·grid·sign.
    static func iq3_s(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let grid = iq3sGrid
        for sub in 0 ..< 8 {
            let scales = byte(block, 106 + sub / 2)
            let scale = d * Float(1 + 2 * Int(sub % 2 == 0 ? scales & 0x0F : scales >> 4))
            let high = Int(byte(block, 66 + sub))
            for l in 0 ..< 4 {
                let first = 4 * (Int(byte(block, 2 + 8 * sub + 2 * l)) | (high << (8 - 2 * l) & 256))
                let second = 4 * (Int(byte(block, 3 + 8 * sub + 2 * l)) | (high << (7 - 2 * l) & 256))
                signedEight(out + 32 * sub + 8 * l, scale, grid, first, second, byte(block, 74 + 4 * sub + l))
            }
        }
    }

    /// IQ1_S (50 bytes): f16 d, 32 bytes of grid-index low bits, then per sub-block a 16-bit word: four 3-bit
    /// index high parts, a 3-bit scale s, and the sign of the shift δ = ±⅛ on top; x = (d·(2s + 1))·(grid + δ).
    static func iq1_s(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let grid = iq1sGrid
        for sub in 0 ..< 8 {
            let word = loadLE(block, 34 + 2 * sub, UInt16.self)
            let scale = d * Float(2 * Int(word >> 12 & 7) + 1)
            let delta: Float = word & 0x8000 != 0 ? -0.125 : 0.125
            for l in 0 ..< 4 {
                let entry = 8 * (Int(byte(block, 2 + 4 * sub + l)) | Int(word >> UInt16(3 * l) & 7) << 8)
                for j in 0 ..< 8 { out[32 * sub + 8 * l + j] = scale * (Float(grid[entry + j]) + delta) }
            }
        }
    }

    /// IQ1_M (56 bytes): 32 bytes of grid-index low bits, 16 bytes holding per group of eight a 3-bit index high
    /// part and the sign of its shift δ = ±⅛ (a nibble each), 8 bytes of four 16-bit words: two 3-bit scales a
    /// sub-block (first and second half), and in their top nibbles the f16 d; x = (d·(2s + 1))·(grid + δ).
    static func iq1_m(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        func word(_ k: Int) -> UInt16 { loadLE(block, 48 + 2 * k, UInt16.self) }  // no array per block
        let bits = word(0) >> 12 | (word(1) >> 8 & 0x00F0) | (word(2) >> 4 & 0x0F00) | (word(3) & 0xF000)
        let d = HalfFloatConversion.float(fromHalf: bits)
        let grid = iq1sGrid
        for sub in 0 ..< 8 {
            let (scales, shift) = (word(sub / 2), UInt16(6 * (sub % 2)))
            for l in 0 ..< 4 {
                let scale = d * Float(2 * Int(scales >> (shift + (l < 2 ? 0 : 3)) & 7) + 1)
                let nibble = Int(byte(block, 32 + 2 * sub + l / 2)) >> (4 * (l % 2)) & 0x0F
                let entry = 8 * (Int(byte(block, 4 * sub + l)) | (nibble & 7) << 8)
                let delta: Float = nibble & 8 != 0 ? -0.125 : 0.125
                for j in 0 ..< 8 { out[32 * sub + 8 * l + j] = scale * (Float(grid[entry + j]) + delta) }
            }
        }
    }
}
