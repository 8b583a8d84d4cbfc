import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file with an advisory `flock` held for as long as it is open.
///
/// `flock` locks belong to the open file description, so a second `open` of the same file — in
/// another process or in this one — cannot take a conflicting lock, and a killed process's lock is
/// released by the kernel. On NFS, Linux maps `flock` to NFSv4 byte-range locks, which work
/// across nodes; NFSv3 mounted with `nolock` has no locking at all.
public final class LockedFile {
    public enum Access: Sendable { case appending, reading }
    public enum Lock: Sendable { case exclusive, shared }

    public let path: String
    private(set) var descriptor: Int32

    /// Opens (creating when appending) and locks without waiting: `RunError.locked` if another holder exists.
    public init(path: String, access: Access, lock: Lock, wait: Bool = false) throws(RunError) {
        self.path = path
        let flags: Int32 = access == .appending ? O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC : O_RDONLY | O_CLOEXEC
        let descriptor = open(path, flags, 0o644)
        guard descriptor >= 0 else { throw LockedFile.failure(path, "open") }
        var operation = lock == .exclusive ? LOCK_EX : LOCK_SH
        if !wait { operation |= LOCK_NB }
        while flock(descriptor, operation) != 0 {
            let code = errno
            if code == EINTR { continue }
            _ = systemClose(descriptor)
            if code == EWOULDBLOCK { throw RunError.locked(path: path) }
            throw RunError.io(path: path, operation: "flock", reason: String(cString: strerror(code)))
        }
        self.descriptor = descriptor
    }

    deinit { close() }

    static func failure(_ path: String, _ operation: String) -> RunError {
        .io(path: path, operation: operation, reason: String(cString: strerror(errno)))
    }

    /// Closes the file, releasing the lock.
    public func close() {
        if descriptor >= 0 {
            _ = systemClose(descriptor)
            descriptor = -1
        }
    }

    /// The whole file.
    func readAll() throws(RunError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var offset: off_t = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, offset) }
            if count < 0 {
                if errno == EINTR { continue }
                throw LockedFile.failure(path, "read")
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
            offset += off_t(count)
        }
    }

    /// Appends `bytes` with `write` calls on the `O_APPEND` descriptor, then `fsync`s.
    func append(_ bytes: [UInt8]) throws(RunError) {
        guard Self.writeAll(bytes, to: descriptor) else { throw LockedFile.failure(path, "write") }
        try sync()
    }

    /// Writes every byte of `bytes` to `descriptor`, retrying interrupted and short writes; false (with
    /// `errno` set) when a write fails.
    static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress.map { $0 + written }, bytes.count - written)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return false
            }
            written += count
        }
        return true
    }

    /// Cuts the file to `length` bytes and `fsync`s.
    func truncate(to length: Int) throws(RunError) {
        guard ftruncate(descriptor, off_t(length)) == 0 else { throw LockedFile.failure(path, "truncate") }
        try sync()
    }

    func sync() throws(RunError) {
        guard fsync(descriptor) == 0 else { throw LockedFile.failure(path, "fsync") }
    }

    /// `fsync`s a directory so that a file created or renamed in it survives a crash.
    static func syncDirectory(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        _ = systemClose(descriptor)
    }

    /// Writes `bytes` to `path` through a temporary file and a rename, so readers see all or nothing.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(RunError) {
        let temporary = "\(path).tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure(temporary, "open") }
        guard writeAll(bytes, to: descriptor) else {
            let error = failure(temporary, "write")
            _ = systemClose(descriptor)
            unlink(temporary)
            throw error
        }
        guard fsync(descriptor) == 0 else {
            let error = failure(temporary, "fsync")
            _ = systemClose(descriptor)
            unlink(temporary)
            throw error
        }
        _ = systemClose(descriptor)
        guard rename(temporary, path) == 0 else {
            let error = failure(path, "rename")
            unlink(temporary)
            throw error
        }
        syncDirectory((path as NSString).deletingLastPathComponent)
    }
}

/// `close(2)`, named apart from `LockedFile.close()`.
@inline(__always) func systemClose(_ descriptor: Int32) -> Int32 {
    #if canImport(Glibc)
    return Glibc.close(descriptor)
    #elseif canImport(Musl)
    return Musl.close(descriptor)
    #else
    return Darwin.close(descriptor)
    #endif
}
