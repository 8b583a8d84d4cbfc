/// An error found while opening, validating or writing a checkpoint file.
///
/// Every case carries the path of the file at fault as its first value, and
/// `description` is one sentence that starts with that path. Readers in this
/// module throw only `CheckpointError`; the in-memory ``dequantize(_:_:count:into:)``
/// throws ``GGMLError`` (``GGUFFile`` reports unsupported types as
/// `.unsupportedQuantization` and lets a too-small output buffer's `GGMLError` through).
public enum CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened, stat'ed or mapped.
    case cannotOpen(path: String, reason: String)
    /// The file could not be created, written or renamed into place.
    case cannotWrite(path: String, reason: String)
    /// Reading `what` needed `needed` bytes but only `available` remained.
    case truncated(path: String, what: String, needed: UInt64, available: Int)
    /// A safetensors header length exceeds the 100 MiB limit.
    case headerTooLarge(path: String, claimed: UInt64, fileSize: Int)
    /// The header (JSON or GGUF metadata) is structurally invalid.
    case malformedHeader(path: String, reason: String)
    /// A tensor names a dtype this reader does not know.
    case unknownDType(path: String, tensor: String, dtype: String)
    /// A tensor's shape is unusable (zero or too many dims, overflow, block mismatch).
    case invalidShape(path: String, tensor: String, reason: String)
    /// A tensor's byte range length disagrees with its shape and dtype.
    case shapeByteMismatch(path: String, tensor: String, expected: Int, actual: UInt64)
    /// A tensor's byte range does not lie inside the data section.
    case offsetsOutOfRange(path: String, tensor: String, begin: UInt64, end: UInt64, dataSize: Int)
    /// Two tensors' byte ranges overlap.
    case overlappingTensors(path: String, first: String, second: String)
    /// The file does not start with the expected magic bytes.
    case badMagic(path: String, found: [UInt8])
    /// The file's format version is not supported.
    case unsupportedVersion(path: String, version: UInt32)
    /// A length-prefixed string claims more bytes than remain in the file.
    case stringTooLong(path: String, claimed: UInt64, remaining: Int)
    /// A string is not valid UTF-8.
    case invalidUTF8(path: String, what: String)
    /// A count (tensors, metadata entries, array elements) cannot fit in the remaining bytes.
    case tooManyItems(path: String, what: String, count: UInt64)
    /// A GGUF metadata value has an unknown type id.
    case unknownValueType(path: String, key: String, type: UInt32)
    /// A GGUF metadata key occurs twice.
    case duplicateKey(path: String, key: String)
    /// A GGUF tensor has an unknown ggml type id.
    case unknownGGMLType(path: String, tensor: String, type: UInt32)
    /// `general.alignment` is zero, not a power of two, or not an integer.
    case invalidAlignment(path: String, alignment: UInt64)
    /// A GGUF tensor offset is not a multiple of the file's alignment.
    case unalignedOffset(path: String, tensor: String, offset: UInt64, alignment: Int)
    /// A shard named by a safetensors index does not exist.
    case missingShard(path: String, shard: String)
    /// A tensor name occurs twice (in one file, or across shards).
    case duplicateTensor(path: String, name: String)
    /// A tensor was asked for (or listed in an index) but is not present.
    case tensorNotFound(path: String, name: String)
    /// A tensor's type cannot be dequantised by this module.
    case unsupportedQuantization(path: String, tensor: String, type: String)

    /// The path of the file this error is about.
    public var path: String {
        switch self {
        case .cannotOpen(let p, _), .cannotWrite(let p, _), .truncated(let p, _, _, _),
             .headerTooLarge(let p, _, _), .malformedHeader(let p, _), .unknownDType(let p, _, _),
             .invalidShape(let p, _, _), .shapeByteMismatch(let p, _, _, _),
             .offsetsOutOfRange(let p, _, _, _, _), .overlappingTensors(let p, _, _),
             .badMagic(let p, _), .unsupportedVersion(let p, _), .stringTooLong(let p, _, _),
             .invalidUTF8(let p, _), .tooManyItems(let p, _, _), .unknownValueType(let p, _, _),
             .duplicateKey(let p, _), .unknownGGMLType(let p, _, _), .invalidAlignment(let p, _),
             .unalignedOffset(let p, _, _, _), .missingShard(let p, _), .duplicateTensor(let p, _),
             .tensorNotFound(let p, _), .unsupportedQuantization(let p, _, _):
            return p
        }
    }

    public var description: String {
        switch self {
        case .cannotOpen(let p, let reason):
            return "\(p): cannot open file: \(reason)."
        case .cannotWrite(let p, let reason):
            return "\(p): cannot write file: \(reason)."
        case .truncated(let p, let what, let needed, let available):
            return "\(p): file is truncated: \(what) needs \(needed) bytes but only \(available) remain."
        case .headerTooLarge(let p, let claimed, let fileSize):
            return "\(p): header claims \(claimed) bytes, over the limit (file is \(fileSize) bytes)."
        case .malformedHeader(let p, let reason):
            return "\(p): malformed header: \(reason)."
        case .unknownDType(let p, let tensor, let dtype):
            return "\(p): tensor '\(tensor)' has unknown dtype '\(dtype)'."
        case .invalidShape(let p, let tensor, let reason):
            return "\(p): tensor '\(tensor)' has an invalid shape: \(reason)."
        case .shapeByteMismatch(let p, let tensor, let expected, let actual):
            return "\(p): tensor '\(tensor)' shape and dtype need \(expected) bytes but its data range holds \(actual)."
        case .offsetsOutOfRange(let p, let tensor, let begin, let end, let dataSize):
            return "\(p): tensor '\(tensor)' data range \(begin)..<\(end) is outside the \(dataSize)-byte data section."
        case .overlappingTensors(let p, let first, let second):
            return "\(p): tensors '\(first)' and '\(second)' have overlapping data ranges."
        case .badMagic(let p, let found):
            let hex = found.map { String($0, radix: 16, uppercase: true) }.joined(separator: " ")
            return "\(p): not a GGUF file (magic bytes are [\(hex)], expected [47 47 55 46])."
        case .unsupportedVersion(let p, let version):
            return "\(p): unsupported format version \(version)."
        case .stringTooLong(let p, let claimed, let remaining):
            return "\(p): string claims \(claimed) bytes but only \(remaining) remain in the file."
        case .invalidUTF8(let p, let what):
            return "\(p): \(what) is not valid UTF-8."
        case .tooManyItems(let p, let what, let count):
            return "\(p): \(what) count \(count) cannot fit in the rest of the file."
        case .unknownValueType(let p, let key, let type):
            return "\(p): metadata key '\(key)' has unknown value type \(type)."
        case .duplicateKey(let p, let key):
            return "\(p): metadata key '\(key)' occurs more than once."
        case .unknownGGMLType(let p, let tensor, let type):
            return "\(p): tensor '\(tensor)' has unknown ggml type \(type)."
        case .invalidAlignment(let p, let alignment):
            return "\(p): general.alignment \(alignment) is not a positive power of two."
        case .unalignedOffset(let p, let tensor, let offset, let alignment):
            return "\(p): tensor '\(tensor)' offset \(offset) is not a multiple of the alignment \(alignment)."
        case .missingShard(let p, let shard):
            return "\(p): shard '\(shard)' named by the index does not exist."
        case .duplicateTensor(let p, let name):
            return "\(p): tensor '\(name)' occurs more than once."
        case .tensorNotFound(let p, let name):
            return "\(p): tensor '\(name)' not found."
        case .unsupportedQuantization(let p, let tensor, let type):
            return "\(p): tensor '\(tensor)' has type \(type), which cannot be dequantised."
        }
    }
}
