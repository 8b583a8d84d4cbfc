import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads with a size cap, and atomic writes (temporary file, fsync, rename).
enum FileIO {
    /// The bytes of the regular file at `path`; `.cannotRead` if it is missing, not a regular
    /// file, larger than `maxBytes`, or unreadable.
    static func readFile(_ path: String, maxBytes: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ImageError.cannotRead(path: path, reason: errorText()) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw ImageError.cannotRead(path: path, reason: errorText()) }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw ImageError.cannotRead(path: path, reason: "not a regular file")
        }
        let size = Int(status.st_size)
        guard size <= maxBytes else {
            throw ImageError.cannotRead(path: path, reason: "file is \(size) bytes, over the limit of \(maxBytes)")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let result = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return read(fd, base + filled, size - filled)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw ImageError.cannotRead(path: path, reason: errorText())
            }
            if result == 0 { break }  // the file shrank while we read it
            filled += result
        }
        return filled == size ? bytes : Array(bytes[0 ..< filled])
    }

    /// Writes `bytes` to `path` atomically: readers see the old file or the whole new one.
    static func writeFileAtomically(_ bytes: [UInt8], to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        let temporary = (directory.isEmpty ? "." : directory)
            + "/.\(base).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ImageError.cannotWrite(path: path, reason: "cannot create \(temporary): \(errorText())")
        }
        var closed = false
        var renamed = false
        defer {
            if !closed { close(fd) }
            if !renamed { unlink(temporary) }
        }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return write(fd, base + written, bytes.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw ImageError.cannotWrite(path: path, reason: "write failed: \(errorText())")
            }
            written += result
        }
        guard fsync(fd) == 0 else { throw ImageError.cannotWrite(path: path, reason: "fsync failed: \(errorText())") }
        closed = true
        guard close(fd) == 0 else { throw ImageError.cannotWrite(path: path, reason: "close failed: \(errorText())") }
        guard rename(temporary, path) == 0 else {
            throw ImageError.cannotWrite(path: path, reason: "rename failed: \(errorText())")
        }
        renamed = true
    }

    static func errorText() -> String {
        let code = errno
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}
