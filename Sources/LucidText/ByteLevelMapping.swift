/// GPT-2's reversible map between the 256 byte values and printable Unicode scalars.
///
/// Printable Latin-1 bytes ('!'...'~', '¡'...'¬', '®'...'ÿ') map to themselves; the
/// remaining 68 bytes map, in increasing byte order, to U+0100, U+0101, ... so that
/// every byte has a visible stand-in (space becomes 'Ġ', newline 'Ċ').
enum ByteLevelMapping {
    /// Scalar standing for each byte value.
    static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            let value = printable ? UInt32(byte) : next
            if !printable { next += 1 }
            table[byte] = Unicode.Scalar(value) ?? " "
        }
        return table
    }()

    /// Byte for each mapped scalar value (index = scalar value), -1 where unmapped.
    static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (byte, scalar) in scalarForByte.enumerated() {
            table[Int(scalar.value)] = Int16(byte)
        }
        return table
    }()

    /// The byte-level spelling of `bytes` (what byte-level vocabularies store).
    static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var view = String.UnicodeScalarView()
        for byte in bytes { view.append(scalarForByte[Int(byte)]) }
        return String(view)
    }

    /// The bytes a byte-level token stands for.
    ///
    /// Like Hugging Face's ByteLevel decoder: if any scalar of the token is outside the
    /// map (typically an added token such as "<tool→>"), the token's own UTF-8 bytes are
    /// used instead.
    static func decode(_ token: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.utf8.count)
        for scalar in token.unicodeScalars {
            let value = Int(scalar.value)
            guard value < byteForScalar.count, byteForScalar[value] >= 0 else {
                return Array(token.utf8)
            }
            bytes.append(UInt8(byteForScalar[value]))
        }
        return bytes
    }
}
