@testable import LucidTensor

/// Builds GGUF byte images for tests, both well-formed and deliberately broken.
///
/// Low-level methods append exactly what they are told (so tests can write
/// absurd lengths and counts); ``build(version:metadata:tensors:alignment:)``
/// produces a complete valid file.
struct GGUFTestWriter {
    var bytes: [UInt8] = []

    /// One tensor for ``build``: ggml-order dims, type and its raw data.
    struct TensorSpec {
        var name: String
        var ggmlDims: [Int]
        var type: GGMLType
        var data: [UInt8]
    }

    mutating func append(_ raw: [UInt8]) { bytes += raw }
    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u32(_ value: UInt32) { bytes += FormatsBytes.bytes(value) }
    mutating func u64(_ value: UInt64) { bytes += FormatsBytes.bytes(value) }

    mutating func header(version: UInt32 = 3, tensorCount: UInt64, kvCount: UInt64) {
        append(Array("GGUF".utf8))
        u32(version)
        u64(tensorCount)
        u64(kvCount)
    }

    mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        u64(UInt64(utf8.count))
        append(utf8)
    }

    /// The payload of `value` (no type id), arrays with their element type and count.
    mutating func payload(_ value: GGUFValue) {
        switch value {
        case .uint8(let v): u8(v)
        case .int8(let v): append(FormatsBytes.bytes(v))
        case .uint16(let v): append(FormatsBytes.bytes(v))
        case .int16(let v): append(FormatsBytes.bytes(v))
        case .uint32(let v): u32(v)
        case .int32(let v): append(FormatsBytes.bytes(v))
        case .uint64(let v): u64(v)
        case .int64(let v): append(FormatsBytes.bytes(v))
        case .float32(let v): append(FormatsBytes.f32(v))
        case .float64(let v): append(FormatsBytes.f64(v))
        case .bool(let v): u8(v ? 1 : 0)
        case .string(let v): string(v)
        case .array(let type, let elements):
            u32(type.rawValue)
            u64(UInt64(elements.count))
            for element in elements { payload(element) }
        }
    }

    mutating func keyValue(_ key: String, _ value: GGUFValue) {
        string(key)
        u32(value.type.rawValue)
        payload(value)
    }

    mutating func tensorInfo(name: String, ggmlDims: [UInt64], type: UInt32, offset: UInt64) {
        string(name)
        u32(UInt32(ggmlDims.count))
        for dim in ggmlDims { u64(dim) }
        u32(type)
        u64(offset)
    }

    mutating func pad(to alignment: Int) {
        while bytes.count % alignment != 0 { bytes.append(0) }
    }

    /// A complete GGUF image; writes `general.alignment` when `alignment` is not 32.
    static func build(version: UInt32 = 3, metadata: [(String, GGUFValue)], tensors: [TensorSpec],
                      alignment: Int = 32) -> [UInt8] {
        var pairs = metadata
        if alignment != 32 { pairs.append(("general.alignment", .uint32(UInt32(alignment)))) }
        var writer = GGUFTestWriter()
        writer.header(version: version, tensorCount: UInt64(tensors.count), kvCount: UInt64(pairs.count))
        for (key, value) in pairs { writer.keyValue(key, value) }
        var offset = 0
        var offsets: [Int] = []
        for tensor in tensors {
            offsets.append(offset)
            writer.tensorInfo(name: tensor.name, ggmlDims: tensor.ggmlDims.map { UInt64($0) },
                              type: tensor.type.rawValue, offset: UInt64(offset))
            offset += tensor.data.count
            offset = (offset + alignment - 1) / alignment * alignment
        }
        writer.pad(to: alignment)
        let dataStart = writer.bytes.count
        for (tensor, tensorOffset) in zip(tensors, offsets) {
            while writer.bytes.count < dataStart + tensorOffset { writer.bytes.append(0) }
            writer.append(tensor.data)
        }
        return writer.bytes
    }
}
