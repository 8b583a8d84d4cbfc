import CTorch

extension Tensor {
    /// Copies all elements, converted to `T`, into a row-major Swift array.
    public func toArray<T: TensorElement>(_ type: T.Type = T.self) -> [T] {
        let n = count
        if n == 0 { return [] }
        return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            initialized = 0
            let bytes = Int64(n * MemoryLayout<T>.stride)
            torchCheck(lt_copy_to_buffer(handle, T.dtype.rawValue, buffer.baseAddress, bytes), "copy to array")
            initialized = n
        }
    }

    /// The value of a one-element tensor as `Double`.
    public func item() -> Double {
        var value = 0.0
        torchCheck(lt_item_double(handle, &value), "item")
        return value
    }

    /// The value of a one-element tensor as `Float`.
    public var floatValue: Float { Float(item()) }

    /// The value of a one-element integer tensor as `Int`.
    public var intValue: Int {
        var value: Int64 = 0
        torchCheck(lt_item_int64(handle, &value), "item")
        return Int(value)
    }

    /// The value of a one-element tensor as `Bool`.
    public var boolValue: Bool { item() != 0 }

    /// Converts to another element type (a no-op handle when already `dtype`).
    public func to(_ dtype: DType) -> Tensor {
        Tensor.make("to dtype") { lt_to_dtype(handle, dtype.rawValue, $0) }
    }

    /// Moves to another device.
    public func to(_ device: Device) -> Tensor {
        let (dev, index) = device.code
        return Tensor.make("to device") { lt_to_device(handle, dev, index, $0) }
    }

    /// A dense row-major copy, or the same storage when already contiguous.
    public func contiguous() -> Tensor { unary(LT_CONTIGUOUS, "contiguous") }

    /// A copy with its own storage (gradients flow back to `self`).
    public func clone() -> Tensor { unary(LT_CLONE, "clone") }

    /// Pointer to the first element of a contiguous CPU tensor, valid while `self` lives.
    public func withUnsafeRawPointer<R>(_ body: (UnsafeRawPointer) throws -> R) rethrows -> R {
        precondition(device == .cpu && isContiguous, "raw access needs a contiguous CPU tensor")
        guard let pointer = lt_data_ptr(handle) else { fatalError("tensor has no storage") }
        return try withExtendedLifetime(self) { try body(UnsafeRawPointer(pointer)) }
    }

    /// Whether all elements are within `atol + rtol·|other|` of `other`'s.
    public func allClose(_ other: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8) -> Bool {
        var result = false
        torchCheck(lt_allclose(handle, other.handle, rtol, atol, &result), "allclose")
        return result
    }

    /// Largest absolute elementwise difference to `other` (as Double).
    public func maxAbsDifference(_ other: Tensor) -> Double {
        (self.to(.f64) - other.to(.f64)).abs().max().item()
    }
}
