import Foundation
import LucidFiles

/// A JSON value, for metadata whose shape is only known at run time.
///
/// JSON has no NaN or infinity: such numbers are written as the strings `"NaN"`, `"Infinity"` and
/// `"-Infinity"` (what they are), never as 0.
public enum MetadataJSON: Encodable, Sendable, Equatable {
    case string(String)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case float(Float)
    case bool(Bool)
    case array([MetadataJSON])
    case object([String: MetadataJSON])

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let v): try container.encode(v)
        case .int(let v): try container.encode(v)
        case .uint(let v): try container.encode(v)
        case .double(let v): if v.isFinite { try container.encode(v) } else { try container.encode(Self.nonFinite(v)) }
        case .float(let v): if v.isFinite { try container.encode(v) } else { try container.encode(Self.nonFinite(Double(v))) }
        case .bool(let v): try container.encode(v)
        case .array(let v): try container.encode(v)
        case .object(let v): try container.encode(v)
        }
    }

    public static func nonFinite(_ value: Double) -> String {
        value.isNaN ? "NaN" : value > 0 ? "Infinity" : "-Infinity"
    }
}

/// What `lucid info` reports about a checkpoint, independent of its format: headers only, nothing is
/// dequantised (GGUF by its magic, safetensors as a file, an index or a directory of shards).
public struct CheckpointInfo: Encodable, Sendable {
    /// One tensor's name, dtype, shape and bytes in the file.
    public struct TensorRow: Encodable, Sendable {
        public var name: String
        public var dtype: String
        public var shape: [Int]
        public var bytes: Int
    }

    public var format: String
    public var path: String
    public var fileBytes: Int
    public var version: Int?
    public var alignment: Int?
    public var files: [String]?
    public var metadata: [String: MetadataJSON]
    public var tensorCount: Int
    public var parameterCount: Int
    public var tensors: [TensorRow]

    enum CodingKeys: String, CodingKey {
        case format, path, version, alignment, files, metadata, tensors
        case fileBytes = "file_bytes", tensorCount = "tensor_count", parameterCount = "parameter_count"
    }

    /// Opens `path` as GGUF (by magic) or safetensors (file, index or directory).
    public static func load(path: String, arrayLimit: Int?) throws -> CheckpointInfo {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FileAccessError(path: path, problem: "no such file or directory")
        }
        if !isDirectory.boolValue { try SafeFile.checkInput(path) }  // a FIFO or device: refused before any open blocks
        if !isDirectory.boolValue, try startsWithGGUFMagic(path) {
            return try gguf(GGUFFile(path: path), arrayLimit: arrayLimit)
        }
        return try safetensors(SafetensorsCheckpoint(path: path))
    }

    private static func startsWithGGUFMagic(_ path: String) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FileAccessError(path: path, problem: "cannot open for reading") }
        defer { try? handle.close() }
        let head = handle.readData(ofLength: 4)
        return Array(head) == Array("GGUF".utf8)
    }

    public static func gguf(_ file: GGUFFile, arrayLimit: Int?) -> CheckpointInfo {
        var metadata: [String: MetadataJSON] = [:]
        for (key, value) in file.metadata { metadata[key] = json(value, arrayLimit: arrayLimit) }
        let rows = file.tensors.map { TensorRow(name: $0.name, dtype: $0.type.name, shape: $0.shape, bytes: $0.byteCount) }
        return CheckpointInfo(format: "gguf", path: file.path, fileBytes: fileSize(file.path), version: Int(file.version),
                              alignment: file.alignment, files: nil, metadata: metadata, tensorCount: rows.count,
                              parameterCount: file.tensors.reduce(0) { $0 + $1.elementCount }, tensors: rows)
    }

    public static func safetensors(_ checkpoint: SafetensorsCheckpoint) -> CheckpointInfo {
        var rows: [TensorRow] = []
        var parameters = 0
        for name in checkpoint.names {
            guard let (entry, _) = checkpoint.entry(named: name) else { continue }
            rows.append(TensorRow(name: name, dtype: entry.dtype.rawValue, shape: entry.shape, bytes: entry.byteCount))
            parameters += entry.elementCount
        }
        let paths = checkpoint.files.map(\.path)
        return CheckpointInfo(format: "safetensors", path: checkpoint.path, fileBytes: paths.reduce(0) { $0 + fileSize($1) },
                              version: nil, alignment: nil, files: paths.count > 1 ? paths : nil,
                              metadata: checkpoint.metadata.mapValues { .string($0) }, tensorCount: rows.count,
                              parameterCount: parameters, tensors: rows)
    }

    private static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// Converts a GGUF value; arrays longer than `arrayLimit` become a summary object.
    public static func json(_ value: GGUFValue, arrayLimit: Int?) -> MetadataJSON {
        switch value {
        case .uint8(let v): return .uint(UInt64(v))
        case .int8(let v): return .int(Int64(v))
        case .uint16(let v): return .uint(UInt64(v))
        case .int16(let v): return .int(Int64(v))
        case .uint32(let v): return .uint(UInt64(v))
        case .int32(let v): return .int(Int64(v))
        case .uint64(let v): return .uint(v)
        case .int64(let v): return .int(v)
        case .float32(let v): return .float(v)
        case .float64(let v): return .double(v)
        case .bool(let v): return .bool(v)
        case .string(let v): return .string(v)
        case .array(let type, let items):
            if let limit = arrayLimit, items.count > limit {
                return .object(["type": .string("array"), "element_type": .string(String(describing: type)),
                                "count": .int(Int64(items.count)),
                                "first": .array(items.prefix(min(limit, 8)).map { json($0, arrayLimit: limit) })])
            }
            return .array(items.map { json($0, arrayLimit: arrayLimit) })
        }
    }

    /// The `lucid info --json` text: keys sorted, pretty-printed, slashes unescaped.
    public func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Human-readable report: header, metadata (long values shortened), tensor table.
    public func text(showTensors: Bool) -> String {
        var lines: [String] = []
        lines.append(TerminalText.escaped(path))
        var header = "format \(format)"
        if let version { header += " v\(version)" }
        if let alignment { header += ", alignment \(alignment)" }
        header += ", \(formatBytes(fileBytes)), \(tensorCount) tensors, \(formatCount(parameterCount)) parameters"
        lines.append(header)
        if let files { lines.append("shards: " + files.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")) }
        var byType: [String: Int] = [:]
        for row in tensors { byType[row.dtype, default: 0] += 1 }
        lines.append("tensor types: " + byType.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        if !metadata.isEmpty {
            lines.append("")
            lines.append("metadata:")
            for key in metadata.keys.sorted() {
                guard let value = metadata[key] else { continue }
                lines.append("  \(TerminalText.escaped(key)) = \(short(value))")
            }
        }
        if showTensors {
            lines.append("")
            lines.append("tensors:")
            let names = tensors.map { TerminalText.escaped($0.name) }
            let width = min(60, names.map(\.count).max() ?? 0)
            for (row, escaped) in zip(tensors, names) {
                let name = escaped.padding(toLength: max(width, escaped.count), withPad: " ", startingAt: 0)
                let dtype = TerminalText.escaped(row.dtype).padding(toLength: 6, withPad: " ", startingAt: 0)
                lines.append("  \(name)  \(dtype)  \(row.shape)  \(formatBytes(row.bytes))")
            }
        }
        return lines.joined(separator: "\n")
    }

    private func short(_ value: MetadataJSON) -> String {
        switch value {
        case .string(let s):
            let flat = TerminalText.escaped(s.count > 100 ? String(s.prefix(100)) : s)
            return s.count > 100 ? "\"\(flat)…\" (\(s.count) chars)" : "\"\(flat)\""
        case .int(let v): return String(v)
        case .uint(let v): return String(v)
        case .double(let v): return String(v)
        case .float(let v): return String(v)
        case .bool(let v): return String(v)
        case .array(let items):
            let shown = items.prefix(6).map(short).joined(separator: ", ")
            return items.count > 6 ? "[\(shown), …] (\(items.count) items)" : "[\(shown)]"
        case .object(let fields):
            if case .int(let count)? = fields["count"], case .string(let type)? = fields["element_type"] {
                var text = "[\(count) \(type) values"
                if case .array(let first)? = fields["first"] { text += ": " + first.map(short).joined(separator: ", ") + ", …" }
                return text + "]"
            }
            return "{…}"
        }
    }

    private func formatBytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
    }

    private func formatCount(_ n: Int) -> String {
        if n >= 1_000_000_000 { return String(format: "%.2fB", Double(n) / 1e9) }
        if n >= 1_000_000 { return String(format: "%.1fM", Double(n) / 1e6) }
        if n >= 1_000 { return String(format: "%.1fK", Double(n) / 1e3) }
        return String(n)
    }
}
