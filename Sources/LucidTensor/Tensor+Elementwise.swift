import CTorch

// Elementwise arithmetic, math functions and comparisons, all broadcasting as in PyTorch.

extension Tensor {
    func unary(_ op: Int, _ name: StaticString) -> Tensor {
        Tensor.make(name) { lt_unary(Int32(op), handle, $0) }
    }

    func binary(_ op: Int, _ other: Tensor, _ name: StaticString) -> Tensor {
        Tensor.make(name) { lt_binary(Int32(op), handle, other.handle, $0) }
    }

    func binary(_ op: Int, _ scalar: some TensorScalar, _ name: StaticString) -> Tensor {
        let value = scalar.scalarValue.lt
        return Tensor.make(name) { lt_binary_scalar(Int32(op), handle, value, $0) }
    }

    // MARK: Math

    public func exp() -> Tensor { unary(LT_EXP, "exp") }
    public func log() -> Tensor { unary(LT_LOG, "log") }
    public func log1p() -> Tensor { unary(LT_LOG1P, "log1p") }
    public func expm1() -> Tensor { unary(LT_EXPM1, "expm1") }
    public func sqrt() -> Tensor { unary(LT_SQRT, "sqrt") }
    public func rsqrt() -> Tensor { unary(LT_RSQRT, "rsqrt") }
    public func square() -> Tensor { unary(LT_SQUARE, "square") }
    public func abs() -> Tensor { unary(LT_ABS, "abs") }
    /// −1, 0 or +1 per element (the gradient of `sign` is zero, as in PyTorch).
    public func sign() -> Tensor { unary(LT_SIGN, "sign") }
    public func sin() -> Tensor { unary(LT_SIN, "sin") }
    public func cos() -> Tensor { unary(LT_COS, "cos") }
    public func tanh() -> Tensor { unary(LT_TANH, "tanh") }
    public func erf() -> Tensor { unary(LT_ERF, "erf") }
    public func floor() -> Tensor { unary(LT_FLOOR, "floor") }
    public func ceil() -> Tensor { unary(LT_CEIL, "ceil") }
    /// Rounds half to even, as PyTorch does.
    public func round() -> Tensor { unary(LT_ROUND, "round") }
    public func trunc() -> Tensor { unary(LT_TRUNC, "trunc") }
    public func reciprocal() -> Tensor { unary(LT_RECIPROCAL, "reciprocal") }
    public func pow(_ exponent: some TensorScalar) -> Tensor { binary(LT_POW, exponent, "pow") }
    public func pow(_ exponent: Tensor) -> Tensor { binary(LT_POW, exponent, "pow") }
    /// base^exponent elementwise, for a scalar base.
    public static func pow(base: some TensorScalar, _ exponent: Tensor) -> Tensor { exponent.binary(LT_RPOW, base, "rpow") }
    public func atan2(_ other: Tensor) -> Tensor { binary(LT_ATAN2, other, "atan2") }
    public func remainder(_ divisor: some TensorScalar) -> Tensor { binary(LT_REMAINDER, divisor, "remainder") }
    public func floorDivide(_ divisor: Tensor) -> Tensor { binary(LT_FLOOR_DIVIDE, divisor, "floor divide") }
    /// Elementwise maximum with broadcasting.
    public func maximum(_ other: Tensor) -> Tensor { binary(LT_MAXIMUM, other, "maximum") }
    /// Elementwise minimum with broadcasting.
    public func minimum(_ other: Tensor) -> Tensor { binary(LT_MINIMUM, other, "minimum") }

    /// Clamps into [min, max]; either bound may be omitted.
    public func clamped(min: Double? = nil, max: Double? = nil) -> Tensor {
        withOptionalPointer(min) { lo in
            withOptionalPointer(max) { hi in
                Tensor.make("clamp") { lt_clamp(handle, lo, hi, $0) }
            }
        }
    }

    /// Clamps elementwise between tensors (broadcasting); either bound may be omitted.
    public func clamped(min: Tensor?, max: Tensor?) -> Tensor {
        withExtendedLifetime((min, max)) {
            Tensor.make("clamp") { lt_clamp_tensor(handle, min?.handle, max?.handle, $0) }
        }
    }

    public func isNaN() -> Tensor { unary(LT_ISNAN, "isnan") }
    public func isFinite() -> Tensor { unary(LT_ISFINITE, "isfinite") }

    /// Zeros (or ones) with this tensor's shape, dtype and device.
    public func zerosLike() -> Tensor { unary(LT_ZEROS_LIKE, "zeros_like") }
    public func onesLike() -> Tensor { unary(LT_ONES_LIKE, "ones_like") }

    // MARK: Comparisons and logic (bool results)

    public func eq(_ other: Tensor) -> Tensor { binary(LT_EQ, other, "eq") }
    public func ne(_ other: Tensor) -> Tensor { binary(LT_NE, other, "ne") }
    public func lt(_ other: Tensor) -> Tensor { binary(LT_LT, other, "lt") }
    public func le(_ other: Tensor) -> Tensor { binary(LT_LE, other, "le") }
    public func gt(_ other: Tensor) -> Tensor { binary(LT_GT, other, "gt") }
    public func ge(_ other: Tensor) -> Tensor { binary(LT_GE, other, "ge") }
    public func eq(_ other: some TensorScalar) -> Tensor { binary(LT_EQ, other, "eq") }
    public func ne(_ other: some TensorScalar) -> Tensor { binary(LT_NE, other, "ne") }
    public func lt(_ other: some TensorScalar) -> Tensor { binary(LT_LT, other, "lt") }
    public func le(_ other: some TensorScalar) -> Tensor { binary(LT_LE, other, "le") }
    public func gt(_ other: some TensorScalar) -> Tensor { binary(LT_GT, other, "gt") }
    public func ge(_ other: some TensorScalar) -> Tensor { binary(LT_GE, other, "ge") }
    public func logicalAnd(_ other: Tensor) -> Tensor { binary(LT_AND, other, "logical_and") }
    public func logicalOr(_ other: Tensor) -> Tensor { binary(LT_OR, other, "logical_or") }
    public func logicalXor(_ other: Tensor) -> Tensor { binary(LT_XOR, other, "logical_xor") }
    public func logicalNot() -> Tensor { unary(LT_LOGICAL_NOT, "logical_not") }

    // MARK: In-place (for optimisers and attacks; run them under `withNoGrad` on leaves)

    /// `self += other`.
    public func addInPlace(_ other: Tensor) { torchCheck(lt_inplace(Int32(LT_ADD), handle, other.handle), "add_") }
    /// `self += alpha * other`.
    public func addInPlace(_ other: Tensor, alpha: Double) { torchCheck(lt_add_scaled_(handle, other.handle, alpha), "add_") }
    /// `self -= other`.
    public func subtractInPlace(_ other: Tensor) { torchCheck(lt_inplace(Int32(LT_SUB), handle, other.handle), "sub_") }
    /// `self *= other`.
    public func multiplyInPlace(_ other: Tensor) { torchCheck(lt_inplace(Int32(LT_MUL), handle, other.handle), "mul_") }
    /// `self *= scalar`.
    public func multiplyInPlace(_ scalar: some TensorScalar) {
        torchCheck(lt_inplace_scalar(Int32(LT_MUL), handle, scalar.scalarValue.lt), "mul_")
    }
    /// `self += scalar`.
    public func addInPlace(_ scalar: some TensorScalar) {
        torchCheck(lt_inplace_scalar(Int32(LT_ADD), handle, scalar.scalarValue.lt), "add_")
    }
    /// Copies `source` (broadcast to this shape) into this tensor's storage.
    public func copy(from source: Tensor) { torchCheck(lt_inplace(Int32(LT_COPY), handle, source.handle), "copy_") }
    /// Sets every element to `value`.
    public func fill(_ value: some TensorScalar) {
        torchCheck(lt_inplace_scalar(Int32(LT_COPY), handle, value.scalarValue.lt), "fill_")
    }
    /// Clamps in place into [min, max].
    public func clampInPlace(min: Double? = nil, max: Double? = nil) {
        withOptionalPointer(min) { lo in
            withOptionalPointer(max) { hi in torchCheck(lt_clamp_(handle, lo, hi), "clamp_") }
        }
    }
}

@inline(__always)
func withOptionalPointer<R>(_ value: Double?, _ body: (UnsafePointer<Double>?) -> R) -> R {
    guard var value else { return body(nil) }
    return withUnsafePointer(to: &value) { body($0) }
}

// MARK: - Operators

public prefix func - (x: Tensor) -> Tensor { x.unary(LT_NEG, "neg") }

public func + (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.binary(LT_ADD, rhs, "add") }
public func - (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.binary(LT_SUB, rhs, "sub") }
public func * (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.binary(LT_MUL, rhs, "mul") }
/// True division: integer tensors give floating results, as in PyTorch.
public func / (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.binary(LT_DIV, rhs, "div") }

public func + <S: TensorScalar>(lhs: Tensor, rhs: S) -> Tensor { lhs.binary(LT_ADD, rhs, "add") }
public func - <S: TensorScalar>(lhs: Tensor, rhs: S) -> Tensor { lhs.binary(LT_SUB, rhs, "sub") }
public func * <S: TensorScalar>(lhs: Tensor, rhs: S) -> Tensor { lhs.binary(LT_MUL, rhs, "mul") }
public func / <S: TensorScalar>(lhs: Tensor, rhs: S) -> Tensor { lhs.binary(LT_DIV, rhs, "div") }
public func + <S: TensorScalar>(lhs: S, rhs: Tensor) -> Tensor { rhs.binary(LT_ADD, lhs, "add") }
public func - <S: TensorScalar>(lhs: S, rhs: Tensor) -> Tensor { rhs.binary(LT_RSUB, lhs, "rsub") }
public func * <S: TensorScalar>(lhs: S, rhs: Tensor) -> Tensor { rhs.binary(LT_MUL, lhs, "mul") }
public func / <S: TensorScalar>(lhs: S, rhs: Tensor) -> Tensor { rhs.binary(LT_RDIV, lhs, "rdiv") }

public func .== (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.eq(rhs) }
public func .!= (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.ne(rhs) }
public func .< (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.lt(rhs) }
public func .<= (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.le(rhs) }
public func .> (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.gt(rhs) }
public func .>= (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.ge(rhs) }
public func .== <S: TensorScalar>(lhs: Tensor, rhs: S) -> Tensor { lhs.eq(rhs) }
public func .!= <S: TensorScalar>(lhs: Tensor, rhs: S) -> Tensor { lhs.ne(rhs) }
public func .< <S: TensorScalar>(lhs: Tensor, rhs: S) -> Tensor { lhs.lt(rhs) }
public func .<= <S: TensorScalar>(lhs: Tensor, rhs: S) -> Tensor { lhs.le(rhs) }
public func .> <S: TensorScalar>(lhs: Tensor, rhs: S) -> Tensor { lhs.gt(rhs) }
public func .>= <S: TensorScalar>(lhs: Tensor, rhs: S) -> Tensor { lhs.ge(rhs) }
