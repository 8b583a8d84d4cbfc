import Foundation

/// A small GGUF v3 written byte by byte: metadata and f32 tensors, for tests of what Lucid reads from a
/// file's header (`LlamaGGUF.config`). `llamaHeader` is the least a `llama` config needs.
struct MiniGGUF {
    enum Value {
        case u32(UInt32)
        case f32(Float)
        case string(String)
        case strings([String])
    }

    var metadata: [(key: String, value: Value)]
    var tensors: [(name: String, dims: [Int], values: [Float])] = []

    static let llamaHeader: [(key: String, value: Value)] = [
        ("general.architecture", .string("llama")), ("llama.block_count", .u32(1)), ("llama.embedding_length", .u32(64)),
        ("llama.feed_forward_length", .u32(96)), ("llama.attention.head_count", .u32(4)), ("llama.vocab_size", .u32(97)),
    ]

    var bytes: [UInt8] {
        var bytes = Array("GGUF".utf8)
        func u32(_ v: UInt32) { bytes += withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func u64(_ v: UInt64) { bytes += withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
        u32(3); u64(UInt64(tensors.count)); u64(UInt64(metadata.count))
        for (key, value) in metadata {
            string(key)
            switch value {
            case .u32(let v): u32(4); u32(v)
            case .f32(let v): u32(6); u32(v.bitPattern)
            case .string(let v): u32(8); string(v)
            case .strings(let v): u32(9); u32(8); u64(UInt64(v.count)); v.forEach { string($0) }
            }
        }
        var offset = 0
        for tensor in tensors {
            string(tensor.name); u32(UInt32(tensor.dims.count)); tensor.dims.forEach { u64(UInt64($0)) }; u32(0); u64(UInt64(offset))
            offset += (tensor.values.count * 4 + 31) / 32 * 32
        }
        while bytes.count % 32 != 0 { bytes.append(0) }
        for tensor in tensors {
            tensor.values.forEach { u32($0.bitPattern) }
            while bytes.count % 32 != 0 { bytes.append(0) }
        }
        return bytes
    }

    /// Writes the file to a new temporary path (removed by the caller).
    func write() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-mini-\(UUID().uuidString).gguf").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}
