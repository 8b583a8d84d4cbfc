import CTorch

extension Tensor {
    /// A tensor of zeros.
    public static func zeros(_ shape: [Int], dtype: DType = .f32, device: Device = .cpu) -> Tensor {
        let (dev, index) = device.code
        return withInt64s(shape) { dims, rank in
            make("zeros") { lt_zeros(dims, rank, dtype.rawValue, dev, index, $0) }
        }
    }

    /// A tensor of ones.
    public static func ones(_ shape: [Int], dtype: DType = .f32, device: Device = .cpu) -> Tensor {
        let (dev, index) = device.code
        return withInt64s(shape) { dims, rank in
            make("ones") { lt_ones(dims, rank, dtype.rawValue, dev, index, $0) }
        }
    }

    /// A tensor with uninitialised contents (fill it before reading).
    public static func empty(_ shape: [Int], dtype: DType = .f32, device: Device = .cpu) -> Tensor {
        let (dev, index) = device.code
        return withInt64s(shape) { dims, rank in
            make("empty") { lt_empty(dims, rank, dtype.rawValue, dev, index, $0) }
        }
    }

    /// A tensor filled with one value.
    public static func full(_ shape: [Int], _ value: some TensorScalar, dtype: DType = .f32, device: Device = .cpu) -> Tensor {
        let (dev, index) = device.code
        let scalar = value.scalarValue.lt
        return withInt64s(shape) { dims, rank in
            make("full") { lt_full(dims, rank, scalar, dtype.rawValue, dev, index, $0) }
        }
    }

    /// A 0-dimensional tensor holding `value`.
    public static func scalar(_ value: some TensorScalar, dtype: DType = .f32) -> Tensor {
        full([], value, dtype: dtype)
    }

    /// Values `0, 1, …, end−1` as `i64` (or `dtype`).
    public static func arange(_ end: Int, dtype: DType = .i64, device: Device = .cpu) -> Tensor {
        arange(0, end, step: 1, dtype: dtype, device: device)
    }

    /// Values `start, start+step, …` below `end` (integers give `i64`, unless `dtype` says otherwise).
    public static func arange(_ start: Int, _ end: Int, step: Int = 1, dtype: DType = .i64, device: Device = .cpu) -> Tensor {
        let (dev, index) = device.code
        return make("arange") {
            lt_arange(ScalarValue.int(start).lt, ScalarValue.int(end).lt, ScalarValue.int(step).lt,
                      dtype.rawValue, dev, index, $0)
        }
    }

    /// Floating values `start, start+step, …` below `end`.
    public static func arange(_ start: Double, _ end: Double, step: Double = 1, dtype: DType = .f32) -> Tensor {
        make("arange") {
            lt_arange(ScalarValue.float(start).lt, ScalarValue.float(end).lt, ScalarValue.float(step).lt,
                      dtype.rawValue, Int32(LT_CPU), 0, $0)
        }
    }

    /// `steps` evenly spaced values from `start` to `end` inclusive.
    public static func linspace(_ start: Double, _ end: Double, steps: Int, dtype: DType = .f32) -> Tensor {
        make("linspace") { lt_linspace(start, end, Int64(steps), dtype.rawValue, $0) }
    }

    /// The n×n identity matrix.
    public static func eye(_ n: Int, dtype: DType = .f32) -> Tensor {
        make("eye") { lt_eye(Int64(n), dtype.rawValue, $0) }
    }

    /// Standard-normal samples; pass a `Generator` for reproducible streams.
    public static func randn(_ shape: [Int], dtype: DType = .f32, generator: Generator? = nil) -> Tensor {
        withExtendedLifetime(generator) {
            withInt64s(shape) { dims, rank in
                make("randn") { lt_randn(dims, rank, dtype.rawValue, generator?.handle, $0) }
            }
        }
    }

    /// Uniform samples in [0, 1).
    public static func rand(_ shape: [Int], dtype: DType = .f32, generator: Generator? = nil) -> Tensor {
        withExtendedLifetime(generator) {
            withInt64s(shape) { dims, rank in
                make("rand") { lt_rand(dims, rank, dtype.rawValue, generator?.handle, $0) }
            }
        }
    }

    /// Uniform integers in [low, high) as `i64`.
    public static func randint(_ low: Int, _ high: Int, _ shape: [Int], generator: Generator? = nil) -> Tensor {
        withExtendedLifetime(generator) {
            withInt64s(shape) { dims, rank in
                make("randint") { lt_randint(Int64(low), Int64(high), dims, rank, generator?.handle, $0) }
            }
        }
    }

    /// A random permutation of 0..<n as `i64`.
    public static func randperm(_ n: Int, generator: Generator? = nil) -> Tensor {
        withExtendedLifetime(generator) {
            make("randperm") { lt_randperm(Int64(n), generator?.handle, $0) }
        }
    }

    /// Copies a Swift array into a new CPU tensor of the given shape (default: 1-D).
    public convenience init<T: TensorElement>(_ values: [T], shape: [Int]? = nil) {
        let dims = shape ?? [values.count]
        let expected = dims.reduce(1, *)
        precondition(expected == values.count, "shape \(dims) needs \(expected) values, got \(values.count)")
        var out: OpaquePointer?
        values.withUnsafeBytes { raw in
            withInt64s(dims) { dimsPointer, rank in
                torchCheck(lt_from_data(raw.baseAddress, dimsPointer, rank, T.dtype.rawValue, &out), "from array")
            }
        }
        guard let handle = out else { fatalError("libtorch from array: no tensor returned") }
        self.init(owning: handle)
    }

    /// Copies a nested Swift array (a matrix) into a new 2-D tensor.
    public convenience init<T: TensorElement>(_ rows: [[T]]) {
        let width = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == width }, "ragged rows: every row needs \(width) values")
        self.init(rows.flatMap { $0 }, shape: [rows.count, width])
    }

    /// Copies raw bytes of `dtype` elements into a new CPU tensor; throws if the byte count is wrong.
    public static func fromBytes(_ bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType) throws(TorchError) -> Tensor {
        let (elements, overflow) = shape.reduce((1, false)) { acc, dim in
            let (product, o) = acc.0.multipliedReportingOverflow(by: dim)
            return (product, acc.1 || o || dim < 0)
        }
        let (needed, overflowBytes) = elements.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, !overflowBytes, needed == bytes.count else {
            throw TorchError(operation: "from bytes",
                             message: "shape \(shape) of \(dtype) needs \(overflow ? -1 : needed) bytes, got \(bytes.count)")
        }
        return try withInt64s(shape) { dims, rank throws(TorchError) in
            try tryMake("from bytes") { lt_from_data(bytes.baseAddress, dims, rank, dtype.rawValue, $0) }
        }
    }

    /// Wraps existing memory without copying; `owner` is retained until libtorch releases the storage.
    ///
    /// The memory must stay valid and writable-or-unwritten while `owner` lives, hold `shape`'s elements
    /// contiguously, and be aligned to `dtype`. In-place ops on the result write into it.
    public static func borrowing(_ pointer: UnsafeMutableRawPointer, shape: [Int], dtype: DType, owner: AnyObject) -> Tensor {
        let context = Unmanaged.passRetained(owner).toOpaque()
        return withInt64s(shape) { dims, rank in
            make("from blob") {
                lt_from_blob(pointer, dims, rank, dtype.rawValue, { ctx in
                    if let ctx { Unmanaged<AnyObject>.fromOpaque(ctx).release() }
                }, context, $0)
            }
        }
    }
}
