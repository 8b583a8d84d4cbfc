/// The i-quants' lattice grids, unpacked once from `GGMLIQGridTables.swift` (generated from the `gguf` package
/// by scripts/make_ggml_iq_grids.py), and the sign table their blocks index.
extension GGMLDequantizer {
    /// A grid as the `gguf` package packs it: hex bytes, each holding `8 / bits` level indices of `bits` bits
    /// (2 for 3 levels, 3 in a nibble for 8), low bits first; entry i's values are indices i·width ..< (i+1)·width.
    struct PackedGrid: Sendable {
        let entries: Int
        let width: Int
        let levels: [Int8]
        let hex: String

        /// The grid's values, entry after entry (`entries · width` of them).
        func values() -> [Int8] {
            let bits = levels.count <= 4 ? 2 : 3
            let perByte = 8 / bits
            let step = 8 / perByte
            let digits = hex.utf8.compactMap { character -> UInt8? in
                switch character {
                case UInt8(ascii: "0") ... UInt8(ascii: "9"): return character - UInt8(ascii: "0")
                case UInt8(ascii: "a") ... UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
                default: return nil  // the literal's line breaks and indentation
                }
            }
            precondition(digits.count == 2 * entries * width / perByte, "a generated grid table has the wrong length")
            var values: [Int8] = []
            values.reserveCapacity(entries * width)
            for pair in stride(from: 0, to: digits.count, by: 2) {
                let packed = digits[pair] << 4 | digits[pair + 1]
                for slot in 0 ..< perByte {
                    values.append(levels[Int(packed >> UInt8(slot * step)) & (1 << bits - 1)])
                }
            }
            return values
        }
    }

    static let iq2xxsGrid = iq2xxsGridPacked.values()
    static let iq2xsGrid = iq2xsGridPacked.values()
    static let iq2sGrid = iq2sGridPacked.values()
    static let iq3xxsGrid = iq3xxsGridPacked.values()
    static let iq3sGrid = iq3sGridPacked.values()
    static let iq1sGrid = iq1sGridPacked.values()

    /// ggml's `ksigns_iq2xs`: a 7-bit sign pattern and, in bit 7, its parity (the eighth sign is implied, so
    /// each group of eight has an even number of minus signs).
    static let iq2Signs: [UInt8] = (0 ..< 128).map { UInt8($0) | ($0.nonzeroBitCount % 2 == 1 ? 0x80 : 0) }

    /// +1, or −1 where bit `j` of `signs` is set.
    @inline(__always)
    static func sign(_ signs: UInt8, _ j: Int) -> Float { signs & (1 << UInt8(j)) != 0 ? -1 : 1 }

    /// Eight values `scale`·grid value·sign at `out`: the first four from `grid[first...]`, the next four from
    /// `grid[second...]` (an 8-wide grid entry e is `first` e, `second` e + 4), signed by bits 0…7 of `pattern`.
    @inline(__always)
    static func signedEight(_ out: UnsafeMutablePointer<Float>, _ scale: Float, _ grid: [Int8], _ first: Int, _ second: Int,
                            _ pattern: UInt8) {
        for j in 0 ..< 4 {
            out[j] = scale * Float(grid[first + j]) * sign(pattern, j)
            out[4 + j] = scale * Float(grid[second + j]) * sign(pattern, 4 + j)
        }
    }
}
