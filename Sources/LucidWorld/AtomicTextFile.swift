import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A text file written incrementally to a hidden temporary file next to its destination and
/// renamed over it by ``commit()``, so readers see the old file or the complete new one. A file
/// never committed is removed when the writer is discarded.
final class AtomicTextFile {
    let path: String
    private let temporary: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var finished = false

    init(path: String) throws(ShapesWorldError) {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        temporary = (directory.isEmpty ? "." : directory) + "/.\(name).tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary) else {
            throw .cannotWrite(path: path, reason: "cannot create temporary file \(temporary)")
        }
        self.handle = handle
    }

    deinit {
        if !finished {
            try? handle.close()
            unlink(temporary)
        }
    }

    /// Appends `text` (buffered).
    func write(_ text: String) throws(ShapesWorldError) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { try flush() }
    }

    /// Appends `text` and a newline.
    func writeLine(_ text: String) throws(ShapesWorldError) {
        try write(text)
        try write("\n")
    }

    private func flush() throws(ShapesWorldError) {
        guard !buffer.isEmpty else { return }
        do {
            try handle.write(contentsOf: Data(buffer))
        } catch {
            throw .cannotWrite(path: path, reason: "write failed: \(error)")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, syncs and renames the file into place.
    func commit() throws(ShapesWorldError) {
        try flush()
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            throw .cannotWrite(path: path, reason: "cannot finish: \(error)")
        }
        finished = true
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .cannotWrite(path: path, reason: "rename failed: \(reason)")
        }
    }

    /// Writes `text` to `path` atomically in one go.
    static func write(_ text: String, to path: String) throws(ShapesWorldError) {
        let file = try AtomicTextFile(path: path)
        try file.write(text)
        try file.commit()
    }
}
