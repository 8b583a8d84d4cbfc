/// Dequantises `count` elements of ggml `type` from `raw` into `out`.
///
/// Supports F32, F16, BF16, F64, I8, I16, I32, I64, Q8_0, Q4_0, Q4_1, Q5_0,
/// Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL and IQ4_XS (see ``GGMLType/canDequantize``). `count` must be a multiple
/// of the type's block size, `raw` must hold at least the matching byte count
/// and `out` at least `count` floats; otherwise a ``GGMLError`` is thrown and
/// nothing is written. Integer and F64 inputs are converted with rounding.
public func dequantize(_ type: GGMLType, _ raw: UnsafeRawBufferPointer, count: Int,
                       into out: UnsafeMutableBufferPointer<Float>) throws {
    try GGMLDequantizer.run(type, raw, count: count, into: out)
}

/// Dequantises `count` elements of ggml `type` from `raw` into a new array.
///
/// Same rules and errors as ``dequantize(_:_:count:into:)``.
public func dequantize(_ type: GGMLType, _ raw: UnsafeRawBufferPointer, count: Int) throws -> [Float] {
    try GGMLDequantizer.array(type, raw, count: count)
}

/// Block decoders for the supported ggml types.
enum GGMLDequantizer {
    static func array(_ type: GGMLType, _ raw: UnsafeRawBufferPointer, count: Int) throws -> [Float] {
        try validate(type, raw, count: count, outputCount: count)
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try run(type, raw, count: count, into: buffer)
            initialized = count
        }
    }

    static func validate(_ type: GGMLType, _ raw: UnsafeRawBufferPointer, count: Int, outputCount: Int) throws {
        guard type.canDequantize else { throw GGMLError.unsupportedType(type) }
        let needed = try type.byteCount(elements: count)
        guard raw.count >= needed else {
            throw GGMLError.bufferTooSmall(what: "input bytes", needed: needed, available: raw.count)
        }
        guard outputCount >= count else {
            throw GGMLError.bufferTooSmall(what: "output float", needed: count, available: outputCount)
        }
    }

    static func run(_ type: GGMLType, _ raw: UnsafeRawBufferPointer, count: Int,
                    into out: UnsafeMutableBufferPointer<Float>) throws {
        try validate(type, raw, count: count, outputCount: out.count)
        guard count > 0, let source = raw.baseAddress, let destination = out.baseAddress else { return }
        let blocks = count / type.blockSize
        switch type {
        case .f32:
            for i in 0 ..< count { destination[i] = Float(bitPattern: loadLE(source, 4 * i, UInt32.self)) }
        case .f16:
            for i in 0 ..< count { destination[i] = half(source, 2 * i) }
        case .bf16:
            for i in 0 ..< count {
                destination[i] = HalfFloatConversion.float(fromBFloat16: loadLE(source, 2 * i, UInt16.self))
            }
        case .f64:
            for i in 0 ..< count { destination[i] = Float(Double(bitPattern: loadLE(source, 8 * i, UInt64.self))) }
        case .i8:
            for i in 0 ..< count { destination[i] = Float(loadLE(source, i, Int8.self)) }
        case .i16:
            for i in 0 ..< count { destination[i] = Float(loadLE(source, 2 * i, Int16.self)) }
        case .i32:
            for i in 0 ..< count { destination[i] = Float(loadLE(source, 4 * i, Int32.self)) }
        case .i64:
            for i in 0 ..< count { destination[i] = Float(loadLE(source, 8 * i, Int64.self)) }
        case .q8_0:
            for block in 0 ..< blocks { q8_0(source + 34 * block, destination + 32 * block) }
        case .q4_0:
            for block in 0 ..< blocks { q4_0(source + 18 * block, destination + 32 * block) }
        case .q4_1:
            for block in 0 ..< blocks { q4_1(source + 20 * block, destination + 32 * block) }
        case .q5_0:
            for block in 0 ..< blocks { q5_0(source + 22 * block, destination + 32 * block) }
        case .q5_1:
            for block in 0 ..< blocks { q5_1(source + 24 * block, destination + 32 * block) }
        case .q2_K:
            for block in 0 ..< blocks { q2_K(source + 84 * block, destination + 256 * block) }
        case .q3_K:
            for block in 0 ..< blocks { q3_K(source + 110 * block, destination + 256 * block) }
        case .iq4_nl:
            for block in 0 ..< blocks { iq4_nl(source + 18 * block, destination + 32 * block) }
        case .iq4_xs:
            for block in 0 ..< blocks { iq4_xs(source + 136 * block, destination + 256 * block) }
        case .iq2_xxs:
            for block in 0 ..< blocks { iq2_xxs(source + 66 * block, destination + 256 * block) }
        case .iq2_xs:
            for block in 0 ..< blocks { iq2_xs(source + 74 * block, destination + 256 * block) }
        case .iq2_s:
            for block in 0 ..< blocks { iq2_s(source + 82 * block, destination + 256 * block) }
        case .iq3_xxs:
            for block in 0 ..< blocks { iq3_xxs(source + 98 * block, destination + 256 * block) }
        case .iq3_s:
            for block in 0 ..< blocks { iq3_s(source + 110 * block, destination + 256 * block) }
        case .iq1_s:
            for block in 0 ..< blocks { iq1_s(source + 50 * block, destination + 256 * block) }
        case .iq1_m:
            for block in 0 ..< blocks { iq1_m(source + 56 * block, destination + 256 * block) }
        case .tq1_0:
            for block in 0 ..< blocks { tq1_0(source + 54 * block, destination + 256 * block) }
        case .tq2_0:
            for block in 0 ..< blocks { tq2_0(source + 66 * block, destination + 256 * block) }
        case .mxfp4:
            for block in 0 ..< blocks { mxfp4(source + 17 * block, destination + 32 * block) }
        case .q4_K:
            for block in 0 ..< blocks { q4_K(source + 144 * block, destination + 256 * block) }
        case .q5_K:
            for block in 0 ..< blocks { q5_K(source + 176 * block, destination + 256 * block) }
        case .q6_K:
            for block in 0 ..< blocks { q6_K(source + 210 * block, destination + 256 * block) }
        default:
            throw GGMLError.unsupportedType(type)
        }
    }

    // MARK: - Byte access

    @inline(__always)
    static func loadLE<T: FixedWidthInteger>(_ base: UnsafeRawPointer, _ offset: Int, _: T.Type) -> T {
        T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    @inline(__always)
    static func byte(_ base: UnsafeRawPointer, _ offset: Int) -> UInt8 {
        base.load(fromByteOffset: offset, as: UInt8.self)
    }

    @inline(__always)
    static func half(_ base: UnsafeRawPointer, _ offset: Int) -> Float {
        HalfFloatConversion.float(fromHalf: loadLE(base, offset, UInt16.self))
    }

    // MARK: - 32-element blocks

    /// Q8_0: f16 scale `d`, then 32 signed bytes; x = d·q.
    @inline(__always)
    static func q8_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        for j in 0 ..< 32 {
            out[j] = Float(Int8(bitPattern: byte(block, 2 + j))) * d
        }
    }

    /// Q4_0: f16 scale `d`, then 16 bytes; byte j holds element j (low nibble)
    /// and element j+16 (high nibble), each offset by 8; x = d·(q−8).
    @inline(__always)
    static func q4_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        for j in 0 ..< 16 {
            let packed = byte(block, 2 + j)
            out[j] = Float(Int(packed & 0x0F) - 8) * d
            out[j + 16] = Float(Int(packed >> 4) - 8) * d
        }
    }

    /// Q4_1: f16 scale `d`, f16 minimum `m`, then 16 bytes with the Q4_0 nibble
    /// layout (unsigned); x = d·q + m.
    @inline(__always)
    static func q4_1(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let m = half(block, 2)
        for j in 0 ..< 16 {
            let packed = byte(block, 4 + j)
            out[j] = Float(packed & 0x0F) * d + m
            out[j + 16] = Float(packed >> 4) * d + m
        }
    }

    /// Q5_0: f16 scale `d`, a 32-bit little-endian word of fifth bits (bit j for element j), then 16 bytes
    /// in the Q4_0 nibble layout; x = d·(q − 16).
    @inline(__always)
    static func q5_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let high = loadLE(block, 2, UInt32.self)
        for j in 0 ..< 16 {
            let packed = byte(block, 6 + j)
            out[j] = Float(Int(UInt32(packed & 0x0F) | ((high >> j) & 1) << 4) - 16) * d
            out[j + 16] = Float(Int(UInt32(packed >> 4) | ((high >> (j + 16)) & 1) << 4) - 16) * d
        }
    }

    /// Q5_1: f16 scale `d`, f16 minimum `m`, the Q5_0 fifth bits and nibbles (unsigned); x = d·q + m.
    @inline(__always)
    static func q5_1(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let m = half(block, 2)
        let high = loadLE(block, 4, UInt32.self)
        for j in 0 ..< 16 {
            let packed = byte(block, 8 + j)
            out[j] = d * Float(UInt32(packed & 0x0F) | ((high >> j) & 1) << 4) + m
            out[j + 16] = d * Float(UInt32(packed >> 4) | ((high >> (j + 16)) & 1) << 4) + m
        }
    }
}
