import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `.safetensors` files.
///
/// Tensors are laid out contiguously in the order given; the JSON header lists
/// `__metadata__` first (if any) and then the tensors in that order, and is
/// padded with spaces to a multiple of 8 bytes so the data section is aligned.
/// The file is written to a temporary file in the destination directory, synced,
/// then renamed over `path`, so readers never observe a partial file.
public enum SafetensorsWriter {
    /// One tensor to write: its name, dtype, row-major shape and little-endian bytes.
    public struct Item: Sendable {
        public var name: String
        public var dtype: SafetensorsDType
        public var shape: [Int]
        public var bytes: [UInt8]

        /// Creates an item; `bytes.count` must equal the shape's element count × `dtype.byteSize`.
        public init(name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }

        /// Creates an item from `Data`.
        public init(name: String, dtype: SafetensorsDType, shape: [Int], data: Data) {
            self.init(name: name, dtype: dtype, shape: shape, bytes: [UInt8](data))
        }
    }

    /// Writes `items` and `metadata` to `path` atomically.
    ///
    /// Throws `.duplicateTensor`, `.invalidShape` or `.shapeByteMismatch` (with
    /// `path`) for inconsistent items, and `.cannotWrite` for I/O failures.
    public static func write(_ items: [Item], metadata: [String: String] = [:], to path: String) throws {
        let header = try headerBytes(items, metadata: metadata, path: path)
        var length = UInt64(header.count).littleEndian
        var prefix = [UInt8](repeating: 0, count: 8)
        withUnsafeBytes(of: &length) { prefix.replaceSubrange(0 ..< 8, with: $0) }

        let directory = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        let temporary = (directory.isEmpty ? "." : directory) + "/.\(base).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw CheckpointError.cannotWrite(path: path, reason: "cannot create \(temporary): \(errorText())")
        }
        var succeeded = false
        defer {
            if !succeeded {
                close(fd)
                unlink(temporary)
            }
        }
        try writeAll(fd, prefix, path: path)
        try writeAll(fd, header, path: path)
        for item in items {
            try writeAll(fd, item.bytes, path: path)
        }
        guard fsync(fd) == 0 else {
            throw CheckpointError.cannotWrite(path: path, reason: "fsync failed: \(errorText())")
        }
        succeeded = true
        guard close(fd) == 0 else {
            unlink(temporary)
            throw CheckpointError.cannotWrite(path: path, reason: "close failed: \(errorText())")
        }
        guard rename(temporary, path) == 0 else {
            let reason = errorText()
            unlink(temporary)
            throw CheckpointError.cannotWrite(path: path, reason: "rename failed: \(reason)")
        }
    }

    /// The padded JSON header for `items`, validating them on the way.
    static func headerBytes(_ items: [Item], metadata: [String: String], path: String) throws -> [UInt8] {
        var parts: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { key in
                "\(CheckpointJSON.quoted(key)):\(CheckpointJSON.quoted(metadata[key, default: ""]))"
            }
            parts.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var seen: Set<String> = ["__metadata__"]
        var offset = 0
        for item in items {
            guard seen.insert(item.name).inserted else {
                throw CheckpointError.duplicateTensor(path: path, name: item.name)
            }
            var elements = 1
            for dim in item.shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
                guard dim >= 0, !overflow else {
                    throw CheckpointError.invalidShape(path: path, tensor: item.name,
                                                       reason: "shape \(item.shape) is negative or overflows")
                }
                elements = product
            }
            let (expected, overflow) = elements.multipliedReportingOverflow(by: item.dtype.byteSize)
            guard !overflow, expected == item.bytes.count else {
                throw CheckpointError.shapeByteMismatch(path: path, tensor: item.name, expected: expected,
                                                        actual: UInt64(item.bytes.count))
            }
            let shape = item.shape.map(String.init).joined(separator: ",")
            parts.append("\(CheckpointJSON.quoted(item.name)):{\"dtype\":\"\(item.dtype.rawValue)\","
                + "\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + expected)]}")
            offset += expected
        }
        var header = Array("{\(parts.joined(separator: ","))}".utf8)
        let padding = (8 - header.count % 8) % 8
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding))
        return header
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                guard let base = buffer.baseAddress else { return }
                let result = posixWrite(fd, base + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    throw CheckpointError.cannotWrite(path: path, reason: "write failed: \(errorText())")
                }
                written += result
            }
        }
    }

    private static func errorText() -> String {
        let code = errno
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}

/// `write(2)`, reachable from inside `SafetensorsWriter` whose `write` method shadows it.
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
