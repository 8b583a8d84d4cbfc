/// An error found while reading, decoding, encoding, writing or transforming an image.
///
/// Cases about a file or buffer carry its path (or the caller's label for in-memory data,
/// `"<memory>"` by default) as their first value, and `description` is one sentence that starts
/// with it. Everything in LucidVision throws only `ImageError`.
public enum ImageError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened or read.
    case cannotRead(path: String, reason: String)
    /// The file could not be created, written or renamed into place.
    case cannotWrite(path: String, reason: String)
    /// The file or buffer holds no bytes.
    case empty(path: String)
    /// The leading bytes are neither a PNG nor a JPEG signature.
    case unknownFormat(path: String, leadingBytes: [UInt8])
    /// The data ends before the image does.
    case truncated(path: String, format: ImageFormat, detail: String)
    /// The codec rejected the data (bad checksum, bad marker, invalid header field, ...).
    case corrupt(path: String, format: ImageFormat, detail: String)
    /// Valid data of a kind this module does not decode (12-bit JPEG, 2-component JPEG, ...).
    case unsupported(path: String, format: ImageFormat, detail: String)
    /// The header declares more pixels than the decoder's limit; nothing was allocated.
    case tooLarge(path: String, width: Int, height: Int, limit: Int)
    /// A configuration file is missing a field, has a wrong type, or an invalid value.
    case invalidConfig(path: String, reason: String)
    /// An in-memory image or argument is inconsistent (sample count, size, non-finite value).
    case invalidImage(reason: String)
    /// The operation is valid but not implemented here (for example nearest-neighbour resizing).
    case unsupportedOperation(reason: String)
    /// The file decoded, but preparing it for a model failed (a pad or resize over the pixel
    /// budget): an `.invalidImage` or `.unsupportedOperation` attributed to its file.
    case unusable(path: String, reason: String)

    /// The file (or in-memory label) this error is about; nil for `.invalidImage` and
    /// `.unsupportedOperation`.
    public var path: String? {
        switch self {
        case .cannotRead(let p, _), .cannotWrite(let p, _), .empty(let p), .unknownFormat(let p, _),
             .truncated(let p, _, _), .corrupt(let p, _, _), .unsupported(let p, _, _),
             .tooLarge(let p, _, _, _), .invalidConfig(let p, _), .unusable(let p, _):
            return p
        case .invalidImage, .unsupportedOperation:
            return nil
        }
    }

    public var description: String {
        switch self {
        case .cannotRead(let p, let reason):
            return "\(p): cannot read file: \(reason)."
        case .cannotWrite(let p, let reason):
            return "\(p): cannot write file: \(reason)."
        case .empty(let p):
            return "\(p): file is empty (0 bytes), not an image."
        case .unknownFormat(let p, let bytes):
            let hex = bytes.map { String($0, radix: 16, uppercase: true) }.joined(separator: " ")
            return "\(p): not a PNG or JPEG image (leading bytes [\(hex)])."
        case .truncated(let p, let format, let detail):
            return "\(p): \(format.name) data is truncated: \(detail)."
        case .corrupt(let p, let format, let detail):
            return "\(p): corrupt \(format.name) data: \(detail)."
        case .unsupported(let p, let format, let detail):
            return "\(p): unsupported \(format.name) image: \(detail)."
        case .tooLarge(let p, let width, let height, let limit):
            return "\(p): image is \(width)x\(height) pixels, over the limit of \(limit) pixels."
        case .invalidConfig(let p, let reason):
            return "\(p): invalid preprocessor config: \(reason)."
        case .invalidImage(let reason):
            return "invalid image: \(reason)."
        case .unsupportedOperation(let reason):
            return "unsupported operation: \(reason)."
        case .unusable(let p, let reason):
            return "\(p): cannot prepare the image: \(reason)."
        }
    }
}

extension ImageError {
    /// This error with the image file named: errors raised on decoded pixels (`.invalidImage`,
    /// `.unsupportedOperation`) become `.unusable(path:reason:)`; the others already name theirs.
    public func naming(file path: String) -> ImageError {
        switch self {
        case .invalidImage(let reason), .unsupportedOperation(let reason): return .unusable(path: path, reason: reason)
        default: return self
        }
    }

    /// `body`'s result; an `ImageError` it throws is rethrown naming `path` (`naming(file:)`).
    public static func naming<T>(file path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as ImageError { throw error.naming(file: path) }
    }
}
