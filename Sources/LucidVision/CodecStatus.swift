import CImageCodecs

/// Turns a CImageCodecs status and message into an ``ImageError`` (nil for success).
enum CodecStatus {
    /// A zeroed message buffer of the size the C layer writes into.
    static func messageBuffer() -> [CChar] {
        [CChar](repeating: 0, count: Int(LV_MESSAGE_CAPACITY))
    }

    /// The NUL-terminated text in `buffer` (never reads past its end).
    static func text(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let text = String(decoding: bytes, as: UTF8.self)
        return text.isEmpty ? "no detail given" : text
    }

    static func error(_ status: Int32, _ message: [CChar], path: String, format: ImageFormat) -> ImageError? {
        let detail = text(message)
        switch status {
        case Int32(LV_OK):
            return nil
        case Int32(LV_ERROR_TRUNCATED):
            return .truncated(path: path, format: format, detail: detail)
        case Int32(LV_ERROR_UNSUPPORTED):
            return .unsupported(path: path, format: format, detail: detail)
        case Int32(LV_ERROR_MEMORY):
            return .corrupt(path: path, format: format, detail: "out of memory: \(detail)")
        case Int32(LV_ERROR_ARGUMENT):
            return .corrupt(path: path, format: format, detail: "decoded layout mismatch: \(detail)")
        default:
            return .corrupt(path: path, format: format, detail: detail)
        }
    }
}
