import CTorch

/// An n-dimensional array backed by a libtorch tensor, with autograd.
///
/// Values are reference-counted handles: operations return new tensors and never mutate their
/// inputs unless the name says so (`…InPlace`, `copy(from:)`, `zeroGrad()`). A failing libtorch call
/// inside Lucid is a programmer error and traps with libtorch's message; user input is validated
/// before it reaches a tensor op (see the loaders).
public final class Tensor {
    let handle: OpaquePointer

    /// Takes ownership of a shim handle.
    init(owning handle: OpaquePointer) {
        self.handle = handle
    }

    deinit { lt_free(handle) }

    /// Dimensions, outermost first.
    public var shape: [Int] {
        let rank = Int(lt_ndim(handle))
        if rank == 0 { return [] }
        var dims = [Int64](repeating: 0, count: rank)
        dims.withUnsafeMutableBufferPointer { lt_shape(handle, $0.baseAddress) }
        return dims.map { Int($0) }
    }

    /// Strides in elements, outermost first.
    public var strides: [Int] {
        let rank = Int(lt_ndim(handle))
        if rank == 0 { return [] }
        var values = [Int64](repeating: 0, count: rank)
        values.withUnsafeMutableBufferPointer { lt_strides(handle, $0.baseAddress) }
        return values.map { Int($0) }
    }

    /// Number of dimensions.
    public var rank: Int { Int(lt_ndim(handle)) }

    /// Number of elements.
    public var count: Int { Int(lt_numel(handle)) }

    /// Size of one dimension; negative axes count from the end.
    public func size(_ axis: Int) -> Int {
        let dims = shape
        let index = axis < 0 ? axis + dims.count : axis
        precondition(index >= 0 && index < dims.count, "axis \(axis) out of range for shape \(dims)")
        return dims[index]
    }

    /// Element type.
    public var dtype: DType {
        guard let type = DType(rawValue: lt_dtype(handle)) else {
            fatalError("tensor has a dtype Lucid does not model")
        }
        return type
    }

    /// Where the storage lives.
    public var device: Device {
        switch lt_device_type(handle) {
        case Int32(LT_CUDA): return .cuda(Int(lt_device_index(handle)))
        case Int32(LT_MPS): return .mps
        default: return .cpu
        }
    }

    /// Whether elements are laid out densely in row-major order.
    public var isContiguous: Bool { lt_is_contiguous(handle) }

    /// A second handle to the same tensor (shares storage and autograd identity).
    public func retained() -> Tensor {
        Tensor.make("retain") { lt_retain(handle, $0) }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        var text = "Tensor(shape: \(shape), dtype: \(dtype), device: \(device))"
        if count <= 64, let rendered = lt_to_string(handle) {
            defer { lt_string_free(rendered) }
            text += "\n" + String(cString: rendered)
        }
        return text
    }
}

// MARK: - Shim calling conventions

/// Traps with libtorch's message when a shim call failed.
@inline(__always)
func torchCheck(_ status: Int32, _ operation: StaticString) {
    if status != 0 {
        fatalError("libtorch \(operation): \(String(cString: lt_last_error()))")
    }
}

/// A failure reported by libtorch, for the few entry points that throw instead of trapping.
public struct TorchError: Error, CustomStringConvertible, Sendable {
    /// The operation that failed.
    public let operation: String
    /// libtorch's message.
    public let message: String
    public var description: String { "libtorch \(operation): \(message)" }
}

extension Tensor {
    typealias Out = UnsafeMutablePointer<OpaquePointer?>

    /// Runs a shim call that writes one tensor handle; traps on failure.
    static func make(_ operation: StaticString, _ body: (Out) -> Int32) -> Tensor {
        var out: OpaquePointer?
        torchCheck(body(&out), operation)
        guard let handle = out else { fatalError("libtorch \(operation): no tensor returned") }
        return Tensor(owning: handle)
    }

    /// Runs a shim call that writes one tensor handle; throws on failure.
    static func tryMake(_ operation: String, _ body: (Out) -> Int32) throws(TorchError) -> Tensor {
        var out: OpaquePointer?
        let status = body(&out)
        guard status == 0, let handle = out else {
            throw TorchError(operation: operation, message: String(cString: lt_last_error()))
        }
        return Tensor(owning: handle)
    }

    /// Runs a shim call that writes two tensor handles (values and indices); traps on failure.
    static func makePair(_ operation: StaticString, _ body: (Out, Out) -> Int32) -> (Tensor, Tensor) {
        var first: OpaquePointer?
        var second: OpaquePointer?
        torchCheck(body(&first, &second), operation)
        guard let a = first, let b = second else { fatalError("libtorch \(operation): no tensor returned") }
        return (Tensor(owning: a), Tensor(owning: b))
    }
}

/// Calls `body` with a C array of `Int64` made from `values`.
@inline(__always)
func withInt64s<R, E: Error>(_ values: [Int], _ body: (UnsafePointer<Int64>?, Int64) throws(E) -> R) throws(E) -> R {
    let converted = values.map { Int64($0) }
    return try converted.withUnsafeBufferPointer { buffer throws(E) in try body(buffer.baseAddress, Int64(buffer.count)) }
}

/// Calls `body` with a C array of the handles of `tensors` (kept alive for the call).
@inline(__always)
func withHandles<R>(_ tensors: [Tensor], _ body: (UnsafePointer<OpaquePointer?>?, Int64) -> R) -> R {
    let handles: [OpaquePointer?] = tensors.map { $0.handle }
    return withExtendedLifetime(tensors) {
        handles.withUnsafeBufferPointer { body($0.baseAddress, Int64($0.count)) }
    }
}
