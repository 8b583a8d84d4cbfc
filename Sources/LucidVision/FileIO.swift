import LucidFiles

/// Whole-file reads with a size cap, and atomic writes, as `ImageError`s (see `SafeFile`).
enum FileIO {
    /// The bytes of the regular file at `path`; `.cannotRead` if it is missing, not a regular
    /// file (a FIFO is refused without blocking), larger than `maxBytes`, or unreadable.
    static func readFile(_ path: String, maxBytes: Int) throws -> [UInt8] {
        do { return try SafeFile.read(path, maxBytes: maxBytes) } catch {
            throw ImageError.cannotRead(path: path, reason: error.problem)
        }
    }

    /// Writes `bytes` to `path` atomically; never replaces a file that is not a regular file.
    static func writeFileAtomically(_ bytes: [UInt8], to path: String) throws {
        do { try SafeFile.writeAtomically(bytes, to: path) } catch {
            throw ImageError.cannotWrite(path: path, reason: error.problem)
        }
    }
}
