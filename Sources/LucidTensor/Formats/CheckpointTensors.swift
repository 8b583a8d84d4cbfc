/// Tensors from checkpoint files: zero-copy views of the mapping where the layout allows, copies
/// or dequantised f32 otherwise.

extension SafetensorsDType {
    /// The tensor dtype holding this storage type losslessly, or nil when Lucid has none.
    public var tensorDType: DType? {
        switch self {
        case .float32: return .f32
        case .float16: return .f16
        case .bfloat16: return .bf16
        case .float64: return .f64
        case .int64: return .i64
        case .int32: return .i32
        case .int16: return .i16
        case .int8: return .i8
        case .uint8: return .u8
        case .bool: return .bool
        case .uint16, .uint32, .uint64, .float8E4M3, .float8E5M2: return nil
        }
    }
}

extension MappedFile {
    /// A tensor over `range` of the mapping: borrowed when aligned to the element size, else copied.
    func tensor(bytes range: Range<Int>, shape: [Int], dtype: DType, name: String) throws -> Tensor {
        guard range.lowerBound >= 0, range.upperBound <= size else {
            throw CheckpointError.offsetsOutOfRange(path: path, tensor: name, begin: UInt64(max(0, range.lowerBound)),
                                                   end: UInt64(max(0, range.upperBound)), dataSize: size)
        }
        if range.isEmpty {
            return Tensor.zeros(shape, dtype: dtype)
        }
        guard let base = mutableBase else {
            throw CheckpointError.truncated(path: path, what: "tensor '\(name)'", needed: UInt64(range.count), available: 0)
        }
        let pointer = base + range.lowerBound
        if Int(bitPattern: pointer) % dtype.byteSize == 0 {
            return Tensor.borrowing(pointer, shape: shape, dtype: dtype, owner: self)
        }
        do {
            return try Tensor.fromBytes(UnsafeRawBufferPointer(start: pointer, count: range.count), shape: shape, dtype: dtype)
        } catch {
            throw CheckpointError.shapeByteMismatch(path: path, tensor: name, expected: shape.reduce(dtype.byteSize, *),
                                                    actual: UInt64(range.count))
        }
    }
}

extension SafetensorsFile {
    /// The tensor `entry` describes, sharing the file's memory when aligned (copy-on-write).
    public func loadTensor(for entry: SafetensorsEntry) throws -> Tensor {
        guard let dtype = entry.dtype.tensorDType else {
            throw CheckpointError.unknownDType(path: path, tensor: entry.name, dtype: entry.dtype.rawValue)
        }
        let begin = dataStart + entry.dataOffsets.lowerBound
        return try file.tensor(bytes: begin..<(begin + entry.byteCount), shape: entry.shape, dtype: dtype, name: entry.name)
    }

    /// The tensor called `name`; throws `tensorNotFound` when absent.
    public func loadTensor(named name: String) throws -> Tensor {
        guard let entry = entry(named: name) else { throw CheckpointError.tensorNotFound(path: path, name: name) }
        return try loadTensor(for: entry)
    }
}

extension SafetensorsCheckpoint {
    /// The tensor called `name` from whichever shard holds it.
    public func loadTensor(named name: String) throws -> Tensor {
        guard let (entry, file) = entry(named: name) else { throw CheckpointError.tensorNotFound(path: path, name: name) }
        return try file.loadTensor(for: entry)
    }
}

extension GGUFFile {
    /// The tensor `info` describes in its row-major shape: F32/F16/BF16 and integer types as stored
    /// (zero-copy when aligned), quantised types dequantised to f32 (their mapped pages are then
    /// released: `MappedFile.releasePages(in:)`; they read back from the file if needed again).
    public func loadTensor(for info: GGUFTensorInfo) throws -> Tensor {
        let begin = dataStart + info.offset
        let range = begin..<(begin + info.byteCount)
        switch info.type {
        case .f32: return try file.tensor(bytes: range, shape: info.shape, dtype: .f32, name: info.name)
        case .f16: return try file.tensor(bytes: range, shape: info.shape, dtype: .f16, name: info.name)
        case .bf16: return try file.tensor(bytes: range, shape: info.shape, dtype: .bf16, name: info.name)
        case .f64: return try file.tensor(bytes: range, shape: info.shape, dtype: .f64, name: info.name)
        case .i64: return try file.tensor(bytes: range, shape: info.shape, dtype: .i64, name: info.name)
        case .i32: return try file.tensor(bytes: range, shape: info.shape, dtype: .i32, name: info.name)
        case .i16: return try file.tensor(bytes: range, shape: info.shape, dtype: .i16, name: info.name)
        case .i8: return try file.tensor(bytes: range, shape: info.shape, dtype: .i8, name: info.name)
        default:
            let out = Tensor.empty(info.shape, dtype: .f32)
            try out.withUnsafeRawPointer { raw in
                let buffer = UnsafeMutableBufferPointer(start: UnsafeMutablePointer(mutating: raw.assumingMemoryBound(to: Float.self)),
                                                        count: info.elementCount)
                try dequantize(info, into: buffer)
            }
            file.releasePages(in: range)
            return out
        }
    }

    /// The tensor called `name`; throws `tensorNotFound` when absent.
    public func loadTensor(named name: String) throws -> Tensor {
        guard let info = tensors.first(where: { $0.name == name }) else { throw CheckpointError.tensorNotFound(path: path, name: name) }
        return try loadTensor(for: info)
    }

    /// Drops the mapped pages of tensor `name` (after a loader copied it); returns the bytes released.
    @discardableResult
    public func releasePages(of name: String) -> Int {
        guard let info = tensor(named: name) else { return 0 }
        let begin = dataStart + info.offset
        return file.releasePages(in: begin..<(begin + info.byteCount))
    }
}
