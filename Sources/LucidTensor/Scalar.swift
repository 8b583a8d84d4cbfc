import CTorch

/// A scalar operand of tensor arithmetic.
///
/// Integers stay integers, so `i64` tensors keep their type under `t + 1`; floating operands
/// promote integer tensors to the default float type, as in PyTorch.
public enum ScalarValue: Sendable, Equatable {
    case float(Double)
    case int(Int)
    case bool(Bool)

    var lt: lt_scalar {
        switch self {
        case .float(let value): return lt_scalar(kind: 0, f: value, i: 0)
        case .int(let value): return lt_scalar(kind: 1, f: 0, i: Int64(value))
        case .bool(let value): return lt_scalar(kind: 2, f: 0, i: value ? 1 : 0)
        }
    }
}

/// A Swift number usable as a scalar operand (`Double`, `Float`, `Int`, `Bool`).
public protocol TensorScalar {
    /// The value as a tensor scalar.
    var scalarValue: ScalarValue { get }
}

extension Double: TensorScalar { public var scalarValue: ScalarValue { .float(self) } }
extension Float: TensorScalar { public var scalarValue: ScalarValue { .float(Double(self)) } }
extension Int: TensorScalar { public var scalarValue: ScalarValue { .int(self) } }
extension Bool: TensorScalar { public var scalarValue: ScalarValue { .bool(self) } }
