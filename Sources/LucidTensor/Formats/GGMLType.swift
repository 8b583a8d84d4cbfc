/// A ggml tensor element type, with its numeric id as used in GGUF files.
///
/// Ids 4, 5, 31–33 and 36–38 were removed from ggml and are not accepted.
/// Every case knows its block geometry, so files holding any of them can be
/// parsed and range-checked; ``canDequantize`` says which ones
/// ``dequantize(_:_:count:into:)`` supports.
public enum GGMLType: UInt32, CaseIterable, Sendable {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q5_0 = 6
    case q5_1 = 7
    case q8_0 = 8
    case q8_1 = 9
    case q2_K = 10
    case q3_K = 11
    case q4_K = 12
    case q5_K = 13
    case q6_K = 14
    case q8_K = 15
    case iq2_xxs = 16
    case iq2_xs = 17
    case iq3_xxs = 18
    case iq1_s = 19
    case iq4_nl = 20
    case iq3_s = 21
    case iq2_s = 22
    case iq4_xs = 23
    case i8 = 24
    case i16 = 25
    case i32 = 26
    case i64 = 27
    case f64 = 28
    case iq1_m = 29
    case bf16 = 30
    case tq1_0 = 34
    case tq2_0 = 35
    case mxfp4 = 39

    /// Elements in a K-quant super-block (`QK_K`).
    public static let kQuantBlock = 256

    /// The ggml spelling, e.g. `"Q4_K"`.
    public var name: String { String(describing: self).uppercased() }

    /// Elements per block (1 for plain scalar types).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .iq4_nl, .mxfp4: return 32
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K, .iq2_xxs, .iq2_xs, .iq3_xxs, .iq1_s,
             .iq3_s, .iq2_s, .iq4_xs, .iq1_m, .tq1_0, .tq2_0:
            return GGMLType.kQuantBlock
        }
    }

    /// Bytes per block.
    public var bytesPerBlock: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .f64: return 8
        case .i8: return 1
        case .i16: return 2
        case .i32: return 4
        case .i64: return 8
        case .q4_0: return 18      // f16 d, 16 bytes of nibbles
        case .q4_1: return 20      // f16 d, f16 m, 16 bytes of nibbles
        case .q5_0: return 22      // f16 d, 4 bytes high bits, 16 bytes of nibbles
        case .q5_1: return 24      // f16 d, f16 m, 4 bytes high bits, 16 bytes of nibbles
        case .q8_0: return 34      // f16 d, 32 × int8
        case .q8_1: return 36      // f16 d, f16 s, 32 × int8
        case .q2_K: return 84
        case .q3_K: return 110
        case .q4_K: return 144     // f16 d, f16 dmin, 12 scale bytes, 128 nibble bytes
        case .q5_K: return 176     // as Q4_K plus 32 bytes of high bits
        case .q6_K: return 210     // 128 low-nibble bytes, 64 high-bit bytes, 16 int8 scales, f16 d
        case .q8_K: return 292     // f32 d, 256 × int8, 16 × int16 sums
        case .iq2_xxs: return 66
        case .iq2_xs: return 74
        case .iq3_xxs: return 98
        case .iq1_s: return 50
        case .iq4_nl: return 18
        case .iq3_s: return 110
        case .iq2_s: return 82
        case .iq4_xs: return 136
        case .iq1_m: return 56
        case .tq1_0: return 54
        case .tq2_0: return 66
        case .mxfp4: return 17
        }
    }

    /// Whether ``dequantize(_:_:count:into:)`` handles this type.
    public var canDequantize: Bool {
        switch self {
        case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K,
             .iq4_nl, .iq4_xs, .iq2_xxs, .iq2_xs, .iq2_s, .iq3_xxs, .iq3_s, .iq1_s, .iq1_m,
             .tq1_0, .tq2_0, .mxfp4:
            return true
        default:
            return false
        }
    }

    /// Bytes needed for `elements` values; throws unless `elements` is a
    /// non-negative multiple of ``blockSize`` and the size fits in `Int`.
    public func byteCount(elements: Int) throws -> Int {
        guard elements >= 0, elements % blockSize == 0 else {
            throw GGMLError.notBlockMultiple(type: self, elements: elements)
        }
        let (bytes, overflow) = (elements / blockSize).multipliedReportingOverflow(by: bytesPerBlock)
        guard !overflow else { throw GGMLError.sizeOverflow(type: self, elements: elements) }
        return bytes
    }
}

/// An error from ggml block arithmetic or dequantisation of an in-memory buffer.
public enum GGMLError: Error, Equatable, CustomStringConvertible, Sendable {
    /// `elements` is negative or not a multiple of the type's block size.
    case notBlockMultiple(type: GGMLType, elements: Int)
    /// The byte count for `elements` does not fit in `Int`.
    case sizeOverflow(type: GGMLType, elements: Int)
    /// Dequantisation of this type is not implemented.
    case unsupportedType(GGMLType)
    /// The input or output buffer is smaller than `count` elements need.
    case bufferTooSmall(what: String, needed: Int, available: Int)

    public var description: String {
        switch self {
        case .notBlockMultiple(let type, let elements):
            return "\(elements) elements is not a non-negative multiple of the \(type.name) block size \(type.blockSize)."
        case .sizeOverflow(let type, let elements):
            return "\(elements) elements of \(type.name) need more bytes than fit in Int."
        case .unsupportedType(let type):
            return "Dequantising \(type.name) is not supported."
        case .bufferTooSmall(let what, let needed, let available):
            return "The \(what) buffer holds \(available) but \(needed) are needed."
        }
    }
}
