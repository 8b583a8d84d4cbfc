import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file Lucid cannot read or write, with the path and what is wrong in words
/// (`/tmp/p: is a named pipe (FIFO), not a regular file`), never a raw Foundation error.
public struct FileAccessError: Error, Equatable, CustomStringConvertible, Sendable {
    public let path: String
    public let problem: String
    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }
    public var description: String { "\(path): \(problem)" }
}

/// Whole-file reads and writes for files that come from outside (see docs/security.md):
/// inputs must be regular files under a size limit, and are opened without blocking, so a FIFO
/// or a device fails at once with its kind named; outputs are written atomically (temporary file,
/// `fsync`, `rename`) and never replace anything that is not a regular file (`/dev/full`, a FIFO,
/// a directory).
public enum SafeFile {
    /// The default cap of `read`: 1 GiB (text inputs: manifests, datasets, configs are far smaller).
    public static let defaultMaxBytes = 1 << 30

    /// What kind of file a `stat` mode is, in words ("a directory", "a named pipe (FIFO)").
    public static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: return "a regular file"
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a named pipe (FIFO)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "a special file"
        }
    }

    /// The bytes of the regular file at `path`, at most `maxBytes` of them.
    ///
    /// Opened with `O_NONBLOCK` and checked with `fstat` on the open descriptor (no race between
    /// the check and the read): a FIFO, device, socket or directory is refused without reading.
    public static func read(_ path: String, maxBytes: Int = defaultMaxBytes) throws(FileAccessError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw FileAccessError(path: path, problem: openProblem(errno, reading: true)) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw FileAccessError(path: path, problem: errorText()) }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw FileAccessError(path: path, problem: "is \(kind(of: status.st_mode)), not a regular file")
        }
        let size = Int(status.st_size)
        guard size <= maxBytes else {
            throw FileAccessError(path: path, problem: "is \(size) bytes, over the limit of \(maxBytes) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let result = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return posixRead(fd, base + filled, size - filled)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw FileAccessError(path: path, problem: "read failed: \(errorText())")
            }
            if result == 0 { break }  // the file shrank while we read it
            filled += result
        }
        return filled == size ? bytes : Array(bytes[0 ..< filled])
    }

    /// The UTF-8 text of the regular file at `path` (see `read`); invalid UTF-8 is an error.
    public static func readText(_ path: String, maxBytes: Int = defaultMaxBytes) throws(FileAccessError) -> String {
        let bytes = try read(path, maxBytes: maxBytes)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw FileAccessError(path: path, problem: "is not valid UTF-8 text")
        }
        return text
    }

    /// Checks that `path` may be read as an input: it exists and is a regular file (symbolic links followed).
    public static func checkInput(_ path: String) throws(FileAccessError) {
        var status = stat()
        guard stat(path, &status) == 0 else { throw FileAccessError(path: path, problem: openProblem(errno, reading: true)) }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw FileAccessError(path: path, problem: "is \(kind(of: status.st_mode)), not a regular file")
        }
    }

    /// Checks that `path` may be (re)placed by an output file: it does not exist, or is a regular
    /// file (a symbolic link is followed to what it names). Call before long work, so a bad `--out`
    /// fails at once.
    public static func checkOutput(_ path: String) throws(FileAccessError) {
        var status = stat()
        if stat(path, &status) == 0 {
            guard (status.st_mode & S_IFMT) == S_IFREG else {
                throw FileAccessError(path: path, problem: "is \(kind(of: status.st_mode)); Lucid writes outputs only to new or regular files")
            }
        } else if errno != ENOENT {
            throw FileAccessError(path: path, problem: openProblem(errno, reading: false))
        }
    }

    /// Writes `bytes` to `path` atomically: readers see the old file or the whole new one.
    ///
    /// Refuses (`checkOutput`) when `path` exists and is not a regular file. A symbolic link to a
    /// regular file is replaced by the new file, as `rename` does.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(FileAccessError) {
        try checkOutput(path)
        let directory = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        let temporary = (directory.isEmpty ? "." : directory) + "/.\(base).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw FileAccessError(path: path, problem: "cannot create a temporary file in \(directory.isEmpty ? "." : directory): \(errorText())")
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
                throw FileAccessError(path: path, problem: "write failed: \(errorText())")
            }
            written += result
        }
        guard fsync(fd) == 0 else { throw FileAccessError(path: path, problem: "fsync failed: \(errorText())") }
        closed = true
        guard close(fd) == 0 else { throw FileAccessError(path: path, problem: "close failed: \(errorText())") }
        try checkOutput(path)  // something special appeared meanwhile: leave it alone
        guard rename(temporary, path) == 0 else { throw FileAccessError(path: path, problem: "rename failed: \(errorText())") }
        renamed = true
    }

    /// Writes `text` as UTF-8 (see `writeAtomically`).
    public static func writeText(_ text: String, to path: String) throws(FileAccessError) {
        try writeAtomically(Array(text.utf8), to: path)
    }

    static func openProblem(_ code: Int32, reading: Bool) -> String {
        switch code {
        case ENOENT: return "does not exist"
        case EACCES, EPERM: return reading ? "permission denied (cannot read)" : "permission denied (cannot write)"
        case ENOTDIR: return "a component of the path is not a directory"
        case ELOOP: return "too many levels of symbolic links"
        case ENAMETOOLONG: return "the path is too long"
        case EISDIR: return "is a directory, not a regular file"
        default: return errorText(code)
        }
    }

    static func errorText(_ code: Int32 = errno) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}

/// `read(2)` under a name `SafeFile.read` does not shadow.
private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}
