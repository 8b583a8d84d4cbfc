import CTorch

/// Element type of a tensor.
///
/// Codes match the shim's `LT_*` constants. `bf16` has no Swift counterpart: read it out as `Float`.
public enum DType: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0, f16 = 1, bf16 = 2, f64 = 3, i64 = 4, i32 = 5, i16 = 6, i8 = 7, u8 = 8, bool = 9

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool: return 1
        }
    }

    /// Whether the type holds floating-point values (and so can carry gradients).
    public var isFloatingPoint: Bool {
        switch self {
        case .f32, .f16, .bf16, .f64: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .f32: return "f32"
        case .f16: return "f16"
        case .bf16: return "bf16"
        case .f64: return "f64"
        case .i64: return "i64"
        case .i32: return "i32"
        case .i16: return "i16"
        case .i8: return "i8"
        case .u8: return "u8"
        case .bool: return "bool"
        }
    }

    /// Parses the names Lucid prints (`f32`, `bf16`, …) and common aliases (`float32`, `float16`, `int64`).
    public init?(name: String) {
        switch name.lowercased() {
        case "f32", "float32", "float": self = .f32
        case "f16", "float16", "half": self = .f16
        case "bf16", "bfloat16": self = .bf16
        case "f64", "float64", "double": self = .f64
        case "i64", "int64", "long": self = .i64
        case "i32", "int32", "int": self = .i32
        case "i16", "int16": self = .i16
        case "i8", "int8": self = .i8
        case "u8", "uint8": self = .u8
        case "bool": self = .bool
        default: return nil
        }
    }
}

/// A Swift type that can be the element of a host array copied to or from a tensor.
public protocol TensorElement: Sendable {
    /// The tensor dtype with the same memory layout as `Self`.
    static var dtype: DType { get }
}

extension Float: TensorElement { public static var dtype: DType { .f32 } }
extension Double: TensorElement { public static var dtype: DType { .f64 } }
extension Int: TensorElement { public static var dtype: DType { .i64 } }
extension Int64: TensorElement { public static var dtype: DType { .i64 } }
extension Int32: TensorElement { public static var dtype: DType { .i32 } }
extension Int16: TensorElement { public static var dtype: DType { .i16 } }
extension Int8: TensorElement { public static var dtype: DType { .i8 } }
extension UInt8: TensorElement { public static var dtype: DType { .u8 } }
extension Bool: TensorElement { public static var dtype: DType { .bool } }
#if !(os(macOS) && arch(x86_64))
extension Float16: TensorElement { public static var dtype: DType { .f16 } }
#endif
