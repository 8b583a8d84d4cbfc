#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file mapped copy-on-write into memory.
///
/// The mapping is `PROT_READ | PROT_WRITE, MAP_PRIVATE` and lives exactly as long as this
/// object; `bytes` must not be used after the last reference is released. Writes (e.g. an in-place
/// op on a tensor borrowing the mapping) go to private copies of the pages, never to the file.
/// Empty files are not mapped and expose an empty buffer. The contents are
/// never written, so sharing across threads is safe (`@unchecked Sendable`).
/// If another process truncates the file while it is mapped, touching the lost
/// pages raises SIGBUS; that is inherent to mmap.
public final class MappedFile: @unchecked Sendable {
    /// The path the file was opened with.
    public let path: String
    /// The file size in bytes at the time it was mapped.
    public let size: Int
    private let base: UnsafeRawPointer?

    /// The whole file as raw bytes; valid while this object is alive.
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base, count: size)
    }

    /// Opens and maps `path`; throws ``CheckpointError/cannotOpen(path:reason:)``
    /// if it is missing, unreadable, not a regular file, or cannot be mapped.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)  // a FIFO must not block the open
        guard fd >= 0 else {
            throw CheckpointError.cannotOpen(path: path, reason: MappedFile.lastErrorText())
        }
        defer { close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw CheckpointError.cannotOpen(path: path, reason: MappedFile.lastErrorText())
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            let kind = (info.st_mode & S_IFMT) == S_IFDIR ? "it is a directory" : "it is not a regular file"
            throw CheckpointError.cannotOpen(path: path, reason: kind)
        }
        guard info.st_size >= 0, let length = Int(exactly: info.st_size) else {
            throw CheckpointError.cannotOpen(path: path, reason: "file size \(info.st_size) is unusable")
        }
        size = length
        if length == 0 {
            base = nil
            return
        }
        guard let mapped = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0),
              mapped != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw CheckpointError.cannotOpen(path: path, reason: "mmap failed: \(MappedFile.lastErrorText())")
        }
        base = UnsafeRawPointer(mapped)
    }

    /// Drops the whole pages inside `range` (byte offsets into the file) from this process's memory:
    /// the next read faults them in from the file again, so the contents are unchanged, but pages
    /// nothing reads any more stop counting towards the resident set. Only for ranges no tensor
    /// borrows in place and nothing wrote (a private page that was written would be lost). Pages the
    /// range only partly covers are kept. Returns the bytes released.
    @discardableResult
    public func releasePages(in range: Range<Int>) -> Int {
        guard let base, range.lowerBound >= 0, range.upperBound <= size else { return 0 }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return 0 }
        let start = (range.lowerBound + page - 1) / page * page
        let end = range.upperBound / page * page
        guard end > start else { return 0 }
        let pointer = UnsafeMutableRawPointer(mutating: base) + start
        return madvise(pointer, end - start, Int32(MADV_DONTNEED)) == 0 ? end - start : 0
    }

    /// The mapping as writable memory (copy-on-write), for zero-copy tensors; nil for empty files.
    var mutableBase: UnsafeMutableRawPointer? { base.map { UnsafeMutableRawPointer(mutating: $0) } }

    deinit {
        if let base {
            munmap(UnsafeMutableRawPointer(mutating: base), size)
        }
    }

    private static func lastErrorText() -> String {
        let code = errno
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}
