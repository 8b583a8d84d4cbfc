import Foundation
import LucidSupport

/// An image a judge sees: the bytes of a PNG or JPEG file, sent as a base64 `data:` URL.
///
/// LucidEval does not read or decode images (it has no libtorch and no codecs): the caller reads the
/// file through Lucid's validated image reading (size cap, format from the leading bytes, header and
/// pixel limit — `lucid eval` does it with LucidVision's `ImageDecoder`) and hands over the bytes
/// with the format it found. The bytes are sent unchanged, never re-encoded.
public struct JudgeImage: Sendable, Equatable {
    /// The formats a data URL is built for.
    public enum MediaType: String, Sendable, Equatable, CaseIterable {
        case png = "image/png"
        case jpeg = "image/jpeg"
    }

    /// The encoded file, as read.
    public let bytes: [UInt8]
    public let mediaType: MediaType
    /// Where the bytes came from (a path), for messages and output records; not sent.
    public let source: String

    public init(bytes: [UInt8], mediaType: MediaType, source: String) {
        self.bytes = bytes
        self.mediaType = mediaType
        self.source = source
    }

    /// `data:image/png;base64,…` (or `image/jpeg`).
    public var dataURL: String { "data:\(mediaType.rawValue);base64," + Data(bytes).base64EncodedString() }

    /// The SHA-256 of the bytes, hex: what a record names the image by.
    public var sha256: String {
        var hash = SHA256()
        hash.update(bytes)
        return hash.finalizeHex()
    }
}
