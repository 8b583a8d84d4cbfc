/// An element type as spelled in a safetensors header (`"dtype": "F32"`).
///
/// The raw value is the exact header string. FP8 types are recognised so that
/// files containing them still open; interpreting their bytes is up to the caller.
public enum SafetensorsDType: String, CaseIterable, Sendable {
    case bool = "BOOL"
    case uint8 = "U8"
    case int8 = "I8"
    case int16 = "I16"
    case uint16 = "U16"
    case int32 = "I32"
    case uint32 = "U32"
    case int64 = "I64"
    case uint64 = "U64"
    case float16 = "F16"
    case bfloat16 = "BF16"
    case float32 = "F32"
    case float64 = "F64"
    case float8E4M3 = "F8_E4M3"
    case float8E5M2 = "F8_E5M2"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .uint8, .int8, .float8E4M3, .float8E5M2: return 1
        case .int16, .uint16, .float16, .bfloat16: return 2
        case .int32, .uint32, .float32: return 4
        case .int64, .uint64, .float64: return 8
        }
    }
}
