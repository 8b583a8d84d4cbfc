/// A bounds-checked little-endian cursor over a byte buffer.
///
/// Every read checks the remaining length first and throws
/// ``CheckpointError/truncated(path:what:needed:available:)`` instead of
/// reading past the end; lengths read from the file are compared against the
/// remaining bytes before anything is allocated.
struct CheckpointByteReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, path: String, offset: Int = 0) {
        self.bytes = bytes
        self.path = path
        self.offset = offset
    }

    /// Bytes left after the cursor.
    var remaining: Int { bytes.count - offset }

    /// Throws `.truncated` unless `count` more bytes are available.
    func require(_ count: Int, _ what: @autoclosure () -> String) throws {
        if count < 0 || count > remaining {
            throw CheckpointError.truncated(path: path, what: what(), needed: UInt64(max(count, 0)),
                                            available: remaining)
        }
    }

    mutating func skip(_ count: Int, _ what: @autoclosure () -> String) throws {
        try require(count, what())
        offset += count
    }

    mutating func readInteger<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        let width = MemoryLayout<T>.size
        try require(width, what())
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += width
        return value
    }

    mutating func u8(_ what: @autoclosure () -> String) throws -> UInt8 { try readInteger(UInt8.self, what()) }
    mutating func u32(_ what: @autoclosure () -> String) throws -> UInt32 { try readInteger(UInt32.self, what()) }
    mutating func u64(_ what: @autoclosure () -> String) throws -> UInt64 { try readInteger(UInt64.self, what()) }

    mutating func f32(_ what: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try readInteger(UInt32.self, what()))
    }

    mutating func f64(_ what: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try readInteger(UInt64.self, what()))
    }

    /// Returns a view of the next `count` bytes and advances past them.
    mutating func slice(_ count: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        try require(count, what())
        let view = UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + count])
        offset += count
        return view
    }

    /// Reads a GGUF string (u64 length + bytes). Checks the length against the
    /// remaining bytes before touching them. With `strict`, invalid UTF-8 throws;
    /// otherwise it is repaired with U+FFFD.
    mutating func ggufString(_ what: @autoclosure () -> String, strict: Bool) throws -> String {
        let length = try u64("length of \(what())")
        guard length <= UInt64(remaining) else {
            throw CheckpointError.stringTooLong(path: path, claimed: length, remaining: remaining)
        }
        let raw = try slice(Int(length), what())
        if strict {
            guard let text = String(validating: raw, as: UTF8.self) else {
                throw CheckpointError.invalidUTF8(path: path, what: what())
            }
            return text
        }
        return String(decoding: raw, as: UTF8.self)
    }
}
