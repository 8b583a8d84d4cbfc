import Foundation

extension SafetensorsWriter.Item {
    /// An item holding a tensor's values as `float32`, `float16` or `bfloat16` (converted from any
    /// floating dtype; f16/bf16 round to nearest even), for checkpoints Lucid writes itself.
    public init(name: String, tensor: Tensor, as dtype: SafetensorsDType = .float32) throws {
        let values = tensor.to(.f32).contiguous().toArray(Float.self)
        let bytes: [UInt8]
        switch dtype {
        case .float32:
            bytes = values.withUnsafeBytes { Array($0) }
        case .float16:
            bytes = values.map { HalfFloatConversion.halfBits(from: $0).littleEndian }.withUnsafeBytes { Array($0) }
        case .bfloat16:
            bytes = values.map { HalfFloatConversion.bfloat16Bits(from: $0).littleEndian }.withUnsafeBytes { Array($0) }
        default:
            throw CheckpointError.cannotWrite(path: name, reason: "tensors are written as F32, F16 or BF16, not \(dtype.rawValue)")
        }
        self.init(name: name, dtype: dtype, shape: tensor.shape, bytes: bytes)
    }
}
