import Foundation
@testable import LucidTensor

/// A fresh directory under the system temporary directory, removed on deinit.
final class FormatsTemporaryDirectory: Sendable {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = (base as NSString).appendingPathComponent("lucid-formats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The path of `name` inside this directory.
    func file(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    /// Writes `bytes` to `name` and returns its path.
    @discardableResult
    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let target = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }

    /// Writes `text` as UTF-8 to `name` and returns its path.
    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        try write(Array(text.utf8), to: name)
    }
}

/// Little-endian byte helpers for building files by hand.
enum FormatsBytes {
    static func bytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    static func f32(_ value: Float) -> [UInt8] { bytes(value.bitPattern) }
    static func f64(_ value: Double) -> [UInt8] { bytes(value.bitPattern) }
    static func f16(_ value: Float16) -> [UInt8] { bytes(value.bitPattern) }
}

/// Runs `body` and returns the `CheckpointError` it throws, or nil.
func checkpointError(_ body: () throws -> Void) -> CheckpointError? {
    do {
        try body()
        return nil
    } catch let error as CheckpointError {
        return error
    } catch {
        return nil
    }
}
